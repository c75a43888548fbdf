import type { ProgressListener, ServiceProgress } from './progress.js';
import { classifyTaskError, type LaunchFailure } from './failure.js';
import { parseJsonLines, serviceInspect, servicePs, serviceName } from './argv.js';
import type { Transport } from '../transport/transport.js';
import { timerOnly, type Wakeups } from './wakeups.js';

/** The part of `docker service inspect` convergence needs. */
export interface ServiceState {
  readonly ID: string;
  /** Bumped by every update of the service's spec (`docker stack deploy` updates each one). */
  readonly Version?: { readonly Index?: number };
  readonly Spec: {
    readonly Name: string;
    readonly Mode?: {
      readonly Replicated?: { readonly Replicas?: number };
      readonly Global?: object;
    };
    readonly TaskTemplate?: {
      readonly ContainerSpec?: { readonly Image?: string };
      readonly Placement?: { readonly Constraints?: string[] };
    };
  };
  readonly UpdateStatus?: { readonly State?: string; readonly Message?: string };
  /** When the service was last written: its spec, or Swarm's update status of it (RFC 3339). */
  readonly UpdatedAt?: string;
}

/** One row of `docker service ps --format '{{json .}}'`. */
export interface TaskRow {
  readonly ID: string;
  readonly Name: string;
  readonly Image: string;
  readonly Node: string;
  readonly DesiredState: string;
  readonly CurrentState: string;
  readonly Error: string;
}

/**
 * Parses `docker service ps --format '{{json .}}'`. Docker quotes the Error
 * column (`"\"task: non-zero exit (3)\""`); the quotes are dropped here.
 */
export function parseTasks(stdout: string): TaskRow[] {
  return parseJsonLines<TaskRow>(stdout).map((t) => ({
    ...t,
    Error: (t.Error ?? '').replace(/^"(.*)"$/s, '$1'),
  }));
}

export interface FleetSnapshot {
  readonly services: ReadonlyMap<string, ServiceState>;
  readonly tasks: readonly TaskRow[];
  /**
   * Services whose spec before the deploy is not known, by Swarm name: read after it
   * (see readBeforeTheUpdate). Their tasks are known; whether they roll out is Swarm's
   * to say, since a spec Docker hands back differs from the one it compares.
   */
  readonly unsure?: ReadonlySet<string>;
}

/**
 * How long a service whose spec before the deploy is not known may run its old tasks,
 * with no update of Swarm's running, before Otto takes it that nothing changed:
 * Docker's own wait (`--detach=false`) watches a service 5 s in the same way.
 */
export const UNSURE_WINDOW_MS = 5_000;

/** Reads the services of a fleet and their tasks: two docker calls at once, whatever the number of services. */
export async function snapshot(
  transport: Transport,
  fleet: string,
  services: readonly string[],
  signal?: AbortSignal,
): Promise<FleetSnapshot> {
  const names = services.map((s) => serviceName(fleet, s));
  // Both at once: `service ps` lists the tasks of the services that exist and
  // only complains about the others, which `service inspect` leaves out anyway.
  const [inspect, ps] = await Promise.all([
    transport.run(serviceInspect(names), { signal }),
    transport.run(servicePs(names), { signal }),
  ]);
  const found = inspect.stdout.trim().startsWith('[')
    ? (JSON.parse(inspect.stdout) as ServiceState[])
    : [];
  const byName = new Map(found.map((s) => [s.Spec.Name, s]));
  return { services: byName, tasks: parseTasks(ps.stdout) };
}

/** Reads the tasks of a fleet's services alone: one docker call. */
async function readTasks(
  transport: Transport,
  fleet: string,
  services: readonly string[],
  signal?: AbortSignal,
): Promise<TaskRow[]> {
  const ps = await transport.run(servicePs(services.map((s) => serviceName(fleet, s))), { signal });
  return parseTasks(ps.stdout);
}

/**
 * Whether a `docker stack deploy` reached the Swarm between two snapshots: a service
 * of the fleet was created or its spec was updated (its version index moved).
 */
export function deployLanded(before: FleetSnapshot, now: FleetSnapshot): boolean {
  for (const [name, s] of now.services) {
    const was = before.services.get(name);
    if (!was || was.Version?.Index !== s.Version?.Index) return true;
  }
  return false;
}

const taskTemplate = (s: ServiceState | undefined) => JSON.stringify(s?.Spec.TaskTemplate ?? null);

