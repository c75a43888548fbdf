import type { Db } from './db.js';

/** How often rows past their time are deleted, at most. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Request ids already handled, in SQLite so that a restart forgets none of them:
 * a signed Slack request replayed after a restart, or a Socket Mode envelope sent
 * again, runs only once. Rows older than the ttl are deleted as new ones come.
 *
 * @example
 * const seen = new SeenRequests(db, 15 * 60_000);
 * await seen.first('slack-trigger:123.456'); // true: run it
 * await seen.first('slack-trigger:123.456'); // false: a redelivery
 */
export class SeenRequests {
  private prunedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records `id`; true the first time it is seen within the ttl. One statement, so
   * two deliveries racing each other cannot both be first.
   */
  async first(id: string): Promise<boolean> {
    const now = this.now();
    const cutoff = new Date(now - this.ttlMs).toISOString();
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      await this.db.deleteFrom('seen_requests').where('seenAt', '<', cutoff).execute();
    }
    // A row past the ttl that was not pruned yet counts as not seen: it is renewed.
    const res = await this.db
      .insertInto('seen_requests')
      .values({ id, seenAt: new Date(now).toISOString() })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({ seenAt: eb.ref('excluded.seenAt') }))
          .where('seen_requests.seenAt', '<', cutoff),
      )
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }
}
