import type { Kysely } from 'kysely';

/**
 * One active instance: the row `active` names the `otto start` that runs the chat
 * adapters and watchers, and until when (`expires_at`, ms since the epoch) it holds
 * them unless it renews. Another `otto start` on the same database waits as a
 * standby and takes the row over once it has expired.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    /** A unique id of the holding process: `<hostname>:<pid>:<random>`. */
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    /** When it became active (ms since the epoch). */
    .addColumn('since', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer', (c) => c.notNull())
    .execute();
}
