import { LockHeldError } from '../errors.js';
import type { Db, Lock } from './db.js';
import { HOSTNAME, ownerIsDead } from './process-alive.js';

/**
 * One lock per fleet, taken atomically with an INSERT that SQLite refuses when a
 * row exists. A lock whose process died on this machine is taken over.
 */
export class Locks {
  constructor(private readonly db: Db) {}

  async acquire(fleet: string, holder: string, reason: string): Promise<Lock> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const row: Lock = {
        fleet,
        holder,
        reason,
        pid: process.pid,
        hostname: HOSTNAME,
        acquired_at: new Date().toISOString(),
      };
      const res = await this.db
        .insertInto('locks')
        .values(row)
        .onConflict((oc) => oc.column('fleet').doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) === 1) return row;
      const held = await this.get(fleet);
      if (!held) continue;
      if (ownerIsDead(held)) {
        await this.db
          .deleteFrom('locks')
          .where('fleet', '=', fleet)
          .where('pid', '=', held.pid)
          .where('hostname', '=', held.hostname)
          .execute();
        continue;
      }
      throw new LockHeldError(fleet, held.holder, held.acquired_at, held.reason);
    }
    const held = await this.get(fleet);
    throw new LockHeldError(
      fleet,
      held?.holder ?? 'someone',
      held?.acquired_at ?? 'just now',
      held?.reason ?? 'busy',
    );
  }

  /** Releases a lock this process holds. */
  async release(fleet: string): Promise<void> {
    await this.db
      .deleteFrom('locks')
      .where('fleet', '=', fleet)
      .where('pid', '=', process.pid)
      .where('hostname', '=', HOSTNAME)
      .execute();
  }

  get(fleet: string): Promise<Lock | undefined> {
    return this.db.selectFrom('locks').selectAll().where('fleet', '=', fleet).executeTakeFirst();
  }

  /** Drops locks left by dead processes on this machine. Returns the fleets freed. */
  async reap(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('locks')
      .selectAll()
      .where('hostname', '=', HOSTNAME)
      .execute();
    const dead = rows.filter(ownerIsDead);
    for (const l of dead) {
      await this.db
        .deleteFrom('locks')
        .where('fleet', '=', l.fleet)
        .where('pid', '=', l.pid)
        .execute();
    }
    return dead.map((l) => l.fleet);
  }
}
