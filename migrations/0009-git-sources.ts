import type { Kysely } from 'kysely';

/**
 * Git-backed fleets: the commit a launch deployed (full SHA), the branch or tag it
 * was asked by (empty for a SHA), and the commit's subject; on launches and on the
 * approval requests that carry one out. Null for fleets read from a file, and for
 * rows made before this.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['deployments', 'approvals']) {
    for (const column of ['git_sha', 'git_ref', 'git_subject'])
      await db.schema.alterTable(table).addColumn(column, 'text').execute();
  }
}
