import {
  dockerStats,
  parseJsonLines,
  runningTasks,
  serviceInspect,
  serviceLs,
} from '../swarm/argv.js';
import { parseTasks } from '../swarm/converge.js';
import {
  gaugeTasks,
  memoryLimits,
  parseStats,
  runningTasksOf,
  sumByService,
  type ContainerStats,
  type RunningTask,
  type ServiceGauge,
  type TaskGauge,
} from '../swarm/stats.js';
import type { MemoryObservation, MemoryReadingOf } from '../swarm/health.js';
import type { RunOptions, RunResult, Transport } from '../transport/transport.js';
import { NodeReach, type Unreached } from './node-reach.js';
import type { Ops } from './ops.js';

/** A node Otto could not gauge, and the tasks it runs that are therefore missing. */
export interface UngaugedNode extends Unreached {
  /** Slot names: `shop_web.2`. */
  readonly tasks: readonly string[];
}

/** What the services of some fleets use, task by task and summed per service. */
export interface Gauges {
  readonly tasks: readonly TaskGauge[];
  readonly services: readonly ServiceGauge[];
  readonly ungauged: readonly UngaugedNode[];
  /** Tasks on nodes that were read but showed no container for them (starting, just stopped). */
  readonly unread: readonly RunningTask[];
  /** The hostnames read. */
  readonly nodes: readonly string[];
}

export interface GaugeOptions {
  /** The Swarm services to gauge (`shop_web`) when the caller knows them: no `service ls` then. */
  readonly services?: readonly string[];
  /** The reach to use (a watcher keeps one and its connections); one of its own, closed after, when unset. */
  readonly reach?: NodeReach;
  readonly signal?: AbortSignal;
}

const EMPTY: Gauges = { tasks: [], services: [], ungauged: [], unread: [], nodes: [] };

/**
 * Reads the gauges of the given fleets' services on one cluster: on the manager, the
 * services (unless given), then their running tasks and specs (memory limits) at once,
 * then where their nodes are; then one `docker stats` on every node that runs them,
 * all at once: one SSH round per node, whatever the number of services.
 */
export async function readGauges(
  ops: Ops,
  cluster: string,
  fleets: readonly string[],
  options: GaugeOptions = {},
): Promise<Gauges> {
  const { signal } = options;
  const manager = ops.transport(cluster);
  let services = options.services;
  if (!services) {
    const ls = await manager.run(serviceLs(), { signal, timeoutMs: 30_000 });
    services = parseJsonLines<{ Name: string }>(ls.stdout)
      .map((r) => r.Name)
      .filter((n) => fleets.some((f) => n.startsWith(`${f}_`)));
  }
  if (services.length === 0) return EMPTY;
  const [ps, inspect] = await Promise.all([
    manager.run(runningTasks(services), { signal, timeoutMs: 30_000 }),
    manager.run(serviceInspect(services), { signal, timeoutMs: 30_000 }),
  ]);
  const tasks = runningTasksOf(parseTasks(ps.stdout), services);
  const reach = options.reach ?? new NodeReach(ops, cluster);
  try {
    const read = await statsOf(reach, tasks, signal);
    const { gauges, unread } = gaugeTasks(tasks, read.stats, memoryLimits(inspect.stdout));
    return {
      tasks: gauges,
      services: sumByService(gauges),
      ungauged: read.ungauged,
      unread,
      nodes: [...read.stats.keys()].sort(),
    };
  } finally {
    if (!options.reach) await reach.close();
  }
}

/** One `docker stats` on each node that runs `tasks`; the nodes it could not read, with their tasks. */
async function statsOf(
  reach: NodeReach,
  tasks: readonly RunningTask[],
  signal?: AbortSignal,
): Promise<{ stats: Map<string, ContainerStats[]>; ungauged: UngaugedNode[] }> {
  const stats = new Map<string, ContainerStats[]>();
  if (tasks.length === 0) return { stats, ungauged: [] };
  const hostnames = [...new Set(tasks.map((t) => t.node))];
  const nodes = await reach.nodes(hostnames, signal);
  const { results, unreached } = await reach.onEach(nodes, dockerStats(), { signal });
  for (const [node, r] of results) stats.set(node, parseStats(r.stdout));
  const missing = hostnames
    .filter((h) => !nodes.some((n) => n.hostname === h))
    .map((h) => ({
      node: h,
      addr: '',
      reason: "the Swarm's managers don't list it (it left, or was renamed)",
      fix: `See the nodes with: outposts ${reach.cluster}`,
    }));
  const ungauged = [...unreached, ...missing].map((u) => ({
    ...u,
    tasks: tasks.filter((t) => t.node === u.node).map((t) => t.name),
  }));
  return { stats, ungauged };
}

