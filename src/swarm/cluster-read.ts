import { parseTasks, type ServiceState, type TaskRow } from './converge.js';
import { classifyTaskError, type LaunchFailure } from './failure.js';
import { nodeLs, parseJsonLines, serviceInspect, serviceLs, servicePs } from './argv.js';
import type { Transport } from '../transport/transport.js';

/** What one reconcile pass saw of one service. */
export interface ServiceReading {
  /** The Swarm name: `myapp_web`. */
  readonly name: string;
  readonly fleet: string;
  /** The compose name: `web`. */
  readonly service: string;
  readonly running: number;
  readonly desired: number;
  readonly image: string;
  /** When its tasks failed or were rejected, oldest first (from Docker's "3 minutes ago"). */
  readonly failedAt: readonly string[];
  /** Why its newest failing task failed, when one did. */
  readonly reason: LaunchFailure | undefined;
  /** What its newest task is doing: `web.1 Starting 6 seconds ago`. */
  readonly newest: string | undefined;
  /** The healthcheck's start period, in seconds (0 without one). */
  readonly startPeriodSeconds: number;
}

export interface NodeReading {
  readonly hostname: string;
  /** Ready, Down, Unknown, Disconnected. */
  readonly status: string;
  /** Active, Pause, Drain. */
  readonly availability: string;
}

export interface ClusterReading {
  readonly services: readonly ServiceReading[];
  readonly nodes: readonly NodeReading[];
}

interface ServiceLsRow {
  readonly Name: string;
  readonly Replicas: string;
  readonly Image: string;
}

interface NodeLsRow {
  readonly Hostname: string;
  readonly Status: string;
  readonly Availability: string;
}

interface InspectedService extends ServiceState {
  readonly Spec: ServiceState['Spec'] & {
    readonly TaskTemplate?: {
      readonly ContainerSpec?: { readonly Healthcheck?: { readonly StartPeriod?: number } };
      readonly Placement?: { readonly Constraints?: string[] };
    };
  };
}

const UNIT_SECONDS: Record<string, number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86_400,
  week: 604_800,
  month: 2_592_000,
  year: 31_536_000,
};

/**
 * Reads how long ago a task state began from Docker's human duration
 * (`Failed 3 minutes ago`, `Rejected about an hour ago`, `Failed less than a second ago`).
 */
export function secondsAgo(state: string): number | undefined {
  const m = /(less than a|about an?|an?|\d+) (second|minute|hour|day|week|month|year)s? ago$/i.exec(
    state.trim(),
  );
  if (!m) return undefined;
  const count = m[1]!.toLowerCase();
  if (count.startsWith('less')) return 0;
  const n = /^\d+$/.test(count) ? Number(count) : 1;
  return n * UNIT_SECONDS[m[2]!.toLowerCase()]!;
}

/** A task that ended badly: failed, or rejected by the scheduler. */
const failedTask = (t: TaskRow) => /^(Failed|Rejected)\b/.test(t.CurrentState);

function failureTimes(tasks: readonly TaskRow[], now: number): string[] {
  return tasks
    .filter(failedTask)
    .map((t) => secondsAgo(t.CurrentState))
    .filter((s): s is number => s !== undefined)
    .map((s) => new Date(now - s * 1000).toISOString())
    .sort();
}

/** The newest task that carries an error: `service ps` lists each slot newest first. */
function newestError(tasks: readonly TaskRow[]): TaskRow | undefined {
  return [...tasks]
    .filter((t) => t.Error)
    .sort((a, b) => (secondsAgo(a.CurrentState) ?? 1e12) - (secondsAgo(b.CurrentState) ?? 1e12))[0];
}

function newestTask(tasks: readonly TaskRow[], fleet: string): string | undefined {
  const t = [...tasks].sort(
    (a, b) => (secondsAgo(a.CurrentState) ?? 1e12) - (secondsAgo(b.CurrentState) ?? 1e12),
  )[0];
  return t && `${t.Name.slice(fleet.length + 1).replace(/\.[a-z0-9]{20,}$/, '')} ${t.CurrentState}`;
}

/**
 * One reconcile pass over the given fleets of a cluster, in a fixed number of docker
 * calls whatever the number of fleets: one `service ls`, then at once one
 * `service inspect` and one `service ps` over the fleets' services, and `node ls`.
 */
export async function readCluster(
  transport: Transport,
  fleets: readonly string[],
  now: number = Date.now(),
  signal?: AbortSignal,
): Promise<ClusterReading> {
  const ls = await transport.run(serviceLs(), { signal, timeoutMs: 30_000 });
  if (ls.exitCode !== 0) throw new Error(ls.stderr.trim() || 'docker service ls failed');
  const owner = (name: string) => fleets.find((f) => name.startsWith(`${f}_`));
  const ours = parseJsonLines<ServiceLsRow>(ls.stdout).filter((r) => owner(r.Name));
  const names = ours.map((r) => r.Name);
  const [inspect, ps, nodes] = await Promise.all([
    names.length ? transport.run(serviceInspect(names), { signal, timeoutMs: 30_000 }) : undefined,
    names.length ? transport.run(servicePs(names), { signal, timeoutMs: 30_000 }) : undefined,
    transport.run(nodeLs(), { signal, timeoutMs: 30_000 }),
  ]);
  const inspected = inspect?.stdout.trim().startsWith('[')
    ? (JSON.parse(inspect.stdout) as InspectedService[])
    : [];
  const specs = new Map(inspected.map((s) => [s.Spec.Name, s]));
  const tasks = ps ? parseTasks(ps.stdout) : [];
  const services = ours.map((r): ServiceReading => {
    const fleet = owner(r.Name)!;
    const mine = tasks.filter((t) => t.Name.startsWith(`${r.Name}.`));
    const [, running = '0', desired = '0'] = /^(\d+)\/(\d+)/.exec(r.Replicas) ?? [];
    const spec = specs.get(r.Name)?.Spec.TaskTemplate;
    const failing = newestError(mine);
    return {
      name: r.Name,
      fleet,
      service: r.Name.slice(fleet.length + 1),
      running: Number(running),
      desired: Number(desired),
      image: r.Image,
      failedAt: failureTimes(mine, now),
      reason: failing
        ? classifyTaskError(
            r.Name.slice(fleet.length + 1),
            r.Image,
            failing.Error,
            spec?.Placement?.Constraints ?? [],
          )
        : undefined,
      newest: newestTask(mine, fleet),
      startPeriodSeconds: (spec?.ContainerSpec?.Healthcheck?.StartPeriod ?? 0) / 1e9,
    };
  });
  const nodeRows =
    nodes.exitCode === 0
      ? parseJsonLines<NodeLsRow>(nodes.stdout).map((n) => ({
          hostname: n.Hostname,
          status: n.Status,
          availability: n.Availability,
        }))
      : [];
  return { services, nodes: nodeRows };
}
