/**
 * Gauges of running tasks: what `docker stats --no-stream --format '{{json .}}'` on
 * the nodes that run them says, matched to Swarm tasks, summed per service. Pure:
 * the ops room runs the commands (one per node) and hands the answers here.
 */
import type { TaskRow } from './converge.js';
import { parseJsonLines } from './argv.js';

/** One row of `docker stats --format '{{json .}}'`: every value a string as the CLI prints it. */
interface StatsRow {
  readonly Name?: string;
  readonly CPUPerc?: string;
  readonly MemUsage?: string;
  readonly NetIO?: string;
  readonly BlockIO?: string;
}

/** One container's reading. `undefined` where Docker printed `--` (a container it could not read). */
export interface ContainerStats {
  readonly name: string;
  /** Percent of one CPU: 250 is two and a half cores busy. */
  readonly cpuPercent: number | undefined;
  readonly memoryBytes: number | undefined;
  /** The limit the kernel applies: the node's whole memory when the task has none. */
  readonly memoryLimitBytes: number | undefined;
  readonly netInBytes: number | undefined;
  readonly netOutBytes: number | undefined;
  readonly blockReadBytes: number | undefined;
  readonly blockWriteBytes: number | undefined;
}

/** Docker prints memory in binary units (`16.09MiB`) and I/O in decimal ones (`1.2kB`). */
const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  PB: 1e15,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  PiB: 2 ** 50,
};

/**
 * Bytes from a size as the docker CLI prints it; undefined for `--` or anything else.
 * Go's `%g` may print an exponent (`1e+03kB`).
 * @example parseBytes('16.09MiB') // 16871587
 * @example parseBytes('1.2kB') // 1200
 */
export function parseBytes(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([A-Za-z]+)$/.exec(text?.trim() ?? '');
  const unit = m ? UNITS[m[2]!] : undefined;
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : undefined;
}

