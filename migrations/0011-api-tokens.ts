import { type Kysely, sql } from 'kysely';

/**
 * Tokens for Otto's HTTP API (CI jobs): a name, the SHA-256 of the token (the
 * token itself is shown once and never stored), the role it acts with and the
 * fleets it is limited to (JSON list; null for every fleet).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_tokens')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) =>
      c.notNull().check(sql`role IN ('viewer', 'deployer', 'approver', 'admin')`),
    )
    .addColumn('fleets', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .execute();
}
