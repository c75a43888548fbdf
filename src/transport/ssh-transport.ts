import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { HostKeyChangedError, UnreachableError } from '../errors.js';
import { utf8Chunks } from './utf8-chunks.js';
import { BoundedOutput } from './bounded-output.js';
import {
  DEFAULT_TIMEOUT_MS,
  type RunOptions,
  type RunResult,
  type Transport,
} from './transport.js';
import { sshChannels } from '../metrics.js';

/** OpenSSH allows 10 sessions per connection (MaxSessions); more wait in a queue. */
export const MAX_CHANNELS = 10;

/** Where trusted-on-first-use host keys are kept. */
export interface HostKeyStore {
  get(host: string, port: number): Promise<string | undefined>;
  remember(host: string, port: number, fingerprint: string): Promise<void>;
  /** Records a host that offered another key than the one pinned or trusted, for the alert. */
  mismatch?(host: string, port: number, expected: string, offered: string): Promise<void>;
}

export interface SshTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKeyFile: string;
  /** A pinned `SHA256:...` fingerprint; without it the key is trusted on first use. */
  readonly hostKey?: string | undefined;
}

export interface SshOptions {
  readonly readyTimeoutMs?: number;
  readonly keepaliveIntervalMs?: number;
  /** The operator's log: keys trusted on first use, changed keys, loose key files. */
  readonly log?: (line: string) => void;
}

/** Lines already logged by this process, so each is said once. */
const logged = new Set<string>();

/** `SHA256:` + unpadded base64 of the key's SHA-256, as `ssh-keygen -lf` prints it. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** POSIX single-quoting of one argument. The only quoting Otto ever does. */
export function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_\-./:=@%+,]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Turns argv into the one command line the remote shell will split back into argv. */
export function commandLine(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

class ChannelRefused extends UnreachableError {
  constructor(target: string, detail: string) {
    super(
      target,
      'error',
      `${target} refused a new session: ${detail}.`,
      "Check MaxSessions in the outpost's sshd_config.",
    );
  }
}

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    return () => {
      this.active--;
      this.waiting.shift()?.();
    };
  }
}

/**
 * Runs argv on one manager over SSH. One pooled connection (opened on first use,
 * reopened after it drops), keepalive on, host key checked on every connection, at
 * most {@link MAX_CHANNELS} exec channels at once.
 */
export class SshTransport implements Transport {
  readonly target: string;
  private client: Promise<Client> | undefined;
  private readonly channels = new Semaphore(MAX_CHANNELS);

  constructor(
    private readonly ssh: SshTarget,
    private readonly hostKeys: HostKeyStore,
    private readonly options: SshOptions = {},
  ) {
    this.target = `${ssh.user}@${ssh.host}:${ssh.port}`;
  }

  /** Opens the connection if it is not open. Throws {@link UnreachableError}. */
  connect(): Promise<Client> {
    this.client ??= this.open().catch((e: unknown) => {
      this.client = undefined;
      throw e;
    });
    return this.client;
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  private logOnce(line: string): void {
    if (logged.has(line)) return;
    logged.add(line);
    this.options.log?.(line);
  }

  /** Reads and checks the private key, so a bad one is an UnreachableError (and the next manager is tried). */
  private async privateKey(): Promise<Buffer> {
    const file = this.ssh.privateKeyFile;
    let key: Buffer;
    try {
      key = readFileSync(file);
    } catch {
      throw new UnreachableError(
        this.target,
        'bad key',
        `Otto can't read the private key ${file} for ${this.target}.`,
        'Check private_key_file in otto.yml and that the file is readable by Otto.',
      );
    }
    // ssh2 is CommonJS: Node's ESM loader sees `utils` only on the default export.
    const ssh2 = await import('ssh2');
    const { utils } = (ssh2 as unknown as { default?: typeof ssh2 }).default ?? ssh2;
    const parsed = utils.parseKey(key);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      throw new UnreachableError(
        this.target,
        'bad key',
        encrypted
          ? `The private key ${file} for ${this.target} is protected by a passphrase, which Otto can't type.`
          : `The file ${file} for ${this.target} is not a private key Otto can read (${parsed.message}).`,
        encrypted
          ? `Give Otto a key of its own without a passphrase (ssh-keygen -t ed25519 -N '' -f ${file}.otto), add its .pub to the outpost's authorized_keys, and point private_key_file at it.`
          : 'Point private_key_file at an OpenSSH or PEM private key (ssh-keygen -t ed25519 makes one).',
      );
    }
    try {
      const mode = statSync(file).mode & 0o777;
      if (mode & 0o077)
        this.logOnce(
          `⚠️ The private key ${file} can be read by other users on this machine (mode 0${mode.toString(8)}). Fix: chmod 600 ${file}`,
        );
    } catch {
      // read above: a stat failing now changes nothing
    }
    return key;
  }

