import { GitSourceError } from '../errors.js';
import { MAX_OUTPUT_BYTES } from './bounded-output.js';

/** How long one git command may take: a first clone of a large repository takes a while. */
export const GIT_TIMEOUT_MS = 5 * 60_000;

export interface GitRunOptions {
  /** The repository's folder (`git -C`), when the command works in one. */
  readonly cwd?: string;
  /** The SSH private key for `ssh://` and `git@host:` URLs (`-i`, and only that key). */
  readonly keyFile?: string;
  /** Otto's known-hosts file for git's SSH: a host's first key is kept, a changed one refused. */
  readonly knownHosts: string;
  /**
   * Git's global config file instead of the user's (default: none). Otto's lists a
   * `file://` repository owned by another user as a safe directory.
   */
  readonly globalConfig?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface GitResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** `'…'` for sh, the one quoting git's `GIT_SSH_COMMAND` needs: git runs it with a shell. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `ssh` command git runs for SSH URLs: no ssh_config (`-F /dev/null`), the
 * fleet's key alone (no agent, no default keys; none at all without `key_file`),
 * Otto's own known-hosts file (a new host is kept on first contact, a changed key
 * stops the fetch), never a password or passphrase prompt. ssh reads the
 * known-hosts path in double quotes (it splits on spaces): a path with `"` or `%`
 * is refused by {@link GitRepos} before this.
 */
export function gitSshCommand(knownHosts: string, keyFile?: string): string {
  return [
    'ssh',
    '-F',
    '/dev/null',
    ...(keyFile ? ['-i', shellQuote(keyFile)] : ['-o', 'IdentityFile=none']),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    shellQuote(`UserKnownHostsFile="${knownHosts}"`),
    '-o',
    'ConnectTimeout=20',
  ].join(' ');
}

/** Git's environment: nothing of Otto's own, no prompts, no system or user config. */
function gitEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/nonexistent',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
}

/**
 * Runs `git <args>` on this machine with execa (argv, no shell), with no terminal
 * prompts, no system or user git config that could change what a ref means, and
 * `GIT_SSH_COMMAND` pinned to the fleet's key and Otto's known-hosts file.
 *
 * @example await runGit(['rev-parse', '--verify', 'main^{commit}'], { cwd, knownHosts })
 */
export async function runGit(args: readonly string[], options: GitRunOptions): Promise<GitResult> {
  const { execa } = await import('execa'); // loaded by git fleets only: not at every start
  const result = await execa('git', [...(options.cwd ? ['-C', options.cwd] : []), ...args], {
    reject: false,
    timeout: options.timeoutMs ?? GIT_TIMEOUT_MS,
    cancelSignal: options.signal,
    stripFinalNewline: false,
    maxBuffer: MAX_OUTPUT_BYTES,
    input: '',
    extendEnv: false,
    env: {
      ...gitEnv(),
      ...(options.globalConfig ? { GIT_CONFIG_GLOBAL: options.globalConfig } : {}),
      GIT_SSH_COMMAND: gitSshCommand(options.knownHosts, options.keyFile),
    },
  });
  if (result.isCanceled) throw options.signal?.reason ?? new Error('cancelled');
  if (result.code === 'ENOENT')
    throw new GitSourceError(
      "Otto can't find the git command on this machine.",
      'Install git (apt-get install git) where Otto runs.',
    );
  return {
    exitCode: result.timedOut ? 124 : (result.exitCode ?? 1),
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    timedOut: result.timedOut,
  };
}

/**
 * `git cat-file blob <object>` as bytes (a compose file is decoded only after its
 * checks), at most `maxBytes`; undefined when git could not read it.
 */
export async function gitBlob(
  cwd: string,
  object: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array | undefined> {
  const { execa } = await import('execa');
  const r = await execa('git', ['-C', cwd, 'cat-file', 'blob', object], {
    encoding: 'buffer',
    reject: false,
    stripFinalNewline: false,
    timeout: GIT_TIMEOUT_MS,
    maxBuffer: maxBytes + 1,
    input: '',
    extendEnv: false,
    env: gitEnv(),
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (r.isCanceled) throw signal?.reason ?? new Error('cancelled');
  return r.exitCode === 0 && !r.isMaxBuffer ? r.stdout : undefined;
}
