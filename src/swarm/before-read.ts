import type { Transport } from '../transport/transport.js';
import { parseJsonLines, serviceInspect, servicePs, taskInspect } from './argv.js';
import { parseTasks, type FleetSnapshot, type ServiceState } from './converge.js';
import { epochNanos } from './swarm-time.js';

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

interface CreatedTask {
  readonly ID: string;
  readonly ServiceID: string;
  readonly CreatedAt: string;
}

/**
 * What ran before a deploy, for the services it updated, read after it: the tasks
 * created before the service was last written (Swarm's own `CreatedAt` and
 * `UpdatedAt`), so the launch waits for new ones as a read before the deploy would
 * have. (Swarm writes the service again as its update starts and ends: read after an
 * update already ended, its new tasks count as old, and the 5 s window of
 * `UNSURE_WINDOW_MS` in converge.ts ends the wait instead.) A fleet Otto never
 * launched is deployed without a read first; this is for when the deploy's output says
 * it updated services (a stack deployed by hand, or a fresh database). Whether a
 * service changed is left to Swarm (`unsure`): the spec Docker hands back as
 * `PreviousSpec` differs from the new one even when nothing changed (the CLI fills
 * defaults on update), so comparing the two would wait for a rollout that never comes.
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
    ? (JSON.parse(inspect.stdout) as ServiceState[])
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
    services: new Map(found.map((s) => [s.Spec.Name, s])),
    tasks: tasks.filter((t) => old.has(t.ID)),
    unsure: new Set(found.map((s) => s.Spec.Name)),
  };
}