export interface ConvergeOptions {
  readonly fleet: string;
  readonly services: ReadonlyMap<string, string>; // compose service -> image
  readonly before: FleetSnapshot;
  readonly timeoutMs: number;
  readonly settleMs: number;
  /** A fixed time between looks (tests); by default {@link nextLookMs}. */
  readonly pollMs?: number;
  /** What hurries the next look: the fleet's docker events. Without it, only the timer. */
  readonly wakeups?: Wakeups;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

/**
 * How long to wait before the next look, by how long the wait has lasted: often while
 * Swarm usually converges, less often after. Docker events cut any wait short.
 */
export function nextLookMs(waitedMs: number, eventsLive = false): number {
  // With events, a task starting on the manager wakes Otto at once; the timer is for
  // tasks on other nodes and for the update states services pass through.
  const early = eventsLive ? 400 : 250;
  return waitedMs < 3_000 ? early : waitedMs < 15_000 ? early * 2 : early * 4;
}

/**
 * A container's start event comes a moment before its task's report reaches the
 * manager: a look woken by an event that did not see the fleet converge is followed
 * by another this soon.
 */
export const FOLLOW_UP_MS = 100;

/**
 * While docker events arrive, a look reads the tasks alone and reuses the services it
 * read last, unless a service event came (its spec or update state moved) or the
 * services were read longer ago than this.
 */
export const SERVICES_FRESH_MS = 2_000;

export type ConvergeResult =
  | {
      readonly ok: true;
      readonly services: readonly ServiceProgress[];
      /**
       * Each service's image as its spec holds it in the last poll (compose service →
       * `name:tag@sha256:…` when Docker resolved it against a registry, else `name:tag`).
       */
      readonly specImages: ReadonlyMap<string, string>;
    }
  | {
      readonly ok: false;
      readonly failure: LaunchFailure;
      readonly services: readonly ServiceProgress[];
    };

interface Judged {
  readonly progress: ServiceProgress;
  readonly converged: boolean;
  readonly failure?: LaunchFailure | undefined;
}

/** Decides, for one service, whether it has converged or is failing. */
export function judgeService(
  name: string,
  image: string,
  now: ServiceState | undefined,
  before: ServiceState | undefined,
  tasks: readonly TaskRow[],
  oldTaskIds: ReadonlySet<string>,
  pendingStrikes: number,
  /** For a service whose spec before the deploy is unknown: how long the wait has lasted. */
  unsureWaitedMs?: number,
): Judged {
  if (!now)
    return { progress: { name, running: 0, desired: 0, state: 'pending' }, converged: false };
  const mine = tasks.filter((t) => t.Name.startsWith(`${now.Spec.Name}.`));
  const live = mine.filter((t) => t.DesiredState === 'Running');
  const running = live.filter((t) => t.CurrentState.startsWith('Running')).length;
  const desired = now.Spec.Mode?.Replicated
    ? (now.Spec.Mode.Replicated.Replicas ?? 1)
    : live.length;
  const constraints = now.Spec.TaskTemplate?.Placement?.Constraints ?? [];
  const update = now.UpdateStatus?.State;
  // Unsure: Swarm says whether it rolls out. While its update runs, or within the
  // window (an update may not have started yet), the old tasks may still be replaced.
  const changed =
    unsureWaitedMs === undefined
      ? before !== undefined && taskTemplate(before) !== taskTemplate(now)
      : update === 'updating' || unsureWaitedMs < UNSURE_WINDOW_MS;
  // An old update's "completed" says nothing of this deploy's.
  const verdict = unsureWaitedMs === undefined ? update : undefined;
  const base = { name, running, desired };

  if (update === 'paused' || update === 'rollback_paused') {
    const failure: LaunchFailure = {
      kind: 'update_paused',
      service: name,
      message: `Swarm paused the update of ${name}: ${now.UpdateStatus?.Message ?? 'no reason given'}.`,
    };
    return {
      progress: { ...base, state: 'failing', note: 'update paused' },
      converged: false,
      failure,
    };
  }
  if (update?.startsWith('rollback')) {
    const failure: LaunchFailure = {
      kind: 'rolled_back',
      service: name,
      message: `Swarm rolled ${name} back to its previous version: ${now.UpdateStatus?.Message ?? 'the update failed'}.`,
    };
    return {
      progress: { ...base, state: 'failing', note: 'rolled back' },
      converged: false,
      failure,
    };
  }

  const failed = mine.filter(
    (t) =>
      !oldTaskIds.has(t.ID) &&
      t.DesiredState !== 'Running' &&
      /^(Failed|Rejected)/.test(t.CurrentState),
  );
  const stuck = live.find((t) => t.CurrentState.startsWith('Pending') && t.Error);
  const evidence = failed.length >= 2 ? failed[0] : pendingStrikes >= 2 ? stuck : undefined;
  if (evidence) {
    const failure = classifyTaskError(name, image, evidence.Error, constraints);
    if (failure)
      return {
        progress: { ...base, state: 'failing', note: evidence.Error },
        converged: false,
        failure,
      };
  }
  // An update is done when Swarm says so, or sooner, when every task that should run
  // was made by this launch (none was running before it) and none of those failed:
  // Swarm's own monitor window after the last task (5 s by default) is not waited out.
  const replaced = live.every((t) => !oldTaskIds.has(t.ID)) && failed.length === 0;
  const updating = changed && verdict !== 'completed' && !replaced;
  const converged =
    running === desired && !updating && live.every((t) => t.CurrentState.startsWith('Running'));
  const note = (failed[0] ?? stuck)?.Error || undefined;
  return {
    progress: {
      ...base,
      state: converged ? 'running' : updating ? 'updating' : failed.length ? 'failing' : 'pending',
      note,
    },
    converged,
  };
}

/** Compose service → the image its Swarm spec names, for the services the snapshot has. */
function specImages(
  snap: FleetSnapshot,
  fleet: string,
  names: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of names) {
    const image = snap.services.get(serviceName(fleet, name))?.Spec.TaskTemplate?.ContainerSpec
      ?.Image;
    if (image) out.set(name, image);
  }
  return out;
}

