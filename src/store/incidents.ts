import type { Db, Incident, IncidentKind } from './db.js';

export interface NewIncident {
  readonly subject: string;
  readonly kind: IncidentKind;
  readonly cluster: string;
  readonly fleet?: string | undefined;
  readonly service?: string | undefined;
  readonly state: string;
  readonly reason: string;
  readonly openedAt: string;
}

/** Alert target → the message that shows an incident there. */
export type IncidentRefs = Readonly<Record<string, string>>;

export const refsOf = (i: Incident): IncidentRefs => JSON.parse(i.refs) as IncidentRefs;

/**
 * The subject of a service's memory-pressure incident, `memory:<cluster>:<swarm
 * service>`: apart from the service's health incident, which may be open at once.
 * `Subject` (subject.ts) has no memory kind yet; until it has, this builds the string.
 * @example memorySubject('prod', 'shop_web') // 'memory:prod:shop_web'
 */
export function memorySubject(cluster: string, service: string): string {
  return `memory:${cluster}:${service}`;
}

/**
 * What telemetry remembers in SQLite: the judged health of every subject, the
 * incidents and where they were posted, silences, and announced launches.
 */
export class Incidents {
  constructor(private readonly db: Db) {}

  async health<T>(subjects: readonly string[]): Promise<Map<string, T>> {
    if (subjects.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('watch_health')
      .select(['subject', 'record'])
      .where('subject', 'in', subjects)
      .execute();
    return new Map(rows.map((r) => [r.subject, JSON.parse(r.record) as T]));
  }

  async saveHealth(subject: string, record: unknown, now: string): Promise<void> {
    const json = JSON.stringify(record);
    await this.db
      .insertInto('watch_health')
      .values({ subject, record: json, updatedAt: now })
      .onConflict((oc) => oc.column('subject').doUpdateSet({ record: json, updatedAt: now }))
      .execute();
  }

  async open(i: NewIncident): Promise<Incident> {
    const existing = await this.current(i.subject);
    if (existing) return existing;
    return this.db
      .insertInto('incidents')
      .values({
        subject: i.subject,
        kind: i.kind,
        cluster: i.cluster,
        fleet: i.fleet ?? null,
        service: i.service ?? null,
        state: i.state,
        reason: i.reason,
        openedAt: i.openedAt,
        updatedAt: i.openedAt,
        remindedAt: i.openedAt,
        resolvedAt: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async byId(id: number): Promise<Incident | undefined> {
    return this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The open incident of a subject. */
  async current(subject: string): Promise<Incident | undefined> {
    return this.db
      .selectFrom('incidents')
      .selectAll()
      .where('subject', '=', subject)
      .where('resolvedAt', 'is', null)
      .executeTakeFirst();
  }

  async update(id: number, state: string, reason: string, now: string): Promise<void> {
    await this.db
      .updateTable('incidents')
      .set({ state, reason, updatedAt: now })
      .where('id', '=', id)
      .execute();
  }

  async reminded(id: number, now: string): Promise<void> {
    await this.db.updateTable('incidents').set({ remindedAt: now }).where('id', '=', id).execute();
  }

  async resolve(id: number, now: string): Promise<void> {
    await this.db
      .updateTable('incidents')
      .set({ resolvedAt: now, updatedAt: now })
      .where('id', '=', id)
      .execute();
  }

  async setRef(id: number, target: string, ref: string): Promise<void> {
    const row = await this.db
      .selectFrom('incidents')
      .select('refs')
      .where('id', '=', id)
      .executeTakeFirst();
    const refs = { ...(row ? (JSON.parse(row.refs) as IncidentRefs) : {}), [target]: ref };
    await this.db
      .updateTable('incidents')
      .set({ refs: JSON.stringify(refs) })
      .where('id', '=', id)
      .execute();
  }

  /** Open incidents, oldest first; of one cluster when given. */
  async openIncidents(cluster?: string): Promise<Incident[]> {
    let q = this.db.selectFrom('incidents').selectAll().where('resolvedAt', 'is', null);
    if (cluster) q = q.where('cluster', '=', cluster);
    return q.orderBy('openedAt').orderBy('id').execute();
  }
}
