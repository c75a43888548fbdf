import type { Db, Silence } from './db.js';

/** Silences: a fleet's (or a service's) alerts muted until a time. */
export class Silences {
  constructor(private readonly db: Db) {}

  /** Mutes a fleet (or one service) until `until`. */
  async add(
    fleet: string,
    service: string | undefined,
    until: string,
    actor: string,
    now: string,
  ): Promise<void> {
    await this.db
      .insertInto('silences')
      .values({ fleet, service: service ?? null, until, actor, createdAt: now })
      .execute();
  }

  /** Ends the silences of a fleet (or of one service) now; false when there was none. */
  async lift(fleet: string, service: string | undefined, now: string): Promise<boolean> {
    const r = await this.db
      .updateTable('silences')
      .set({ until: now })
      .where('fleet', '=', fleet)
      .where('until', '>', now)
      .where((eb) => (service ? eb('service', '=', service) : eb.lit(true)))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** The silence that covers a fleet's service now (the one lasting longest), if any. */
  async covering(fleet: string, service: string | null, now: string): Promise<Silence | undefined> {
    return this.db
      .selectFrom('silences')
      .selectAll()
      .where('fleet', '=', fleet)
      .where('until', '>', now)
      .where((eb) =>
        service === null
          ? eb('service', 'is', null)
          : eb.or([eb('service', 'is', null), eb('service', '=', service)]),
      )
      .orderBy('until', 'desc')
      .executeTakeFirst();
  }
}
