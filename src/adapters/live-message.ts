import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from '../commands/types.js';

/** Where a live message is drawn: the first write posts it, later writes edit it. */
export interface MessageSink<Ref> {
  /** `final` is true for the command's last state. */
  post(reply: Reply, final: boolean): Promise<Ref>;
  edit(ref: Ref, reply: Reply, final: boolean): Promise<void>;
}

/** Thrown by a sink when the platform said "too many requests": nothing was written. */
export class RateLimited extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate limited for ${retryAfterMs} ms`);
  }
}

export interface LiveMessageOptions {
  /** At most one write per this many ms (Slack and Discord allow about one edit a second). */
  readonly minIntervalMs?: number;
  /** How many times a failed edit of the final state is tried again. */
  readonly finalEditTries?: number;
  readonly log?: (msg: string) => void;
}

/**
 * One chat message that follows a command as it runs. Progress is coalesced:
 * only the newest state is written, at most once per interval, and the final
 * state is always written. A post is never repeated after an error that may
 * have reached the platform, so no message appears twice; after a rate limit
 * (nothing was written) Otto waits as told and writes the newest state once.
 */
export class LiveMessage<Ref> {
  private ref: Ref | undefined;
  private posted = false;
  private next: Reply | undefined;
  private lastWrite = 0;
  private loop: Promise<void> | undefined;
  private readonly interval: number;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly sink: MessageSink<Ref>,
    private readonly options: LiveMessageOptions = {},
  ) {
    this.interval = options.minIntervalMs ?? 1000;
    this.log = options.log ?? ((m) => console.error(m));
  }

  /** The message, once it is posted. */
  get current(): Ref | undefined {
    return this.ref;
  }

  /** Shows `reply` soon; a newer one given before then replaces it. */
  show(reply: Reply): void {
    this.next = reply;
    this.loop ??= this.drain(false).finally(() => {
      this.loop = undefined;
    });
  }

  /** Writes the final state and resolves with the message's ref (undefined if it could not be posted). */
  async finish(reply: Reply): Promise<Ref | undefined> {
    while (this.loop) await this.loop;
    this.next = reply;
    await this.drain(true);
    return this.ref;
  }

  private async drain(final: boolean): Promise<void> {
    let failures = 0;
    while (this.next) {
      const wait = this.lastWrite + this.interval - Date.now();
      if (wait > 0) await sleep(wait);
      const reply = this.next;
      this.next = undefined;
      try {
        await this.write(reply, final);
        failures = 0;
      } catch (e) {
        if (e instanceof RateLimited) {
          this.log(`otto: chat rate limit: waiting ${e.retryAfterMs} ms before the next write`);
          this.next ??= reply;
          this.lastWrite = Date.now() + e.retryAfterMs - this.interval;
          continue;
        }
        this.log(`otto: could not update a chat message: ${e instanceof Error ? e.message : e}`);
        // A lost progress edit is made good by the next one; the final edit is retried.
        if (final && this.ref !== undefined && ++failures < (this.options.finalEditTries ?? 3)) {
          this.next ??= reply;
        }
      } finally {
        this.lastWrite = Math.max(this.lastWrite, Date.now());
      }
    }
  }

  private async write(reply: Reply, final: boolean): Promise<void> {
    if (this.ref !== undefined) return this.sink.edit(this.ref, reply, final);
    if (this.posted) return; // the post failed in a way that may have reached the platform
    try {
      this.ref = await this.sink.post(reply, final);
    } catch (e) {
      if (!(e instanceof RateLimited)) this.posted = true;
      throw e;
    }
    this.posted = true;
  }
}
