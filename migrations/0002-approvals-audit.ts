import { type Kysely, sql } from 'kysely';

/**
 * Approval requests and their votes, manual locks, and the append-only audit log
 * (triggers refuse UPDATE and DELETE on it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // A manual lock (`lock myapp`) belongs to a person, not to a running process.
  await db.schema
    .alterTable('locks')
    .addColumn('manual', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('approvals')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('fleet', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requester', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('needed', 'integer', (c) => c.notNull())
    .addColumn('compose_snapshot', 'text', (c) => c.notNull())
    .addColumn('from_version', 'integer')
    .addColumn('target_version', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .addColumn('deployment_version', 'integer')
    .execute();
  await db.schema
    .createIndex('approvals_status')
    .on('approvals')
    .columns(['status', 'expires_at'])
    .execute();

  await db.schema
    .createTable('approval_votes')
    .addColumn('approval_id', 'integer', (c) =>
      c.notNull().references('approvals.id').onDelete('cascade'),
    )
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('voted_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('approval_votes_pk', ['approval_id', 'approver'])
    .execute();

  await db.schema
    .createTable('audit')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('fleet', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_fleet').on('audit').columns(['fleet', 'id']).execute();
  for (const op of ['UPDATE', 'DELETE']) {
    await sql
      .raw(
        `CREATE TRIGGER audit_no_${op.toLowerCase()} BEFORE ${op} ON audit ` +
          `BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`,
      )
      .execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit').execute();
  await db.schema.dropTable('approval_votes').execute();
  await db.schema.dropTable('approvals').execute();
  await db.schema.alterTable('locks').dropColumn('manual').execute();
}
