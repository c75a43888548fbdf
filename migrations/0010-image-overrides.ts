import type { Kysely } from 'kysely';

/**
 * Images from CI: the images a launch was given by service (`launch shop
 * web=1.4.2`), as JSON (`{"web":"1.4.2"}`), on launches and on the approval
 * requests that carry one out; null when none were given.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['deployments', 'approvals'])
    await db.schema.alterTable(table).addColumn('image_overrides', 'text').execute();
}
