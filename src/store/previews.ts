import type { Selectable } from 'kysely';
import type { Db, PreviewsTable } from './db.js';

/** A preview, as recorded. */
export type Preview = Readonly<Selectable<PreviewsTable>>;

/** What a launch of a preview records: everything but its message and state. */
export type NewPreview = Omit<Preview, 'messageRef' | 'messageDrawn' | 'state'>;

/**
 * The pull request previews. A preview is recorded (or updated, on a new push)
 * when its launch starts; once its stack is gone it is closed, and forgotten when
 * its message (if it has one) says so.
 */
export class Previews {
  constructor(private readonly db: Db) {}

  /** Records the preview, or its new head and expiry on a later push (a reopened one is live again). */
  async upsert(p: NewPreview): Promise<void> {
    await this.db
      .insertInto('previews')
      .values({ ...p, messageRef: null })
      .onConflict((oc) =>
        oc.column('fleet').doUpdateSet({
          headSha: p.headSha,
          headRef: p.headRef,
          openedBy: p.openedBy,
          updatedAt: p.updatedAt,
          expiresAt: p.expiresAt,
          state: 'live',
        }),
      )
      .execute();
  }

  /** A live preview. */
  get(fleet: string): Promise<Preview | undefined> {
    return this.db
      .selectFrom('previews')
      .selectAll()
      .where('fleet', '=', fleet)
      .where('state', '=', 'live')
      .executeTakeFirst();
  }

  /** Every live preview, or those of one parent fleet; by parent, then number. */
  list(parent?: string): Promise<Preview[]> {
    let q = this.db.selectFrom('previews').selectAll().where('state', '=', 'live');
    if (parent) q = q.where('parent', '=', parent);
    return q.orderBy('parent').orderBy('number').execute();
  }

  /** Every preview, live or closed: what messages may need drawing. */
  all(): Promise<Preview[]> {
    return this.db.selectFrom('previews').selectAll().orderBy('fleet').execute();
  }

  /** Live previews whose time is up at `now`. */
  expired(now: Date): Promise<Preview[]> {
    return this.db
      .selectFrom('previews')
      .selectAll()
      .where('state', '=', 'live')
      .where('expiresAt', '<=', now.toISOString())
      .execute();
  }

  /** Its stack is gone: forgotten at once without a message, else closed until the message says so. */
  async close(fleet: string): Promise<void> {
    await this.db
      .deleteFrom('previews')
      .where('fleet', '=', fleet)
      .where('messageRef', 'is', null)
      .execute();
    await this.db
      .updateTable('previews')
      .set({ state: 'closed' })
      .where('fleet', '=', fleet)
      .execute();
  }

  /** Remembers the message that shows the preview and what it shows. */
  async drawn(fleet: string, ref: string, drawn: string): Promise<void> {
    await this.db
      .updateTable('previews')
      .set({ messageRef: ref, messageDrawn: drawn })
      .where('fleet', '=', fleet)
      .execute();
  }

  async remove(fleet: string): Promise<void> {
    await this.db.deleteFrom('previews').where('fleet', '=', fleet).execute();
  }
}
