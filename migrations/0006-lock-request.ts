import type { Kysely } from 'kysely';

/**
 * A launch's lock names the approval request it carries out, if any, so a second
 * approval of the same request is told so from the lock row, not by reading its
 * reason text.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('locks').addColumn('request_id', 'integer').execute();
}
