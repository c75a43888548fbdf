import { createHash } from 'node:crypto';

/**
 * Commands of buttons too long for a Discord custom id (100 characters), such as
 * outpost add's **Trust and set up** (`outpost add <cluster> <host> --user … --fingerprint
 * SHA256:…`): the button carries a short id, and the command is kept here, in memory,
 * until Otto restarts. The id is a hash of the command, so drawing the same buttons
 * again (every edit of a live message) keeps one entry; the oldest go past `max`.
 * A press still runs the command through dispatch: roles, channels and the audit log.
 *
 * @example
 * const kept = new ButtonCommands();
 * const id = kept.keep('outpost add prod worker-3.example.com --fingerprint SHA256:…');
 * kept.get(id); // the command
 */
export class ButtonCommands {
  private readonly byId = new Map<string, string>();

  constructor(private readonly max = 500) {}

  /** Keeps `command`; returns its id (24 characters). */
  keep(command: string): string {
    const id = createHash('sha256').update(command).digest('base64url').slice(0, 24);
    this.byId.delete(id);
    this.byId.set(id, command);
    for (const oldest of this.byId.keys()) {
      if (this.byId.size <= this.max) break;
      this.byId.delete(oldest);
    }
    return id;
  }

  /** The command kept as `id`; undefined after a restart or once it was pushed out. */
  get(id: string): string | undefined {
    return this.byId.get(id);
  }
}