  private async open(): Promise<Client> {
    const privateKey = await this.privateKey();
    const { host, port } = this.ssh;
    const expected = this.ssh.hostKey ?? (await this.hostKeys.get(host, port));
    let mismatch: HostKeyChangedError | undefined;
    let offered: string | undefined;
    // Loaded on first use: a bot with only local clusters never pays for ssh2.
    const { Client } = await import('ssh2');
    const client = new Client();
    const config: ConnectConfig = {
      host,
      port,
      username: this.ssh.user,
      privateKey,
      readyTimeout: this.options.readyTimeoutMs ?? 10_000,
      keepaliveInterval: this.options.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        offered = fingerprint(key);
        if (expected && expected !== offered) {
          mismatch = new HostKeyChangedError(
            `${host}:${port}`,
            expected,
            offered,
            this.ssh.hostKey !== undefined,
          );
          return false;
        }
        return true;
      },
    };
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve());
        // `on`, not `once`: ssh2 can emit a second error (the socket closing after
        // a handshake timeout), and an unheard 'error' would crash the process.
        client.on('error', (err: Error & { level?: string; code?: string }) => {
          reject(mismatch ?? this.describe(err));
        });
        client.connect(config);
      });
    } catch (caught) {
      client.end();
      // ssh2 throws some problems from connect() itself: still a manager Otto can't reach.
      const e =
        caught instanceof UnreachableError
          ? caught
          : this.describe(caught as Error & { code?: string });
      if (e instanceof HostKeyChangedError && expected && offered) {
        this.logOnce(`🔑 ${e.message}`);
        await this.hostKeys.mismatch?.(host, port, expected, offered);
      }
      throw e;
    }
    if (!expected && offered) {
      await this.hostKeys.remember(host, port, offered);
      this.logOnce(
        `🔑 Otto trusted the host key of ${host}:${port} on first use: ${offered}. Compare it with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server, or pin it as host_key in otto.yml.`,
      );
    }
    const forget = () => {
      this.client = undefined;
    };
    client.on('close', forget);
    client.on('error', forget);
    return client;
  }

  private describe(err: Error & { level?: string; code?: string }): UnreachableError {
    return describeConnectError(this.target, this.ssh.port, err);
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const client = await this.connect();
    const release = await this.channels.acquire();
    sshChannels.inc({ target: this.target });
    try {
      // sshd frees a session slot a moment after the channel closes, so a channel
      // opened right then can be refused although we never exceed MaxSessions.
      // Nothing has run when a channel is refused: trying again is safe.
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.exec(client, commandLine(argv), options);
        } catch (e) {
          if (!(e instanceof ChannelRefused) || attempt >= 8) throw e;
          await new Promise((r) => setTimeout(r, 25 * attempt));
        }
      }
    } finally {
      sshChannels.dec({ target: this.target });
      release();
    }
  }

  private exec(client: Client, command: string, options: RunOptions): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<RunResult>((resolve, reject) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      client.exec(command, (err, stream: ClientChannel) => {
        if (err) {
          return reject(new ChannelRefused(this.target, err.message));
        }
        const out = new BoundedOutput();
        const errOut = new BoundedOutput();
        let settled = false;
        const finish = (fn: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          fn();
        };
        // A remote command that only writes (a log stream) would outlive its closed
        // channel until its next write: a stoppable run asks sshd to end it first
        // (sshd signals the session's process group; ssh2 sends the request only
        // while the channel is writable, so such a run's stdin stays open).
        const stop = () => {
          if (options.stoppable) stream.signal('TERM');
          stream.close();
        };
        const timer = setTimeout(() => {
          stop();
          if (options.partialOnTimeout) {
            const stdout = out.text();
            const stderr = errOut.text();
            return finish(() => resolve({ exitCode: 124, stdout, stderr, timedOut: true }));
          }
          finish(() =>
            reject(
              new UnreachableError(
                this.target,
                'timed out',
                `A command on ${this.target} did not finish within ${Math.round(timeoutMs / 1000)} s.`,
              ),
            ),
          );
        }, timeoutMs);
        const onAbort = () => {
          stop();
          finish(() => reject(options.signal?.reason));
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        // Aborted while the channel was opening: no event will come for it now.
        if (options.signal?.aborted) onAbort();
        stream.on('error', (e: Error) => {
          finish(() =>
            reject(
              new UnreachableError(
                this.target,
                'error',
                `The session on ${this.target} broke: ${e.message}.`,
              ),
            ),
          );
        });
        const onStdout = options.onStdout && utf8Chunks(options.onStdout);
        const onStderr = options.onStderr && utf8Chunks(options.onStderr);
        stream.on('data', (d: Buffer) => (onStdout ? onStdout(d) : out.push(d)));
        stream.stderr.on('data', (d: Buffer) => (onStderr ? onStderr(d) : errOut.push(d)));
        stream.on('close', (code: number | null) => {
          finish(() =>
            resolve({
              exitCode: code ?? 255,
              stdout: out.text(),
              stderr: errOut.text(),
            }),
          );
        });
        const input = options.stdin;
        if (typeof input === 'object') {
          input.then(
            (text) => {
              if (!settled) stream.end(text);
            },
            () => {
              if (settled) return;
              stream.signal('TERM');
              stream.end();
            },
          );
        } else if (input !== undefined || !options.stoppable) stream.end(input ?? '');
      });
    });
  }

  async close(): Promise<void> {
    const pending = this.client;
    this.client = undefined;
    if (!pending) return;
    try {
      (await pending).end();
    } catch {
      // never connected: nothing to close
    }
  }
}

