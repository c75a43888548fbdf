import type { Selectable } from 'kysely';
import type { Db, OutpostRole, OutpostsTable } from './db.js';

/** One server Otto added to a cluster itself, as recorded. */
export type Outpost = Readonly<Selectable<OutpostsTable>>;

/** Where an outpost is: a cluster's host and SSH port. One row per place. */
export interface OutpostPlace {
  readonly cluster: string;
  readonly host: string;
  readonly port: number;
}

/** What `otto outpost add` knows once a node passed its checks. */
export interface NewOutpost extends OutpostPlace {
  readonly user: string;
  /** The private key file Otto logs in with (a path on Otto's machine). */
  readonly keyFile: string;
  readonly role: OutpostRole;
  /** The confirmed host key: `SHA256:…`. */
  readonly fingerprint: string;
  /** The Swarm node id, when already known. */
  readonly nodeId?: string | null;
  /** Who added it: `console:alice`, `slack:U123`. */
  readonly addedBy: string;
}

/** What {@link Outposts.add} did: `added: false` hands back the row already there, unchanged. */
export type AddResult =
  | { readonly added: true; readonly outpost: Outpost }
  | { readonly added: false; readonly outpost: Outpost };

/**
 * The outposts Otto added (`otto outpost add`), per cluster. otto.yml is never
 * rewritten: the managers recorded here join a cluster's failover list after the
 * ones written there, in the order they were added.
 *
 * @example
 * const outposts = new Outposts(db);
 * await outposts.add({ cluster: 'prod', host: '10.0.0.5', port: 22, user: 'deploy',
 *   keyFile: '/home/otto/.ssh/id_ed25519', role: 'worker',
 *   fingerprint: 'SHA256:Rj6…', addedBy: 'console:alice' });
 * await outposts.setNodeId({ cluster: 'prod', host: '10.0.0.5', port: 22 }, 'p9x2…');
 */
export class Outposts {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Records a new outpost. One already recorded at the same place is left as it is
   * and handed back with `added: false` (adding a node twice changes nothing).
   */
  async add(o: NewOutpost): Promise<AddResult> {
    const r = await this.db
      .insertInto('outposts')
      .values(this.row(o))
      .onConflict((oc) => oc.columns(['cluster', 'host', 'port']).doNothing())
      .executeTakeFirst();
    const outpost = await this.get(o);
    if (!outpost) throw new Error(`outposts: ${place(o)} vanished while it was added`);
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0
      ? { added: true, outpost }
      : { added: false, outpost };
  }

  /**
   * Records an outpost, replacing what was known of the same place (user, key,
   * role, fingerprint, node id) but keeping when and by whom it was first added.
   */
  async record(o: NewOutpost): Promise<Outpost> {
    const row = this.row(o);
    await this.db
      .insertInto('outposts')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['cluster', 'host', 'port']).doUpdateSet({
          user: row.user,
          keyFile: row.keyFile,
          role: row.role,
          fingerprint: row.fingerprint,
          nodeId: row.nodeId,
        }),
      )
      .execute();
    const outpost = await this.get(o);
    if (!outpost) throw new Error(`outposts: ${place(o)} vanished while it was recorded`);
    return outpost;
  }

  /** Every outpost (of one cluster, or of all), by cluster, then in the order they were added. */
  async list(cluster?: string): Promise<readonly Outpost[]> {
    let q = this.db.selectFrom('outposts').selectAll();
    if (cluster !== undefined) q = q.where('cluster', '=', cluster);
    return q.orderBy('cluster').orderBy('addedAt').orderBy('host').orderBy('port').execute();
  }

  /** The outpost at a place, if recorded. */
  async get(at: OutpostPlace): Promise<Outpost | undefined> {
    return this.db
      .selectFrom('outposts')
      .selectAll()
      .where('cluster', '=', at.cluster)
      .where('host', '=', at.host)
      .where('port', '=', at.port)
      .executeTakeFirst();
  }

  /** The outpost of a cluster that is the Swarm node `nodeId`, if recorded. */
  async byNodeId(cluster: string, nodeId: string): Promise<Outpost | undefined> {
    return this.db
      .selectFrom('outposts')
      .selectAll()
      .where('cluster', '=', cluster)
      .where('nodeId', '=', nodeId)
      .executeTakeFirst();
  }

  /** Forgets an outpost; false when none was recorded there. */
  async remove(at: OutpostPlace): Promise<boolean> {
    const r = await this.db
      .deleteFrom('outposts')
      .where('cluster', '=', at.cluster)
      .where('host', '=', at.host)
      .where('port', '=', at.port)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Sets (or clears, with null) the Swarm node id of an outpost; false when none is recorded there. */
  async setNodeId(at: OutpostPlace, nodeId: string | null): Promise<boolean> {
    const r = await this.db
      .updateTable('outposts')
      .set({ nodeId })
      .where('cluster', '=', at.cluster)
      .where('host', '=', at.host)
      .where('port', '=', at.port)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  private row(o: NewOutpost): Selectable<OutpostsTable> {
    return {
      cluster: o.cluster,
      host: o.host,
      port: o.port,
      user: o.user,
      keyFile: o.keyFile,
      role: o.role,
      fingerprint: o.fingerprint,
      nodeId: o.nodeId ?? null,
      addedAt: this.now().toISOString(),
      addedBy: o.addedBy,
    };
  }
}

function place(at: OutpostPlace): string {
  return `${at.cluster}/${at.host}:${at.port}`;
}