/** @example parsePercent('99.66%') // 99.66; parsePercent('--') // undefined */
export function parsePercent(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

/** `used / limit`, `in / out`, `read / write`. */
function pair(text: string | undefined): [number | undefined, number | undefined] {
  const [a, b] = (text ?? '').split(' / ');
  return [parseBytes(a), parseBytes(b)];
}

/** Reads the answer of `dockerStats()` (argv.ts): one reading per running container. */
export function parseStats(stdout: string): ContainerStats[] {
  return parseJsonLines<StatsRow>(stdout)
    .filter((r) => r.Name)
    .map((r) => {
      const [memoryBytes, memoryLimitBytes] = pair(r.MemUsage);
      const [netInBytes, netOutBytes] = pair(r.NetIO);
      const [blockReadBytes, blockWriteBytes] = pair(r.BlockIO);
      return {
        name: r.Name!,
        cpuPercent: parsePercent(r.CPUPerc),
        memoryBytes,
        memoryLimitBytes,
        netInBytes,
        netOutBytes,
        blockReadBytes,
        blockWriteBytes,
      };
    });
}

/* ---- Which tasks run where ---- */

/** A task meant to run, from `runningTasks()` (argv.ts). */
export interface RunningTask {
  readonly id: string;
  /** The slot's name: `shop_web.1`, or `shop_web.<node id>` for a global service. */
  readonly name: string;
  /** The Swarm service: `shop_web`. */
  readonly service: string;
  /** The node's hostname. */
  readonly node: string;
  /** `Running 3 minutes ago`, `Starting 2 seconds ago`. */
  readonly state: string;
}

/**
 * The tasks of `services` that are meant to run and have a node, from `docker service
 * ps` rows (a service name may hold dots: the longest one that prefixes the task wins).
 */
export function runningTasksOf(
  rows: readonly TaskRow[],
  services: readonly string[],
): RunningTask[] {
  const byLength = [...services].sort((a, b) => b.length - a.length);
  const tasks: RunningTask[] = [];
  for (const r of rows) {
    if (r.DesiredState !== 'Running' || !r.Node || !/^(Running|Starting)\b/.test(r.CurrentState))
      continue;
    const service = byLength.find((s) => r.Name.startsWith(`${s}.`));
    if (service)
      tasks.push({ id: r.ID, name: r.Name, service, node: r.Node, state: r.CurrentState });
  }
  return tasks;
}

/**
 * The container Swarm runs a task in: `<slot name>.<task id>`
 * (`shop_web.1.k2v…`, `shop_agent.<node id>.p9x…`), as `docker stats` names it.
 */
export function containerName(task: Pick<RunningTask, 'name' | 'id'>): string {
  return `${task.name}.${task.id}`;
}

/**
 * A task as people read it, without its fleet: `web.1`; a global service's task
 * (one per node, named after the node's id) is just `web`.
 * @example taskLabel('shop_web.2', 'shop') // 'web.2'
 */
export function taskLabel(name: string, fleet: string): string {
  const bare = name.startsWith(`${fleet}_`) ? name.slice(fleet.length + 1) : name;
  return bare.replace(/\.[a-z0-9]{25}$/, '');
}

/** The memory limits of services with one, from `docker service inspect`: Swarm name → bytes. */
export function memoryLimits(inspectStdout: string): Map<string, number> {
  const limits = new Map<string, number>();
  if (!inspectStdout.trim().startsWith('[')) return limits;
  const specs = JSON.parse(inspectStdout) as {
    Spec?: {
      Name?: string;
      TaskTemplate?: { Resources?: { Limits?: { MemoryBytes?: number } } };
    };
  }[];
  for (const s of specs) {
    const bytes = s.Spec?.TaskTemplate?.Resources?.Limits?.MemoryBytes;
    if (s.Spec?.Name && bytes && bytes > 0) limits.set(s.Spec.Name, bytes);
  }
  return limits;
}

/** A Swarm node, as `docker node inspect` tells where it is. */
export interface SwarmNode {
  readonly id: string;
  readonly hostname: string;
  /** Its address as the managers see it (`10.0.0.7`). */
  readonly addr: string;
  readonly manager: boolean;
}

interface InspectedNode {
  readonly ID?: string;
  readonly Description?: { readonly Hostname?: string };
  readonly Status?: { readonly Addr?: string };
  readonly ManagerStatus?: { readonly Addr?: string };
}

/**
 * Reads `docker node inspect` (a JSON array; what it printed of the nodes it found
 * when others were not). A manager's `Status.Addr` may read `0.0.0.0`: its Swarm
 * address (`10.0.0.1:2377`) then says where it is.
 */
export function parseNodes(stdout: string): SwarmNode[] {
  if (!stdout.trim().startsWith('[')) return [];
  return (JSON.parse(stdout) as InspectedNode[]).map((n) => {
    const status = n.Status?.Addr ?? '';
    const swarm = (n.ManagerStatus?.Addr ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    return {
      id: n.ID ?? '',
      hostname: n.Description?.Hostname ?? '',
      addr: status && status !== '0.0.0.0' ? status : swarm || status,
      manager: n.ManagerStatus !== undefined,
    };
  });
}

/* ---- Gauges ---- */

/** One task's reading. */
export interface TaskGauge {
  /** The Swarm service: `shop_web`. */
  readonly service: string;
  /** The slot's name: `shop_web.1`. */
  readonly task: string;
  readonly node: string;
  readonly cpuPercent: number | undefined;
  readonly memoryBytes: number | undefined;
  /** The service's memory limit; undefined when it has none. */
  readonly memoryLimitBytes: number | undefined;
  readonly netInBytes: number | undefined;
  readonly netOutBytes: number | undefined;
  readonly blockReadBytes: number | undefined;
  readonly blockWriteBytes: number | undefined;
}

/**
 * Matches readings to tasks by container name. `stats` holds the readings of the
 * nodes that were read, by hostname: a task on another node is not in either list
 * (the caller names that node). `unread`: tasks whose node was read but showed no
 * container for them (starting, or just stopped).
 */
export function gaugeTasks(
  tasks: readonly RunningTask[],
  stats: ReadonlyMap<string, readonly ContainerStats[]>,
  limits: ReadonlyMap<string, number>,
): { gauges: TaskGauge[]; unread: RunningTask[] } {
  const gauges: TaskGauge[] = [];
  const unread: RunningTask[] = [];
  for (const t of tasks) {
    const read = stats.get(t.node);
    if (!read) continue;
    const name = containerName(t);
    const s = read.find((c) => c.name === name);
    if (!s) {
      unread.push(t);
      continue;
    }
    gauges.push({
      service: t.service,
      task: t.name,
      node: t.node,
      cpuPercent: s.cpuPercent,
      memoryBytes: s.memoryBytes,
      memoryLimitBytes: limits.get(t.service),
      netInBytes: s.netInBytes,
      netOutBytes: s.netOutBytes,
      blockReadBytes: s.blockReadBytes,
      blockWriteBytes: s.blockWriteBytes,
    });
  }
  return { gauges, unread };
}

/** A service's tasks summed. */
export interface ServiceGauge {
  readonly service: string;
  readonly tasks: number;
  readonly nodes: readonly string[];
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  /** The limits of its tasks summed; undefined when a task has none. */
  readonly memoryLimitBytes: number | undefined;
  readonly netInBytes: number;
  readonly netOutBytes: number;
  readonly blockReadBytes: number;
  readonly blockWriteBytes: number;
}

/** Sums task readings per service, by service name (`--` readings count as nothing). */
export function sumByService(gauges: readonly TaskGauge[]): ServiceGauge[] {
  const byService = new Map<string, TaskGauge[]>();
  for (const g of gauges) byService.set(g.service, [...(byService.get(g.service) ?? []), g]);
  const sum = (list: readonly TaskGauge[], pick: (g: TaskGauge) => number | undefined) =>
    list.reduce((n, g) => n + (pick(g) ?? 0), 0);
  return [...byService]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, list]) => ({
      service,
      tasks: list.length,
      nodes: [...new Set(list.map((g) => g.node))].sort(),
      cpuPercent: sum(list, (g) => g.cpuPercent),
      memoryBytes: sum(list, (g) => g.memoryBytes),
      memoryLimitBytes: list.every((g) => g.memoryLimitBytes)
        ? sum(list, (g) => g.memoryLimitBytes)
        : undefined,
      netInBytes: sum(list, (g) => g.netInBytes),
      netOutBytes: sum(list, (g) => g.netOutBytes),
      blockReadBytes: sum(list, (g) => g.blockReadBytes),
      blockWriteBytes: sum(list, (g) => g.blockWriteBytes),
    }));
}

