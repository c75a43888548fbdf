import { setTimeout as sleep } from 'node:timers/promises';
import cron from 'node-cron';
import type { FleetConfig } from '../config/config.js';
import type { Ops } from '../ops/ops.js';
import { clusterStatus } from '../swarm/status.js';
import { readGauges } from '../ops/gauges.js';
import { formatMemory, formatPercent, taskLabel, topConsumers } from '../swarm/stats.js';
import { parseJsonLines, swarmEvents } from '../swarm/argv.js';
import { deployNotice } from '../commands/alert-text.js';
import { ClusterWatch } from './cluster-watch.js';
import { redactTarget, type AlertOutbox } from './incident-messages.js';
import { byCluster } from '../commands/fleet-lookup.js';
import type { Reply } from '../commands/types.js';
import { reconcileSeconds } from '../metrics.js';

export interface Telemetry {
  stop(): Promise<void>;
}

export interface TelemetryOptions {
  readonly log: (line: string) => void;
  /** Overrides every fleet's alert targets (the console prints every alert once). */
  readonly targets?: readonly string[];
}

/** node-cron's 6-field schedule for a poll every `seconds` (which divides a minute or an hour). */
export function pollSchedule(seconds: number): string {
  if (seconds < 60) return `*/${seconds} * * * * *`;
  if (seconds === 60) return '0 * * * * *';
  return `0 */${seconds / 60} * * * *`;
}

const DEPLOY_SCAN_MS = 2000;
/** A launch that started or ended longer ago than this is history, not news. */
const DEPLOY_NEWS_MS = 10 * 60_000;

/**
 * Starts telemetry: one watcher per cluster with fleets, polled on a node-cron
 * schedule and woken early by `docker events`; launch announcements; the digest.
 */
export function startTelemetry(
  ops: Ops,
  outbox: AlertOutbox,
  options: TelemetryOptions,
): Telemetry {
  const { log } = options;
  const t = ops.config.telemetry;
  const targetsFor = (fleet: FleetConfig | undefined) =>
    options.targets ?? fleet?.alerts ?? t.alerts;
  const watches = [...byCluster(ops.config.fleets.values())].map(
    ([cluster, fleets]) => new ClusterWatch(ops, cluster, fleets, outbox, { log, targetsFor }),
  );
  const stopping = new AbortController();
  const passAll = async () => {
    await Promise.all(
      watches.map(async (w) => {
        const done = reconcileSeconds.startTimer({ cluster: w.cluster });
        try {
          await w.pass();
        } finally {
          done();
        }
      }),
    );
  };

  const poll = cron.schedule(pollSchedule(t.pollSeconds), () => void passAll(), {
    name: 'otto-telemetry-poll',
  });
  const digest = t.digest
    ? cron.schedule(t.digest, () => void sendDigest(ops, outbox, targetsFor, log), {
        name: 'otto-telemetry-digest',
      })
    : undefined;
  const events = t.events ? watches.map((w) => watchEvents(ops, w, stopping.signal)) : [];
  let scanning = false;
  const deployTimer = setInterval(() => {
    if (scanning) return;
    scanning = true;
    announceLaunches(ops, outbox, targetsFor, log)
      .catch((e: unknown) => log(`⚠️ Launch announcements failed: ${(e as Error).message}`))
      .finally(() => (scanning = false));
  }, DEPLOY_SCAN_MS);
  void passAll();
  log(
    `📡 Telemetry is watching ${watches.length} cluster${watches.length === 1 ? '' : 's'} (poll every ${t.pollSeconds} s${t.events ? ', docker events as a trigger' : ''}).`,
  );

  return {
    async stop() {
      stopping.abort(new Error('Otto is stopping'));
      clearInterval(deployTimer);
      await poll.destroy();
      await digest?.destroy();
      // Each watch ends its pass, then closes the SSH logins to nodes it kept for memory.
      await Promise.allSettled([...events, ...watches.map((w) => w.close())]);
    },
  };
}

/**
 * Follows `docker events` for services and nodes on a cluster and wakes its watcher
 * on each (after a short pause that gathers a burst). After a drop it reconnects
 * with `--since` the last event seen, so nothing in between is missed.
 */
async function watchEvents(ops: Ops, watch: ClusterWatch, signal: AbortSignal): Promise<void> {
  let since = Math.floor(Date.now() / 1000);
  let backoff = 1000;
  let timer: NodeJS.Timeout | undefined;
  const wake = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void watch.pass(), 300);
  };
  while (!signal.aborted) {
    const opened = Date.now();
    let partial = '';
    try {
      await ops.transport(watch.cluster).run(swarmEvents(since), {
        signal,
        timeoutMs: 3_600_000,
        partialOnTimeout: true,
        // Ended with Otto: the remote docker events must not wait for its next event.
        stoppable: true,
        onStdout: (chunk) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const e of parseJsonLines<{ time?: number }>(lines.join('\n'))) {
            if (typeof e.time === 'number') since = Math.max(since, e.time);
          }
          wake();
        },
      });
    } catch {
      // unreachable: the poll raises the alert; this only reconnects
    }
    if (signal.aborted) break;
    backoff = Date.now() - opened > 60_000 ? 1000 : Math.min(backoff * 2, 30_000);
    await sleep(backoff, undefined, { signal }).catch(() => {});
  }
  clearTimeout(timer);
}

