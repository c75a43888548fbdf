/**
 * The health of one running service, judged from one reconcile poll at a time.
 * Pure: the watcher (issue 6) feeds it `docker service ls` / `service ps` facts and
 * persists the record, so a restart of Otto does not re-alert a known incident.
 * Alerts follow changes of state only, never every poll.
 */

/** From least to most severe. */
export const HEALTH_STATES = ['healthy', 'degraded', 'crash_looping', 'down'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export interface HealthRecord {
  readonly state: HealthState;
  /** When the current incident opened (unchanged while it worsens or eases); null when healthy. */
  readonly incidentSince: string | null;
  /** When running < desired was first seen in a row of polls; null when not short. */
  readonly shortSince: string | null;
  /** The worst state of the current incident, so that only a new worst is announced. */
  readonly peak?: HealthState;
}

export interface HealthObservation {
  readonly running: number;
  readonly desired: number;
  /** When tasks of the service failed (exited, were rejected), newest last. */
  readonly failedAt: readonly string[];
  readonly now: string;
}

export interface HealthPolicy {
  /** Short of replicas for longer than this is an incident (default 60 s, or the healthcheck's start period). */
  readonly graceSeconds: number;
  /** This many failed tasks... */
  readonly crashLoopFailures: number;
  /** ...within this window is a crash loop (default 3 in 10 minutes). */
  readonly crashLoopWindowSeconds: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  graceSeconds: 60,
  crashLoopFailures: 3,
  crashLoopWindowSeconds: 600,
};

/**
 * What a poll changed: a new incident, a state worse than any before in it, another
 * state within it (milder, or a worst state seen again), its end, or nothing.
 */
export type HealthChange = 'opened' | 'worsened' | 'shifted' | 'recovered' | undefined;

export const HEALTHY: HealthRecord = {
  state: 'healthy',
  incidentSince: null,
  shortSince: null,
  peak: 'healthy',
};

const rank = (s: HealthState) => HEALTH_STATES.indexOf(s);
const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

/** Judges one poll against the service's last record. */
export function judgeHealth(
  prev: HealthRecord,
  obs: HealthObservation,
  policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
): { readonly record: HealthRecord; readonly change: HealthChange } {
  const short = obs.desired > 0 && obs.running < obs.desired;
  const shortSince = short ? (prev.shortSince ?? obs.now) : null;
  const pastGrace = shortSince !== null && seconds(shortSince, obs.now) >= policy.graceSeconds;
  const recent = obs.failedAt.filter((t) => seconds(t, obs.now) <= policy.crashLoopWindowSeconds);
  const lastFailure = recent.at(-1);
  // A loop is over only once tasks have stopped failing for a grace period, so one
  // that restarts between polls does not flap between alerts and recoveries.
  const stillFailing =
    lastFailure !== undefined && seconds(lastFailure, obs.now) < policy.graceSeconds;
  let state: HealthState = 'healthy';
  // The grace period is for tasks that are slow to start. Tasks that fail are
  // evidence: nothing running while they fail is down at once.
  if (obs.running === 0 && short && (pastGrace || stillFailing)) state = 'down';
  else if (recent.length >= policy.crashLoopFailures && (short || stillFailing))
    state = 'crash_looping';
  else if (pastGrace) state = 'degraded';

  const wasBad = prev.state !== 'healthy';
  // An incident ends when every replica runs, not when a restarting task is merely
  // inside its grace period again: until then it keeps its state (no recovery that
  // says "0/1 running", and no alert when the next task fails).
  if (state === 'healthy' && wasBad && short) state = prev.state;
  const isBad = state !== 'healthy';
  const prevPeak = wasBad ? (prev.peak ?? prev.state) : 'healthy';
  const record: HealthRecord = {
    state,
    incidentSince: isBad ? (wasBad ? prev.incidentSince : obs.now) : null,
    shortSince,
    peak: isBad && rank(state) > rank(prevPeak) ? state : isBad ? prevPeak : 'healthy',
  };
  const change: HealthChange =
    state === prev.state
      ? undefined
      : !wasBad
        ? 'opened'
        : !isBad
          ? 'recovered'
          : rank(state) > rank(prevPeak)
            ? 'worsened'
            : 'shifted';
  return { record, change };
}

/* ---- Memory pressure: a task near its memory limit, poll after poll ---- */

/** Polls in a row a task must be at or above the threshold before an incident opens. */
export const MEMORY_POLLS = 2;

/** What the watcher remembers of a service's memory between polls. */
export interface MemoryRecord {
  /** Polls in a row each task (slot name) has been at or above the threshold. */
  readonly over: Readonly<Record<string, number>>;
  /** The tasks the open incident is about; empty when there is none. */
  readonly hot: readonly string[];
}

export const CALM: MemoryRecord = { over: {}, hot: [] };

/** One task's memory, read this poll (tasks with a limit only). */
export interface MemoryReadingOf {
  readonly task: string;
  readonly usedBytes: number;
  readonly limitBytes: number;
}

export interface MemoryObservation {
  readonly read: readonly MemoryReadingOf[];
  /** Tasks with a limit that could not be read this poll (their node is out of reach): they keep their count. */
  readonly blind: readonly string[];
}

/** A new incident, another set of tasks in it, its end, or nothing. */
export type MemoryChange = 'opened' | 'shifted' | 'recovered' | undefined;

/**
 * Judges one poll of a service's memory against its last record. A task at or above
 * `warnPercent` of its limit for {@link MEMORY_POLLS} polls in a row opens an
 * incident; it ends once no task is above the threshold (a task out of sight keeps
 * its count: no recovery is called for what could not be read). `hot`: the tasks
 * above the threshold for long enough, most pressed first.
 */
export function judgeMemory(
  prev: MemoryRecord,
  obs: MemoryObservation,
  warnPercent: number,
  polls: number = MEMORY_POLLS,
): {
  readonly record: MemoryRecord;
  readonly change: MemoryChange;
  readonly hot: MemoryReadingOf[];
} {
  const over: Record<string, number> = {};
  for (const task of obs.blind) if (prev.over[task]) over[task] = prev.over[task];
  for (const r of obs.read)
    if (r.limitBytes > 0 && (r.usedBytes / r.limitBytes) * 100 >= warnPercent)
      over[r.task] = (prev.over[r.task] ?? 0) + 1;
  const hot = obs.read
    .filter((r) => (over[r.task] ?? 0) >= polls)
    .sort((a, b) => b.usedBytes / b.limitBytes - a.usedBytes / a.limitBytes);
  const open = prev.hot.length > 0;
  const names = hot.map((r) => r.task).sort();
  if (!open) {
    return hot.length
      ? { record: { over, hot: names }, change: 'opened', hot }
      : { record: { over, hot: [] }, change: undefined, hot };
  }
  if (Object.keys(over).length === 0) return { record: CALM, change: 'recovered', hot };
  // Still under pressure: the incident is about the tasks hot now (or, between two
  // hot polls, still the ones it was about).
  if (hot.length === 0 || names.join() === [...prev.hot].sort().join())
    return { record: { over, hot: prev.hot }, change: undefined, hot };
  return { record: { over, hot: names }, change: 'shifted', hot };
}