/** Percent of its memory limit a reading uses; undefined without a limit. */
export function memoryPercent(g: {
  readonly memoryBytes: number | undefined;
  readonly memoryLimitBytes: number | undefined;
}): number | undefined {
  return g.memoryLimitBytes && g.memoryBytes !== undefined
    ? (g.memoryBytes / g.memoryLimitBytes) * 100
    : undefined;
}

/** The `n` tasks that use the most CPU, and the `n` that use the most memory (none of 0). */
export function topConsumers(
  gauges: readonly TaskGauge[],
  n = 3,
): { readonly cpu: TaskGauge[]; readonly memory: TaskGauge[] } {
  const most = (pick: (g: TaskGauge) => number | undefined) =>
    gauges
      .filter((g) => (pick(g) ?? 0) > 0)
      .sort((a, b) => (pick(b) ?? 0) - (pick(a) ?? 0) || a.task.localeCompare(b.task))
      .slice(0, n);
  return { cpu: most((g) => g.cpuPercent), memory: most((g) => g.memoryBytes) };
}

/* ---- As people read them ---- */

/**
 * A size with three significant digits: memory in binary units as Docker prints
 * it, I/O in decimal ones.
 * @example formatBytes(16871587) // '16.1 MiB'
 * @example formatBytes(1200, 'decimal') // '1.2 kB'
 */
export function formatBytes(bytes: number, base: 'binary' | 'decimal' = 'binary'): string {
  const step = base === 'binary' ? 1024 : 1000;
  const units =
    base === 'binary' ? ['B', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= step && i < units.length - 1) {
    n /= step;
    i++;
  }
  const digits = i === 0 || n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${Number(n.toFixed(digits))} ${units[i]}`;
}

/** @example formatPercent(99.66) // '99.7%' */
export function formatPercent(p: number | undefined): string {
  return p === undefined ? '--' : `${p.toFixed(1)}%`;
}

/** `16.1 MiB / 20 MiB (80%)`, `1.2 MiB (no limit)`, `--`. */
export function formatMemory(g: {
  readonly memoryBytes: number | undefined;
  readonly memoryLimitBytes: number | undefined;
}): string {
  if (g.memoryBytes === undefined) return '--';
  const used = formatBytes(g.memoryBytes);
  const pct = memoryPercent(g);
  return g.memoryLimitBytes && pct !== undefined
    ? `${used} / ${formatBytes(g.memoryLimitBytes)} (${Math.round(pct)}%)`
    : `${used} (no limit)`;
}

/** `1.2 kB / 3.4 kB`: in / out, or read / write. */
export function formatIo(a: number | undefined, b: number | undefined): string {
  const one = (n: number | undefined) => (n === undefined ? '--' : formatBytes(n, 'decimal'));
  return `${one(a)} / ${one(b)}`;
}
