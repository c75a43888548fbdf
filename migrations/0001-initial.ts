import type { Kysely } from 'kysely';

/** Deployments, locks, pinned host keys, encrypted secrets and registry credentials. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('fleet', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('compose_snapshot', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('rollback_of', 'integer')
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('duration_ms', 'integer')
    .addUniqueConstraint('deployments_fleet_version', ['fleet', 'version'])
    .execute();
  await db.schema.createIndex('deployments_status').on('deployments').column('status').execute();

  await db.schema
    .createTable('locks')
    .addColumn('fleet', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('host_keys')
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('host_keys_pk', ['host', 'port'])
    .execute();

  await db.schema
    .createTable('secrets')
    .addColumn('fleet', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('secrets_pk', ['fleet', 'name'])
    .execute();

  await db.schema
    .createTable('registry_credentials')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('registry', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('ciphertext', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_credentials_pk', ['cluster', 'registry'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['registry_credentials', 'secrets', 'host_keys', 'locks', 'deployments']) {
    await db.schema.dropTable(t).execute();
  }
}
