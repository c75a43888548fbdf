import type { Db, Operation, OperationKind, OperationStatus } from './db.js';
import { HOSTNAME, ownerIsDead, type Owner } from './process-alive.js';

export interface StartOperation {
  readonly fleet: string;
  readonly kind: OperationKind;
  /** The compose service (`web`), not the Swarm name. */
  readonly service: string;
  /** What changes, in words: `replicas 2 → 4`; empty for a restart. */
  readonly detail?: string;
  readonly actor: string;
}

/**
 * Restarts and scales: changes to a running fleet that are not a new version. One
 * row each, `running` while Otto waits for the Swarm, then succeeded, failed or
 * interrupted; the flight log shows them between the launches.
 *
 * @example
 * const op = await operations.start({ fleet: 'shop', kind: 'restart', service: 'web', actor: 'slack:U1' });
 * await operations.finish(op, 'succeeded', null);
 */
export class Operations {
  constructor(private readonly db: Db) {}

  start(input: StartOperation): Promise<Operation> {
    return this.db
      .insertInto('operations')
      .values({
        fleet: input.fleet,
        kind: input.kind,
        service: input.service,
        detail: input.detail ?? '',
        actor: input.actor,
        status: 'running',
        reason: null,
        pid: process.pid,
        hostname: HOSTNAME,
        startedAt: new Date().toISOString(),
        finishedAt: null,
        durationMs: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** running → `status`, once: a row already finished (reaped) is returned as it is. */
  async finish(
    row: Operation,
    status: Exclude<OperationStatus, 'running'>,
    reason: string | null,
  ): Promise<Operation> {
    const finished = new Date();
    const done = await this.db
      .updateTable('operations')
      .set({
        status,
        reason,
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - Date.parse(row.startedAt),
      })
      .where('id', '=', row.id)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    return done ?? (await this.get(row.id)) ?? row;
  }

  get(id: number): Promise<Operation | undefined> {
    return this.db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The fleet's newest operations, newest first. */
  list(fleet: string, limit: number): Promise<Operation[]> {
    return this.db
      .selectFrom('operations')
      .selectAll()
      .where('fleet', '=', fleet)
      .orderBy('startedAt', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Marks `running` rows of dead processes on this machine, and of `gone`, `interrupted`. */
  async reapInterrupted(gone?: Owner): Promise<Operation[]> {
    const rows = await this.db
      .selectFrom('operations')
      .selectAll()
      .where('status', '=', 'running')
      .where('hostname', 'in', [HOSTNAME, gone?.hostname ?? HOSTNAME])
      .execute();
    const dead = rows.filter((r) => ownerIsDead(r, gone));
    const reaped: Operation[] = [];
    for (const op of dead) {
      reaped.push(
        await this.finish(op, 'interrupted', `Otto stopped before the ${op.kind} finished.`),
      );
    }
    return reaped;
  }
}