/** What the memory watch read of the tasks with a memory limit. */
export interface MemoryReading {
  /** By Swarm service: what `judgeMemory` (swarm/health.ts) weighs. */
  readonly services: ReadonlyMap<string, MemoryObservation>;
  /** Where each task read runs: slot name → hostname. */
  readonly nodes: ReadonlyMap<string, string>;
  readonly ungauged: readonly UngaugedNode[];
}

/**
 * Reads the memory of the tasks of `services` that have a memory limit, from the
 * `service inspect` and `service ps` answers a reconcile pass already has: no call at
 * all when none has a limit; else one `docker stats` per node that runs such a task
 * (and `docker node inspect` when the reach's cache is stale). A task not read (its
 * node out of reach, no container yet) is `blind`.
 */
export async function readLimitedMemory(
  reach: NodeReach,
  pass: { readonly inspect: string; readonly ps: string },
  services: readonly string[],
  signal?: AbortSignal,
): Promise<MemoryReading> {
  const limits = memoryLimits(pass.inspect);
  const tasks = runningTasksOf(
    parseTasks(pass.ps),
    services.filter((s) => limits.has(s)),
  );
  if (tasks.length === 0) return { services: new Map(), nodes: new Map(), ungauged: [] };
  const read = await statsOf(reach, tasks, signal);
  const { gauges } = gaugeTasks(tasks, read.stats, limits);
  const observations = new Map<string, { read: MemoryReadingOf[]; blind: string[] }>();
  for (const t of tasks) {
    const o = observations.get(t.service) ?? { read: [], blind: [] };
    observations.set(t.service, o);
    const g = gauges.find((x) => x.task === t.name);
    if (g?.memoryBytes !== undefined && g.memoryLimitBytes)
      o.read.push({ task: t.name, usedBytes: g.memoryBytes, limitBytes: g.memoryLimitBytes });
    else o.blind.push(t.name);
  }
  return {
    services: observations,
    nodes: new Map(gauges.map((g) => [g.task, g.node])),
    ungauged: read.ungauged,
  };
}

/** How long the memory watch trusts where the nodes are (`docker node inspect`). */
const NODES_CACHE_MS = 10 * 60_000;

/**
 * The memory watch's reader for one cluster, pass after pass: SSH logins to nodes
 * kept open, where the nodes are known for 10 minutes, and each node it can't read
 * said in the log once (again when the reason changes, or after it was read).
 */
export class MemoryGauge {
  private readonly reach: NodeReach;
  /** What was said about a node (`''`: the whole read), until it changes. */
  private readonly said = new Map<string, string>();

  constructor(
    ops: Ops,
    readonly cluster: string,
    private readonly log: (line: string) => void,
  ) {
    this.reach = new NodeReach(ops, cluster, { cacheMs: NODES_CACHE_MS });
  }

  private say(node: string, line: string | undefined): void {
    if (line && this.said.get(node) !== line) this.log(line);
    if (line) this.said.set(node, line);
    else this.said.delete(node);
  }

  /** See {@link readLimitedMemory}; undefined (and said in the log) when the read failed. */
  async read(
    pass: { readonly inspect: string; readonly ps: string },
    services: readonly string[],
  ): Promise<MemoryReading | undefined> {
    let read;
    try {
      read = await readLimitedMemory(this.reach, pass, services);
    } catch (e) {
      this.say(
        '',
        `⚠️ Telemetry could not read memory on ${this.cluster}: ${(e as Error).message}`,
      );
      return undefined;
    }
    this.say('', undefined);
    for (const node of [...this.said.keys()])
      if (node && !read.ungauged.some((u) => u.node === node)) this.say(node, undefined);
    for (const u of read.ungauged)
      this.say(
        u.node,
        `📡 Telemetry can't read the memory of ${u.tasks.join(', ')} on ${u.node}: ${u.reason}. ${u.fix}`,
      );
    return read;
  }

  async close(): Promise<void> {
    await this.reach.close();
  }
}

/**
 * A transport that keeps what the reconcile pass read with `service inspect` and
 * `service ps` (the last answer of each), so the memory watch needs no call of its own
 * to know which services have limits and where their tasks run.
 */
export class PassTap implements Transport {
  inspect = '';
  ps = '';

  constructor(private readonly inner: Transport) {}

  get target(): string {
    return this.inner.target;
  }

  async run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    const r = await this.inner.run(argv, options);
    const verb = argv.slice(1, 3).join(' ');
    if (verb === 'service inspect') this.inspect = r.stdout;
    else if (verb === 'service ps') this.ps = r.stdout;
    return r;
  }

  /** The tap does not own the connection: the cluster's transport stays open. */
  async close(): Promise<void> {}
}
