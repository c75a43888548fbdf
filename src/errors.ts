import { userText } from './user-text.js';

/**
 * Coded errors that carry a message a person can act on.
 *
 * `message` says what happened, `fix` says what to do next. Both are safe to show
 * in chat: never put a secret, a token or a stack trace into either.
 */
export class OttoError extends Error {
  readonly code: string = 'otto_error';
  readonly fix: string | undefined;

  constructor(message: string, fix?: string) {
    super(message);
    this.name = new.target.name;
    this.fix = fix;
  }
}

/** A problem in otto.yml or in the command line: exit code 2. */
export class ConfigError extends OttoError {
  override readonly code = 'config_error';
}

export class UsageError extends OttoError {
  override readonly code = 'usage_error';
}

export class NotFoundError extends OttoError {
  override readonly code = 'not_found';
}

export class ComposeError extends OttoError {
  override readonly code = 'compose_invalid';
}

/** A git fleet's repository could not be cloned, fetched or read, or a ref is unknown. */
export class GitSourceError extends OttoError {
  override readonly code = 'git_source';
}

export class MissingSecretsError extends OttoError {
  override readonly code = 'missing_secrets';
  constructor(
    readonly fleet: string,
    readonly names: readonly string[],
  ) {
    super(
      `Fleet ${fleet} needs secrets that are not set: ${names.join(', ')}. Nothing was launched.`,
      names.map((n) => `otto secret set ${fleet} ${n}`).join('\n'),
    );
  }
}

/** A held lock, as a refusal. Its reason may be a person's words: drawn with userText, never as a mention. */
export class LockHeldError extends OttoError {
  override readonly code = 'lock_held';
  constructor(
    readonly fleet: string,
    readonly holder: string,
    readonly since: string,
    readonly reason: string,
    readonly manual: boolean,
    /** The approval request the holding launch carries out, if any. */
    readonly requestId: number | null = null,
  ) {
    super(
      manual
        ? `Fleet ${fleet} is locked by ${holder} since ${since.replace('T', ' ').slice(0, 19)} UTC: ${userText(reason)}. Nothing was changed.`
        : `Fleet ${fleet} is busy: ${userText(reason)} by ${holder}, started at ${since.replace('T', ' ').slice(0, 19)} UTC. Nothing was changed.`,
      manual
        ? `Ask ${holder} first. When it is safe: unlock ${fleet} (the holder or an admin).`
        : 'Wait for that mission to finish, then try again.',
    );
  }
}

/** The actor's role does not allow the command, or the channel is not allowed. */
export class RefusedError extends OttoError {
  override readonly code = 'refused';
}

/** The transport could not reach a host (before any command ran). */
export class UnreachableError extends OttoError {
  override readonly code = 'unreachable';
  constructor(
    readonly target: string,
    readonly why:
      | 'refused'
      | 'auth failed'
      | 'bad key'
      | 'timed out'
      | 'not found'
      | 'host key changed'
      | 'error',
    detail: string,
    fix?: string,
  ) {
    super(detail, fix);
  }
}

export class HostKeyChangedError extends UnreachableError {
  constructor(target: string, expected: string, got: string, pinned: boolean) {
    super(
      target,
      'host key changed',
      `Outpost ${target}'s fingerprint has changed! This could indicate a security issue. ` +
        `Expected ${expected}, the outpost offered ${got}. Nothing was run.`,
      pinned
        ? `If you reinstalled the server, check its new key (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server) and update host_key in otto.yml.`
        : `If you reinstalled the server, check its new key (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server) and pin it as host_key in otto.yml.`,
    );
  }
}

/** A manager offered a changed host key and strict_host_keys forbids trying the next one. */
export class StrictHostKeyError extends UnreachableError {
  constructor(
    readonly cluster: string,
    readonly changed: HostKeyChangedError,
  ) {
    super(
      changed.target,
      'host key changed',
      `${changed.message} Otto did not fail over to another manager of cluster ${cluster} (strict_host_keys).`,
      `${changed.fix ?? ''} Until then, set strict_host_keys: false under clusters.${cluster} to let Otto use the other managers.`.trim(),
    );
  }
}

export class AllManagersUnreachableError extends OttoError {
  override readonly code = 'cluster_unreachable';
  constructor(
    readonly cluster: string,
    readonly attempts: readonly UnreachableError[],
  ) {
    // A changed host key or an unusable key file is told in full: its fix is specific.
    const specific = attempts.filter((a) => a.why === 'host key changed' || a.why === 'bad key');
    super(
      `The otternauts couldn't reach any manager of cluster ${cluster}. Tried: ` +
        attempts.map((a) => `${a.target} (${a.why})`).join(', ') +
        '.' +
        specific.map((a) => ` ${a.message}`).join(''),
      specific[0]?.fix ??
        'Is the station still online? Check that SSH runs on the configured port, the firewall allows it, and the user and key in otto.yml are right.',
    );
  }
}

export class InterruptedError extends OttoError {
  override readonly code = 'interrupted';
  constructor(signal: string) {
    super(
      `Otto received ${signal} and stopped. A launch in progress is marked interrupted and its lock released.`,
      'Run the command again when ready.',
    );
  }
}
