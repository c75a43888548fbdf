import { LockHeldError } from '../errors.js';
import type { Db, Lock } from './db.js';
import { HOSTNAME, ownerIsDead, type Owner } from './process-alive.js';

/** A lock taken by a running launch is owned by its process; a `lock` command's is manual. */
function orphaned(lock: Lock, gone?: Owner): boolean {
  return lock.manual === 0 && ownerIsDead(lock, gone);
}

/**
 * One lock per fleet, taken atomically with an INSERT that SQLite refuses when a
 * row exists. A launch's lock whose process died on this machine is taken over; a
 * manual lock stays until someone unlocks it.
 */
export class Locks {
  constructor(private readonly db: Db) {}

  async acquire(
    fleet: string,
    holder: string,
    reason: string,
    options: { manual?: boolean; requestId?: number } = {},
  ): Promise<Lock> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const row: Lock = {
        fleet,
        holder,
        reason,
        pid: process.pid,
        hostname: HOSTNAME,
        acquiredAt: new Date().toISOString(),
        manual: options.manual ? 1 : 0,
        requestId: options.requestId ?? null,
      };
      const res = await this.db
        .insertInto('locks')
        .values(row)
        .onConflict((oc) => oc.column('fleet').doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) === 1) return row;
      const held = await this.get(fleet);
      if (!held) continue;
      if (orphaned(held)) {
        await this.db
          .deleteFrom('locks')
          .where('fleet', '=', fleet)
          .where('pid', '=', held.pid)
          .where('hostname', '=', held.hostname)
          .where('manual', '=', 0)
          .execute();
        continue;
      }
      throw lockHeld(held);
    }
    const held = await this.get(fleet);
    if (held) throw lockHeld(held);
    throw new LockHeldError(fleet, 'someone', new Date().toISOString(), 'busy', false, null);
  }

  /** Releases the lock this process took for a launch. */
  async release(fleet: string): Promise<void> {
    await this.db
      .deleteFrom('locks')
      .where('fleet', '=', fleet)
      .where('pid', '=', process.pid)
      .where('hostname', '=', HOSTNAME)
      .where('manual', '=', 0)
      .execute();
  }

  /** Removes the lock `expected` if it is still the one held (unlock). */
  async remove(expected: Lock): Promise<boolean> {
    const res = await this.db
      .deleteFrom('locks')
      .where('fleet', '=', expected.fleet)
      .where('holder', '=', expected.holder)
      .where('acquiredAt', '=', expected.acquiredAt)
      .executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  /** Throws LockHeldError when someone froze the fleet with `lock` (a launch's lock doesn't count). */
  async refuseIfFrozen(fleet: string): Promise<void> {
    const held = await this.get(fleet);
    if (held?.manual) throw lockHeld(held);
  }

  list(): Promise<Lock[]> {
    return this.db.selectFrom('locks').selectAll().orderBy('fleet').execute();
  }

  /** Which of these fleets are locked now (by a launch or a person). */
  async heldAmong(fleets: readonly string[]): Promise<Set<string>> {
    if (fleets.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('locks')
      .select('fleet')
      .where('fleet', 'in', fleets)
      .execute();
    return new Set(rows.map((r) => r.fleet));
  }

  get(fleet: string): Promise<Lock | undefined> {
    return this.db.selectFrom('locks').selectAll().where('fleet', '=', fleet).executeTakeFirst();
  }

  /** Drops launch locks left by dead processes on this machine, and by `gone`. Returns the fleets freed. */
  async reap(gone?: Owner): Promise<string[]> {
    const rows = await this.db
      .selectFrom('locks')
      .selectAll()
      .where('hostname', 'in', [HOSTNAME, gone?.hostname ?? HOSTNAME])
      .where('manual', '=', 0)
      .execute();
    const dead = rows.filter((l) => orphaned(l, gone));
    for (const l of dead) {
      await this.db
        .deleteFrom('locks')
        .where('fleet', '=', l.fleet)
        .where('pid', '=', l.pid)
        .where('manual', '=', 0)
        .execute();
    }
    return dead.map((l) => l.fleet);
  }
}

function lockHeld(l: Lock): LockHeldError {
  return new LockHeldError(l.fleet, l.holder, l.acquiredAt, l.reason, l.manual === 1, l.requestId);
}
