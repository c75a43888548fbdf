import type { Kysely } from 'kysely';

/**
 * Shields: signed chat requests already run (so a replay after a restart is
 * refused), and host keys that did not match what Otto pinned (so each changed
 * fingerprint is alerted once, even when another manager answered).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('seen_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('seen_requests_at').on('seen_requests').column('seen_at').execute();

  await db.schema
    .createTable('host_key_mismatches')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('expected', 'text', (c) => c.notNull())
    .addColumn('offered', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    /** When the watcher posted the alert; null until then. */
    .addColumn('alerted_at', 'text')
    .addPrimaryKeyConstraint('host_key_mismatches_pk', ['host', 'port', 'offered'])
    .execute();
}
