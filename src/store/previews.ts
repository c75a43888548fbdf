import type { Selectable } from 'kysely';
import type { Db, PreviewsTable } from './db.js';

/** A live preview, as recorded. */
export type Preview = Readonly<Selectable<PreviewsTable>>;

/**
 * The live pull request previews. A preview is recorded (or updated, on a new
 * push) when its launch starts, and removed once its stack is gone.
 */
export class Previews {
  constructor(private readonly db: Db) {}

  /** Records the preview, or its new head and expiry on a later push. */
  async upsert(p: Omit<Preview, 'messageRef'>): Promise<void> {
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
        }),
      )
      .execute();
  }

  get(fleet: string): Promise<Preview | undefined> {
    return this.db.selectFrom('previews').selectAll().where('fleet', '=', fleet).executeTakeFirst();
  }

  /** Every live preview, or those of one parent fleet; by parent, then number. */
  list(parent?: string): Promise<Preview[]> {
    let q = this.db.selectFrom('previews').selectAll();
    if (parent) q = q.where('parent', '=', parent);
    return q.orderBy('parent').orderBy('number').execute();
  }

  /** Previews whose time is up at `now`. */
  expired(now: Date): Promise<Preview[]> {
    return this.db
      .selectFrom('previews')
      .selectAll()
      .where('expiresAt', '<=', now.toISOString())
      .execute();
  }

  async remove(fleet: string): Promise<void> {
    await this.db.deleteFrom('previews').where('fleet', '=', fleet).execute();
  }
}
