import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.js';
import { HOSTNAME } from './process-alive.js';

/** The lease of the one active `otto start`, as recorded. */
export interface LeaseHolder {
  readonly holder: string;
  readonly hostname: string;
  readonly pid: number;
  /** When it became active (ms since the epoch). */
  readonly since: number;
  readonly expiresAt: number;
}

/** What trying to become active found. */
export type Acquired =
  | { readonly active: true; readonly previous?: LeaseHolder }
  | { readonly active: false; readonly holder: LeaseHolder };

const ROW = 'active';

/**
 * The lease row that makes one `otto start` the active one on a database: taken
 * atomically, renewed by its holder, and taken over by another only once it has
 * expired (a holder that dies stops renewing).
 * Expiry is wall-clock time of the hosts involved: keep their clocks in sync (NTP),
 * as Swarm itself needs.
 */
export class Lease {
  /** This process: `<hostname>:<pid>:<random>`, so a restarted pid is someone else. */
  readonly me: string;

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly pid = process.pid,
    private readonly hostname = HOSTNAME,
  ) {
    this.me = `${hostname}:${pid}:${randomBytes(4).toString('hex')}`;
  }

  /** Who holds the database now (expired or not), if anyone ever did. */
  async read(): Promise<LeaseHolder | undefined> {
    return this.db
      .selectFrom('leases')
      .select(['holder', 'hostname', 'pid', 'since', 'expiresAt'])
      .where('name', '=', ROW)
      .executeTakeFirst();
  }

  /**
   * Becomes the active instance when nobody is, when the holder's lease expired (then
   * `previous` names it: its unfinished work is to be cleaned up), or when it is
   * already this process. Otherwise says who holds it. The take is one UPSERT whose
   * WHERE only lets it through for a free, expired or own row, so two standbys can't
   * both win.
   */
  async acquire(now = Date.now()): Promise<Acquired> {
    const before = await this.read();
    await sql`
      INSERT INTO leases (name, holder, hostname, pid, since, expires_at)
      VALUES (${ROW}, ${this.me}, ${this.hostname}, ${this.pid}, ${now}, ${now + this.ttlMs})
      ON CONFLICT (name) DO UPDATE SET
        holder = excluded.holder, hostname = excluded.hostname, pid = excluded.pid,
        since = CASE WHEN leases.holder = excluded.holder THEN leases.since ELSE excluded.since END,
        expires_at = excluded.expires_at
      WHERE leases.holder = excluded.holder OR leases.expires_at <= ${now}`.execute(this.db);
    const after = await this.read();
    if (!after || after.holder !== this.me) return { active: false, holder: after ?? before! };
    return before && before.holder !== this.me
      ? { active: true, previous: before }
      : { active: true };
  }

  /** Extends this process's lease. False when it is no longer this process's (lost). */
  async renew(now = Date.now()): Promise<boolean> {
    const r = await this.db
      .updateTable('leases')
      .set({ expiresAt: now + this.ttlMs })
      .where('name', '=', ROW)
      .where('holder', '=', this.me)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Gives the lease up (a clean stop): a standby takes over at its next look. */
  async release(): Promise<void> {
    await this.db
      .deleteFrom('leases')
      .where('name', '=', ROW)
      .where('holder', '=', this.me)
      .execute();
  }
}
