import type { Transport } from '../transport/transport.js';
import { parseJsonLines, serviceInspect, servicePs, taskInspect } from './argv.js';
import { parseTasks, type FleetSnapshot, type ServiceState } from './converge.js';

/** Nothing of the fleet ran: where the first launch of a fleet starts from. */
export const NOTHING_RAN: FleetSnapshot = { services: new Map(), tasks: [] };

/**
 * The services a `docker stack deploy` updated rather than created, by their Swarm
 * names, from its own output: `Updating service shop_web (id: 3f2a…)`; a new one is
 * `Creating service shop_db`.
 */
export function updatedServices(deployOutput: string): string[] {
  return [...deployOutput.matchAll(/^Updating service (\S+) \(id: /gm)].map((m) => m[1]!);
}

/**
 * An RFC 3339 time as Swarm writes it (`2026-11-27T07:20:01.123456789Z`) in
 * nanoseconds since the epoch, exactly: two events of one update can be less than a
 * millisecond apart, and a Date keeps milliseconds.
 */
export function epochNanos(time: string): bigint {
  const m = /^(.+T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new Error(`not an RFC 3339 time: ${time}`);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

interface UpdatedService extends ServiceState {
  /** The spec before the service's last update. */
  readonly PreviousSpec?: ServiceState['Spec'];
  /** When its spec was last updated. */
  readonly UpdatedAt?: string;
}

interface CreatedTask {
  readonly ID: string;
  readonly ServiceID: string;
  readonly CreatedAt: string;
}

/**
 * What ran before a deploy, for the services it updated, read after it: each service
 * as its `PreviousSpec` (its spec before this update), and the tasks created before
 * the update (Swarm's own `CreatedAt` and `UpdatedAt`). A fleet Otto never launched
 * is deployed without a read first; when the deploy's output says it updated services
 * (a stack deployed by hand, or a fresh database), this gives the launch the same old
 * tasks and changed services a read before the deploy would have.
 */
export async function readBeforeTheUpdate(
  transport: Transport,
  names: readonly string[],
  signal?: AbortSignal,
): Promise<FleetSnapshot> {
  if (names.length === 0) return NOTHING_RAN;
  const [inspect, ps] = await Promise.all([
    transport.run(serviceInspect(names), { signal }),
    transport.run(servicePs(names), { signal }),
  ]);
  const found = inspect.stdout.trim().startsWith('[')
    ? (JSON.parse(inspect.stdout) as UpdatedService[])
    : [];
  const tasks = parseTasks(ps.stdout);
  const created = tasks.length
    ? parseJsonLines<CreatedTask>(
        (await transport.run(taskInspect(tasks.map((t) => t.ID)), { signal })).stdout,
      )
    : [];
  const updatedAt = new Map(found.map((s) => [s.ID, s.UpdatedAt]));
  const old = new Set(
    created
      .filter((t) => {
        const at = updatedAt.get(t.ServiceID);
        return at !== undefined && epochNanos(t.CreatedAt) < epochNanos(at);
      })
      .map((t) => t.ID),
  );
  return {
    services: new Map(found.map((s) => [s.Spec.Name, { ...s, Spec: s.PreviousSpec ?? s.Spec }])),
    tasks: tasks.filter((t) => old.has(t.ID)),
  };
}
