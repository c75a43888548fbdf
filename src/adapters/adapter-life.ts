import { setTimeout as sleep } from 'node:timers/promises';

import type { AlertPoster } from './alert-outbox.js';

/** A running chat adapter. */
export interface ChatAdapter {
  /** Stops listening, ends running commands (`reason` says why), draws their last state, and disconnects. */
  stop(reason?: unknown): Promise<void>;
  /** Posts alerts into the platform's channels. */
  readonly alerts?: AlertPoster;
  /** Connected to its platform now (for /healthz); absent for the HTTP API itself. */
  connected?(): boolean;
}

/** The longest wait between two tries to reach a chat platform. */
const MAX_BACKOFF_S = 60;

/**
 * What every chat adapter does around its platform: connect with backoff until it
 * works (without blocking the other adapters), track the commands it runs, and on
 * stop end them (their messages say why) before disconnecting.
 */
export class AdapterLife<Conn> {
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private conn: Conn | undefined;
  private stopSweep: (() => void) | undefined;

  constructor(
    private readonly platform: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** The connection, once made; alerts that find none are posted at a later poll. */
  connection(): Conn {
    if (!this.conn) throw new Error(`${this.platform} is not connected yet`);
    return this.conn;
  }

  /** Connected (once, and not stopped): what /healthz reports. */
  get connected(): boolean {
    return this.conn !== undefined && !this.signal.aborted;
  }

  /** Aborted when Otto stops: running commands end as interrupted. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Runs a command's work in the background; stop() waits for it. */
  track(work: () => Promise<void>): void {
    const job = work().catch((e: unknown) =>
      this.log(
        `otto: a ${this.platform} command failed to draw: ${e instanceof Error ? e.message : String(e)}`,
      ),
    );
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
  }

  /**
   * Tries `connect` until it works, waiting 1 s, 2 s, 4 s... up to a minute between
   * tries and saying so; then `connected` starts what needs the connection and
   * returns how to stop it (the approval card sweep).
   */
  start(connect: () => Promise<Conn>, connected: (conn: Conn) => () => void): void {
    void (async () => {
      for (let attempt = 0; !this.signal.aborted; attempt++) {
        try {
          this.conn = await connect();
          this.stopSweep = connected(this.conn);
          return;
        } catch (e) {
          const wait = Math.min(MAX_BACKOFF_S, 2 ** Math.min(attempt, 6));
          this.log(
            `⚠️  ${this.platform} can't be reached yet (${e instanceof Error ? e.message : String(e)}); trying again in ${wait} s. Other adapters keep working.`,
          );
          await sleep(wait * 1000, undefined, { signal: this.signal }).catch(() => {});
        }
      }
    })();
  }

  async stop(reason: unknown, disconnect: (conn: Conn) => Promise<unknown>): Promise<void> {
    this.stopping.abort(reason ?? new Error('Otto is shutting down'));
    this.stopSweep?.();
    await Promise.allSettled([...this.running]);
    if (this.conn) await disconnect(this.conn).catch(() => {});
  }
}
