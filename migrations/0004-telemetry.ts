import { type Kysely, sql } from 'kysely';

/**
 * Telemetry: the last judged health of every watched service, node and cluster (so
 * a restart of Otto does not re-alert a known incident), the incidents with the chat
 * messages that show them, silences, and which launches were already announced.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('watch_health')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('record', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('fleet', 'text')
    .addColumn('service', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('reminded_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .addColumn('refs', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  // At most one open incident per subject, whatever the number of Otto processes.
  await sql`CREATE UNIQUE INDEX incidents_open ON incidents (subject) WHERE resolved_at IS NULL`.execute(
    db,
  );

  await db.schema
    .createTable('silences')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('fleet', 'text', (c) => c.notNull())
    .addColumn('service', 'text')
    .addColumn('until', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('deploy_notices')
    .addColumn('deployment_id', 'integer', (c) => c.primaryKey())
    .addColumn('refs', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('finished', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
