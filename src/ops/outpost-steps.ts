import type { RunResult, Transport } from '../transport/transport.js';
import type { Check, CheckStatus } from '../swarm/preflight.js';

/** The steps of `outpost add`, in the order they run. */
export type OutpostStep =
  | 'host-key'
  | 'login'
  | 'sudo'
  | 'os'
  | 'docker'
  | 'disk'
  | 'install'
  | 'ports'
  | 'swarm'
  | 'ingress'
  | 'record';

/** One line of the setup as it goes: a step started, or how it ended. */
export interface OutpostEvent {
  readonly step: OutpostStep;
  readonly status: 'running' | CheckStatus;
  readonly line: string;
  readonly fix?: string | undefined;
  /** A command's own last lines, for a failure that needs them (the installer's). */
  readonly details?: readonly string[] | undefined;
}

export type OutpostListener = (event: OutpostEvent) => void;

/** A step's end, from a preflight judgement. */
export function ended(step: OutpostStep, check: Check): OutpostEvent {
  return {
    step,
    status: check.status,
    line: check.line,
    ...(check.fix ? { fix: check.fix } : {}),
    ...(check.details?.length ? { details: check.details } : {}),
  };
}

/**
 * A login on a new server: runs argv as the SSH user, or as root through
 * `sudo -n` when that user is not root (passwordless sudo was checked first).
 */
export class NodeSession {
  constructor(
    readonly transport: Transport,
    readonly user: string,
    /** Whether the login user is root (uid 0): no sudo then. */
    readonly root: boolean,
    private readonly signal?: AbortSignal,
  ) {}

  /** `redact`: words of argv never to print (a join token). */
  run(argv: readonly string[], timeoutMs?: number, redact?: readonly string[]): Promise<RunResult> {
    return this.transport.run(argv, {
      ...(this.signal ? { signal: this.signal } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(redact ? { redact } : {}),
    });
  }

  /** As root: `sudo -n <argv>` unless the login is root already. */
  asRoot(argv: readonly string[], timeoutMs?: number): Promise<RunResult> {
    return this.run(this.root ? argv : ['sudo', '-n', ...argv], timeoutMs);
  }
}
