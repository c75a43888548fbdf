/**
 * What Otto says in alert channels: technical facts first (which service, since
 * when, replicas, why), in Otto's voice, never a secret.
 */
import type { Deployment, Incident } from '../store/db.js';
import type { FailureKind } from '../swarm/failure.js';
import type { Button, Reply } from './types.js';
import { otto } from './voice.js';
import { Subject } from '../store/subject.js';
import { formatBytes } from '../swarm/stats.js';

const STATE_WORDS: Record<string, string> = {
  degraded: 'is degraded',
  crash_looping: 'is crash-looping',
  down: 'is down',
  drain: 'is drained',
  unreachable: "can't be reached",
  memory_high: 'is near its memory limit',
};
const PAST_WORDS: Record<string, string> = {
  degraded: 'was degraded',
  crash_looping: 'was crash-looping',
  down: 'was down',
  drain: 'was drained',
  unreachable: "couldn't be reached",
  memory_high: 'was near its memory limit',
};
const ICONS: Record<string, string> = {
  degraded: '🟠',
  crash_looping: '🔁',
  down: '🔴',
  drain: '🟠',
  unreachable: '📡',
  memory_high: '📈',
};

const FIXES: Partial<Record<FailureKind, string>> = {
  image_pull:
    'Check the image name and tag, and the registry credentials (otto registry login); then launch again.',
  no_node:
    "Check the service's placement constraints and the nodes' free CPU and memory (docker node ls), or add a node.",
  exit_code: 'Read the last log lines. If the last launch caused it, roll back.',
  unhealthy:
    'Its healthcheck keeps failing: read the logs, and check the healthcheck command and its start period.',
};

/** `myapp web`, `node worker-1 on prod`, `cluster prod`. */
export function subjectName(i: Pick<Incident, 'kind' | 'fleet' | 'service' | 'subject'>): string {
  if (i.kind === 'service' || i.kind === 'memory') return `${i.fleet} ${i.service}`;
  const s = Subject.parse(i.subject);
  if (s?.kind === 'node') return `node ${s.hostname}`;
  return `cluster ${s?.cluster ?? i.subject}`;
}

const lasted = (from: string, to: number) => {
  const s = Math.max(0, (to - Date.parse(from)) / 1000);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
};

export interface AlertFacts {
  readonly incident: Incident;
  /** `0/2 running`, for services. */
  readonly replicas?: string | undefined;
  readonly kind?: FailureKind | undefined;
  readonly logs?: readonly string[] | undefined;
}

/** An alert's Logs button: the last lines, then the new ones live, in the alert's thread. */
const followLogs = (fleet: string, service: string) =>
  `logs ${fleet} ${service} --tail 20 --follow`;

function buttons(i: Incident): Button[] {
  if (i.kind === 'memory' && i.fleet && i.service)
    return [
      { label: 'Gauges', command: `top ${i.fleet} ${i.service}` },
      { label: 'Logs', command: followLogs(i.fleet, i.service) },
      { label: 'Silence 1h', command: `silence ${i.fleet} ${i.service} 1h` },
    ];
  if (i.kind !== 'service' || !i.fleet || !i.service) return [];
  return [
    { label: 'Logs', command: followLogs(i.fleet, i.service) },
    { label: 'Roll back', command: `rollback ${i.fleet}`, style: 'danger' },
    { label: 'Silence 1h', command: `silence ${i.fleet} ${i.service} 1h` },
  ];
}

/** The incident's own message: its current state, redrawn as it changes. */
export function alertMessage(f: AlertFacts, now: number = Date.now()): Reply {
  const i = f.incident;
  const name = subjectName(i);
  if (i.resolvedAt) {
    return {
      outcome: 'ok',
      text: `✅ Resolved: ${name} ${PAST_WORDS[i.state] ?? i.state} for ${lasted(i.openedAt, Date.parse(i.resolvedAt))}, until ${otto.when(i.resolvedAt)}. ${i.reason}`,
      fields: [{ label: 'Since', value: otto.when(i.openedAt) }],
    };
  }
  return {
    outcome: 'failed',
    text: `${ICONS[i.state] ?? '🔴'} ${name} ${STATE_WORDS[i.state] ?? i.state}: ${i.reason}`,
    fields: [
      ...(i.fleet ? [{ label: 'Fleet', value: i.fleet }] : []),
      ...(i.service ? [{ label: 'Service', value: i.service }] : []),
      { label: 'Cluster', value: i.cluster },
      { label: 'Since', value: `${otto.when(i.openedAt)} (${lasted(i.openedAt, now)})` },
      ...(f.replicas ? [{ label: 'Replicas', value: f.replicas }] : []),
    ],
    ...(f.logs?.length ? { block: f.logs } : {}),
    fix: (f.kind && FIXES[f.kind]) ?? fixFor(i),
    buttons: buttons(i),
  };
}