/**
 * An image reference split at its digest: `reg/app:1@sha256:3f2a…` → `reg/app:1` and
 * `sha256:3f2a…`; a reference without one (a local image Docker could not resolve
 * against a registry) has a null digest.
 *
 * @example splitDigest('otto-test:v1') // { image: 'otto-test:v1', digest: null }
 */
export function splitDigest(ref: string): { image: string; digest: string | null } {
  const m = /^(.*)@(sha256:[0-9a-f]{64})$/.exec(ref);
  return m ? { image: m[1]!, digest: m[2]! } : { image: ref, digest: null };
}

/**
 * Waits until every service of the fleet runs its desired replicas of the new spec,
 * then watches for `settleMs` more. `docker stack deploy` returns before this.
 */
export async function waitForConvergence(
  transport: Transport,
  opts: ConvergeOptions,
): Promise<ConvergeResult> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const wakeups = opts.wakeups ?? timerOnly;
  const oldTaskIds = new Set(opts.before.tasks.map((t) => t.ID));
  const names = [...opts.services.keys()];
  const strikes = new Map<string, number>();
  let settleUntil: number | undefined;
  let lastKey = '';
  let progress: ServiceProgress[];
  let woke: 'event' | 'timer' | undefined;
  let services: FleetSnapshot['services'] | undefined;
  let servicesAt = 0;
  for (;;) {
    // Asked every time, so a service event seen before a read of the services is forgotten.
    const moved = wakeups.serviceMoved();
    const fresh =
      services !== undefined &&
      wakeups.live &&
      !moved &&
      Date.now() - servicesAt < SERVICES_FRESH_MS;
    let snap: FleetSnapshot;
    if (fresh && services) {
      snap = { services, tasks: await readTasks(transport, opts.fleet, names, opts.signal) };
    } else {
      servicesAt = Date.now();
      snap = await snapshot(transport, opts.fleet, names, opts.signal);
      services = snap.services;
    }
    const judged = names.map((name) => {
      const full = serviceName(opts.fleet, name);
      const now = snap.services.get(full);
      const stuck = snap.tasks.some(
        (t) =>
          t.Name.startsWith(`${full}.`) &&
          t.DesiredState === 'Running' &&
          t.CurrentState.startsWith('Pending') &&
          t.Error,
      );
      strikes.set(name, stuck ? (strikes.get(name) ?? 0) + 1 : 0);
      return judgeService(
        name,
        opts.services.get(name) ?? '',
        now,
        opts.before.services.get(full),
        snap.tasks,
        oldTaskIds,
        strikes.get(name) ?? 0,
        opts.before.unsure?.has(full) ? Date.now() - started : undefined,
      );
    });
    progress = judged.map((j) => j.progress);
    const key = JSON.stringify(progress);
    if (key !== lastKey) {
      lastKey = key;
      opts.onProgress?.({ kind: 'services', fleet: opts.fleet, services: progress });
    }
    const failing = judged.find((j) => j.failure);
    if (failing?.failure) return { ok: false, failure: failing.failure, services: progress };
    if (judged.every((j) => j.converged)) {
      if (settleUntil === undefined) {
        settleUntil = Date.now() + opts.settleMs;
        if (opts.settleMs > 0)
          opts.onProgress?.({ kind: 'stage', fleet: opts.fleet, stage: 'settling' });
      }
      if (Date.now() >= settleUntil) {
        return { ok: true, services: progress, specImages: specImages(snap, opts.fleet, names) };
      }
    } else {
      settleUntil = undefined;
    }
    if (Date.now() >= deadline) {
      const behind = progress.filter((p) => p.state !== 'running');
      const detail = behind
        .map((p) => `${p.name} ${p.running}/${p.desired}${p.note ? ` (${p.note})` : ''}`)
        .join(', ');
      return {
        ok: false,
        services: progress,
        failure: {
          kind: 'timeout',
          message: `The fleet did not converge within ${Math.round(opts.timeoutMs / 1000)} s: ${detail || 'services still updating'}.`,
        },
      };
    }
    const next = opts.pollMs ?? nextLookMs(Date.now() - started, wakeups.live);
    woke = await wakeups.wait(woke === 'event' ? Math.min(next, FOLLOW_UP_MS) : next, opts.signal);
  }
}
