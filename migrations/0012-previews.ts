import type { Kysely } from 'kysely';

/**
 * Pull request previews: one row per live preview (`shop-pr-42`): its parent fleet,
 * the pull request's number, the head commit it runs, who opened or pushed it,
 * when it expires, and the chat message that shows it. The row goes when the
 * preview's stack is removed (and, when it has a message, that message says so);
 * its launches stay in the deployments table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('previews')
    .addColumn('fleet', 'text', (c) => c.primaryKey())
    .addColumn('parent', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('head_sha', 'text', (c) => c.notNull())
    .addColumn('head_ref', 'text', (c) => c.notNull())
    .addColumn('domain', 'text', (c) => c.notNull())
    .addColumn('opened_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('message_ref', 'text')
    /** What the message shows now (a hash of its text), to know when to edit it. */
    .addColumn('message_drawn', 'text')
    /** `live`, or `closed` once its stack is gone and until its message says so. */
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('live'))
    .execute();
}