/** Announces launches of fleets with deploy_notices: one message each, edited when it ends. */
export async function announceLaunches(
  ops: Ops,
  outbox: AlertOutbox,
  targetsFor: (f: FleetConfig | undefined) => readonly string[],
  log: (line: string) => void,
): Promise<void> {
  const since = new Date(Date.now() - DEPLOY_NEWS_MS).toISOString();
  for (const d of await ops.deployments.news(since)) {
    const fleet = ops.config.fleets.get(d.fleet);
    if (!fleet?.deployNotices) continue;
    const targets = targetsFor(fleet);
    if (targets.length === 0) continue;
    const about = { kind: 'launch', deployment: d, cluster: fleet.cluster } as const;
    if (d.status === 'deploying') {
      if (!(await ops.deployNotices.claimStart(d.id))) continue;
      const refs: Record<string, string> = {};
      for (const target of targets) {
        try {
          refs[target] = await outbox.post(target, deployNotice(d), about);
        } catch (e) {
          log(
            `⚠️ Otto could not announce the launch in ${redactTarget(target)}: ${(e as Error).message}`,
          );
        }
      }
      await ops.deployNotices.setRefs(d.id, refs);
      continue;
    }
    const refs = await ops.deployNotices.claimEnd(d.id);
    if (!refs) continue;
    for (const target of targets) {
      try {
        const ref = refs[target];
        if (ref) await outbox.edit(ref, deployNotice(d), about);
        else await outbox.post(target, deployNotice(d), about);
      } catch (e) {
        log(
          `⚠️ Otto could not announce the launch's end in ${redactTarget(target)}: ${(e as Error).message}`,
        );
      }
    }
  }
}

/**
 * The digest: every fleet's services and replicas, the top consumers of each cluster
 * (one `docker stats` per node that runs the fleets' tasks), and the open incidents.
 */
export async function sendDigest(
  ops: Ops,
  outbox: AlertOutbox,
  targetsFor: (f: FleetConfig | undefined) => readonly string[],
  log: (line: string) => void,
): Promise<void> {
  const lines: string[] = [];
  for (const [cluster, fleets] of byCluster(ops.config.fleets.values())) {
    try {
      const names = fleets.map((f) => f.name);
      const statuses = await clusterStatus(ops.transport(cluster), names);
      for (const s of statuses) {
        const up = s.services.filter((x) => x.running >= x.desired).length;
        lines.push(
          s.services.length === 0
            ? `${s.fleet}: not launched`
            : `${s.fleet}: ${up}/${s.services.length} services at full strength${s.services
                .filter((x) => x.running < x.desired)
                .map((x) => `, ${x.name} ${x.running}/${x.desired}`)
                .join('')}`,
        );
      }
      const services = statuses.flatMap((s) => s.services.map((x) => `${s.fleet}_${x.name}`));
      lines.push(...(await digestConsumers(ops, cluster, names, services)));
    } catch (e) {
      lines.push(`${cluster}: can't be reached (${(e as Error).message})`);
    }
  }
  const open = await ops.incidents.openIncidents();
  const reply: Reply = {
    outcome: 'ok',
    text: `🦦 Mission Control digest: ${ops.config.fleets.size} fleet${ops.config.fleets.size === 1 ? '' : 's'}, ${open.length} open incident${open.length === 1 ? '' : 's'}.`,
    block: lines,
  };
  const targets = new Set(
    ops.config.telemetry.alerts.length
      ? targetsFor(undefined)
      : [...ops.config.fleets.values()].flatMap((f) => targetsFor(f)),
  );
  for (const target of targets) {
    try {
      await outbox.post(target, reply);
    } catch (e) {
      log(`⚠️ Otto could not post the digest to ${redactTarget(target)}: ${(e as Error).message}`);
    }
  }
}

/** A cluster's top consumers for the digest: three tasks by CPU, three by memory, and nodes not read. */
async function digestConsumers(
  ops: Ops,
  cluster: string,
  fleets: readonly string[],
  services: readonly string[],
): Promise<string[]> {
  if (services.length === 0) return [];
  let gauges;
  try {
    gauges = await readGauges(ops, cluster, fleets, { services });
  } catch (e) {
    return [`${cluster} top consumers: not read (${(e as Error).message})`];
  }
  const top = topConsumers(gauges.tasks);
  const name = (task: string) => {
    const fleet = fleets.find((f) => task.startsWith(`${f}_`)) ?? '';
    return `${fleet} ${taskLabel(task, fleet)}`;
  };
  return [
    ...(top.cpu.length
      ? [
          `${cluster} top CPU: ${top.cpu.map((g) => `${name(g.task)} ${formatPercent(g.cpuPercent)} on ${g.node}`).join(', ')}`,
        ]
      : []),
    ...(top.memory.length
      ? [
          `${cluster} top memory: ${top.memory.map((g) => `${name(g.task)} ${formatMemory(g)} on ${g.node}`).join(', ')}`,
        ]
      : []),
    ...gauges.ungauged.map(
      (u) =>
        `${cluster}: ${u.node} not gauged (${u.tasks.length} task${u.tasks.length === 1 ? '' : 's'}): ${u.reason}. ${u.fix}`,
    ),
  ];
}