/** Why ssh2 could not connect, in words with a fix (seed 001's onboarding wording). */
function describeConnectError(
  t: string,
  port: number,
  err: Error & { level?: string; code?: string },
): UnreachableError {
  if (err.code === 'ECONNREFUSED') {
    return new UnreachableError(
      t,
      'refused',
      `Cannot connect to ${t}: connection refused.`,
      `Check that SSH is running on port ${port} and the firewall allows connections.`,
    );
  }
  if (err.level === 'client-authentication') {
    return new UnreachableError(
      t,
      'auth failed',
      `Authentication failed on ${t}.`,
      'Verify the username and private key in otto.yml are correct.',
    );
  }
  if (err.level === 'client-timeout' || /timed out/i.test(err.message)) {
    return new UnreachableError(
      t,
      'timed out',
      `${t} did not answer in time.`,
      'Is the outpost online?',
    );
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new UnreachableError(
      t,
      'not found',
      `Otto can't resolve the host name of ${t}.`,
      'Check host in otto.yml.',
    );
  }
  return new UnreachableError(t, 'error', `Cannot connect to ${t}: ${err.code ?? err.message}.`);
}

/**
 * The host key fingerprint a server offers (`SHA256:…`), read in the SSH handshake
 * before any authentication, which is then broken off: what a person compares
 * before Otto trusts a new outpost. Throws an UnreachableError with its fix when
 * the server can't be reached.
 *
 * @example await probeHostKey('10.0.0.5', 22) // 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8'
 */
export async function probeHostKey(
  host: string,
  port: number,
  timeoutMs = 10_000,
): Promise<string> {
  const target = `${host}:${port}`;
  const { Client } = await import('ssh2');
  const client = new Client();
  let offered: string | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      // `on`: ssh2 may emit more than one error while the socket closes.
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (offered) resolve();
        else reject(describeConnectError(target, port, err));
      });
      client.once('ready', () => resolve());
      client.connect({
        host,
        port,
        username: 'otto-host-key-probe',
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          offered = fingerprint(key);
          return false;
        },
      });
    });
  } finally {
    client.end();
  }
  if (!offered)
    throw new UnreachableError(
      target,
      'error',
      `${target} offered no host key.`,
      'Is it an SSH server?',
    );
  return offered;
}