function fixFor(i: Incident): string | undefined {
  if (i.kind === 'node')
    return i.state === 'drain'
      ? 'Someone drained it: docker node update --availability active <node> brings it back.'
      : "Its engine stopped answering the managers: check the machine and its Docker engine. Swarm moves the node's tasks elsewhere.";
  if (i.kind === 'cluster')
    return 'Check that the managers are online and that SSH answers; Otto keeps trying.';
  if (i.kind === 'memory')
    return `At its limit the kernel kills the task (exit code 137). See what it holds with top ${i.fleet} ${i.service} and its logs; raise deploy.resources.limits.memory in the compose file and launch again if it needs more.`;
  return undefined;
}

/** One task near its memory limit, as an incident's reason says it: `web.2 on node-2 uses 18.1 MiB of its 20 MiB limit (91%)`. */
export interface MemoryFact {
  /** `web.2`, without the fleet. */
  readonly task: string;
  readonly node: string;
  readonly usedBytes: number;
  readonly limitBytes: number;
}

/** Why a memory incident is open: the tasks above the threshold, most pressed first. */
export function memoryReason(
  hot: readonly MemoryFact[],
  warnPercent: number,
  polls: number,
): string {
  const tasks = hot.map(
    (h) =>
      `${h.task} on ${h.node} uses ${formatBytes(h.usedBytes)} of its ${formatBytes(h.limitBytes)} limit (${Math.round((h.usedBytes / h.limitBytes) * 100)}%)`,
  );
  return `${tasks.join('; ')}: at or above telemetry.memory_warn (${warnPercent}%) for ${polls} polls in a row.`;
}

/** A thread reply when an incident gets worse. */
export function worsenedText(f: AlertFacts): Reply {
  const i = f.incident;
  return {
    outcome: 'failed',
    text: `${ICONS[i.state] ?? '🔴'} ${subjectName(i)} ${STATE_WORDS[i.state] ?? i.state} now${f.replicas ? ` (${f.replicas})` : ''}: ${i.reason}`,
    ...(f.logs?.length ? { block: f.logs } : {}),
  };
}

export function reminderText(f: AlertFacts, now: number = Date.now()): Reply {
  const i = f.incident;
  return {
    outcome: 'failed',
    text: `⏰ Still ${(STATE_WORDS[i.state] ?? i.state).replace(/^is /, '')}: ${subjectName(i)}, since ${otto.when(i.openedAt)} (${lasted(i.openedAt, now)})${f.replicas ? `, ${f.replicas}` : ''}. ${i.reason}`,
  };
}

export function recoveredText(f: AlertFacts, now: number = Date.now()): Reply {
  const i = f.incident;
  return {
    outcome: 'ok',
    text: `✅ ${subjectName(i)} has recovered${f.replicas ? `: ${f.replicas}` : ''}. It ${PAST_WORDS[i.state] ?? i.state} for ${lasted(i.openedAt, now)}.`,
  };
}

/** A launch announced to the fleet's alert targets: one message, edited when it ends. */
export function deployNotice(d: Deployment): Reply {
  const what = d.rollbackOf ? `return of ${d.fleet} to v${d.rollbackOf}` : `launch of ${d.fleet}`;
  const took = d.durationMs === null ? '' : ` in ${(d.durationMs / 1000).toFixed(1)} s`;
  switch (d.status) {
    case 'deploying':
      return { outcome: 'ok', text: `🚀 ${d.actor} started the ${what} (v${d.version}).` };
    case 'succeeded':
      return { outcome: 'ok', text: `✅ ${d.fleet} v${d.version} is in orbit${took} (${what}).` };
    case 'failed':
      return {
        outcome: 'failed',
        text: `❌ The ${what} (v${d.version}) failed${took}: ${d.reason ?? 'no reason recorded'}`,
      };
    case 'interrupted':
      return {
        outcome: 'failed',
        text: `⚠️ The ${what} (v${d.version}) was interrupted: Otto stopped before it ended. Check status ${d.fleet}.`,
      };
  }
}

/** The one alert for a manager that offered a host key other than the one Otto knows. */
export function hostKeyChangedText(
  m: { host: string; port: number; expected: string; offered: string; cluster: string },
  strict: boolean,
): Reply {
  return {
    outcome: 'failed',
    text: `🔑 Outpost ${m.host}:${m.port} of cluster ${m.cluster} offered a different host key! This could indicate a security issue. Expected ${m.expected}, it offered ${m.offered}. Otto ran nothing there${strict ? ' and does not fail over to other managers (strict_host_keys)' : ' and uses the other managers meanwhile'}.`,
    fix: `If the server was reinstalled, check its new key (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server) and pin it as host_key in otto.yml. Otherwise treat it as an intrusion attempt.`,
  };
}
