import type { Kysely } from 'kysely';

/**
 * Operations that change a running fleet without a new version: `restart` (a
 * forced update) and `scale`. One row each, in the flight log beside the launches.
 * Approval requests may now ask for a scale: the service and the replicas it asks for.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('operations')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('fleet', 'text', (c) => c.notNull())
    /** `restart` or `scale`. */
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    /** What changed, in words: `replicas 2 → 4`; empty for a restart. */
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('actor', 'text', (c) => c.notNull())
    /** running → succeeded | failed | interrupted. */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('duration_ms', 'integer')
    .execute();
  await db.schema
    .createIndex('operations_fleet')
    .on('operations')
    .columns(['fleet', 'started_at'])
    .execute();
  await db.schema.alterTable('approvals').addColumn('scale_service', 'text').execute();
  await db.schema.alterTable('approvals').addColumn('scale_replicas', 'integer').execute();
}
