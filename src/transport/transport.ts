/** What a command run on a Docker host gave back. A non-zero exit is not an exception. */
export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when `partialOnTimeout` was asked for and the command ran out of time. */
  readonly timedOut?: boolean;
}

export interface RunOptions {
  /**
   * Written to the command's standard input, which is then closed. A promise: the
   * command starts now and gets its input when the promise settles; if it rejects,
   * the command is sent TERM and its input closed empty, so a command that reads all
   * of its input before it acts (`docker stack deploy -c -`) never acts.
   */
  readonly stdin?: string | Promise<string>;
  readonly timeoutMs?: number;
  /**
   * On timeout, stop the command and return what it printed so far (with
   * `timedOut: true`) instead of throwing. For reads such as logs.
   */
  readonly partialOnTimeout?: boolean;
  readonly signal?: AbortSignal;
  /**
   * Hands stdout over as it arrives instead of collecting it (the result's stdout is
   * then empty): for long-lived streams such as `docker events`.
   */
  readonly onStdout?: (chunk: string) => void;
  /**
   * The run may be ended early (a log stream): on abort or timeout the remote command
   * is ended too, not left to run until its next write. Over SSH, its stdin stays
   * open unless `stdin` is given, and sshd is asked to send it TERM.
   */
  readonly stoppable?: boolean;
  /** Hands stderr over as it arrives (the result's stderr is then empty): `docker service logs --follow`. */
  readonly onStderr?: (chunk: string) => void;
  /**
   * Words of argv that are secret and must never be printed (a Swarm join token,
   * which the docker CLI takes only in argv): a trace shows them as `[REDACTED]`.
   */
  readonly redact?: readonly string[];
}

/**
 * Runs one argv on a Docker host. The only place argv becomes a command line.
 * Implementations: `SshTransport` (ssh2), `LocalTransport` (execa), `ClusterTransport`
 * (a list of managers with failover), and test doubles.
 *
 * @example
 * const { stdout } = await transport.run(['docker', 'service', 'ls', '--format', '{{json .}}']);
 */
export interface Transport {
  /** Who is on the other end, for messages: `deploy@10.0.0.1:22`, `this machine`. */
  readonly target: string;
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /**
   * Starts connecting now, so the first command does not wait for the handshake: a
   * launch calls it before it renders and locks. Resolves once connected; rejects as
   * `run` would when the other end can't be reached. A caller that only wants the
   * head start ignores the result, and the first command meets the failure.
   */
  warm?(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
