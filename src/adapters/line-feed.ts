import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimited } from './live-message.js';

export interface LineFeedOptions {
  /** At most one post per this many ms (Slack and Discord allow about one a second). */
  readonly minIntervalMs?: number;
  /** The most characters one post holds (its lines joined). */
  readonly maxChars: number;
  /** Lines kept waiting at most; past this the oldest are skipped, and the next post says so. */
  readonly maxBacklog?: number;
  readonly log?: (msg: string) => void;
}

/**
 * Lines that arrive faster than chat can take them, posted in batches: at most one
 * post per interval, each as full as `maxChars` allows, oldest first, once the
 * message they belong under exists (`ready`). A post that failed is not repeated
 * (it may have reached the platform); after a rate limit nothing was written, so
 * Otto waits as told and tries the same lines again.
 */
export class LineFeed {
  private readonly waiting: string[] = [];
  private skipped = 0;
  private failures = 0;
  private lastPost = 0;
  private loop: Promise<void> | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly interval: number;
  private readonly backlog: number;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly post: (lines: readonly string[]) => Promise<void>,
    private readonly ready: () => boolean,
    private readonly options: LineFeedOptions,
  ) {
    this.interval = options.minIntervalMs ?? 1000;
    this.backlog = options.maxBacklog ?? 500;
    this.log = options.log ?? ((m) => console.error(m));
  }

  push(lines: readonly string[]): void {
    if (this.closed) return;
    this.waiting.push(...lines);
    const over = this.waiting.length - this.backlog;
    if (over > 0) {
      this.waiting.splice(0, over);
      this.skipped += over;
    }
    this.loop ??= this.drain().finally(() => {
      this.loop = undefined;
    });
    this.wake?.();
  }

  /** Posts what is still waiting (if the message exists by then) and takes no more. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    while (this.loop) await this.loop;
  }

  private async drain(): Promise<void> {
    while (this.waiting.length || this.skipped) {
      if (!this.ready()) {
        if (this.closed) return;
        // Woken by the next lines or the close; the message is posted in between.
        await Promise.race([new Promise<void>((r) => (this.wake = r)), sleep(this.interval / 4)]);
        this.wake = undefined;
        continue;
      }
      const wait = this.lastPost + this.interval - Date.now();
      if (wait > 0) await sleep(wait);
      const { batch, noted } = this.take();
      try {
        await this.post(batch);
      } catch (e) {
        if (e instanceof RateLimited) {
          // Nothing was written: the same lines (and the count of skipped ones) go next.
          this.waiting.unshift(...batch.slice(noted ? 1 : 0));
          this.skipped += noted;
          this.lastPost = Date.now() + e.retryAfterMs - this.interval;
          continue;
        }
        // Said once, then every 50th time: a thread that can't be posted to fails each second.
        if (this.failures++ % 50 === 0)
          this.log(
            `otto: could not post transmissions to a thread${this.failures > 1 ? ` (${this.failures} times)` : ''}: ${e instanceof Error ? e.message : e}`,
          );
      }
      this.lastPost = Math.max(this.lastPost, Date.now());
    }
  }

  /**
   * The next post's lines: a note of skipped lines first, then as many as fit;
   * `noted` is how many skipped lines the note counts (0 without a note).
   */
  private take(): { batch: string[]; noted: number } {
    const batch: string[] = [];
    let size = 0;
    const noted = this.skipped;
    if (noted) {
      const note = `… ${this.skipped} line${this.skipped === 1 ? '' : 's'} skipped: they came faster than chat can show. See them with logs --tail.`;
      batch.push(note);
      size += note.length + 1;
      this.skipped = 0;
    }
    while (this.waiting.length) {
      const next = this.waiting[0]!;
      if (batch.length && size + next.length + 1 > this.options.maxChars) break;
      batch.push(
        next.length > this.options.maxChars
          ? `${next.slice(0, this.options.maxChars - 2)} …`
          : next,
      );
      size += next.length + 1;
      this.waiting.shift();
    }
    return { batch, noted };
  }
}
