import type { Kysely } from 'kysely';

/**
 * Where a chat adapter drew an approval request (`slack:C123:1712345678.000100`),
 * and which state of it that message shows, so that an approval typed anywhere,
 * in any process, or an expiry, is drawn onto the request's own message.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('approvals').addColumn('message_ref', 'text').execute();
  await db.schema.alterTable('approvals').addColumn('message_drawn', 'text').execute();
  await db.schema
    .createIndex('approvals_message_ref')
    .on('approvals')
    .column('message_ref')
    .where('message_ref', 'is not', null)
    .execute();
}
