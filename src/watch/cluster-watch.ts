import type { FleetConfig } from '../config/config.js';
import {
  CALM,
  DEFAULT_HEALTH_POLICY,
  HEALTHY,
  judgeHealth,
  judgeMemory,
  MEMORY_POLLS,
  type HealthChange,
  type HealthRecord,
  type MemoryRecord,
} from '../swarm/health.js';
import { memorySubject, refsOf } from '../store/incidents.js';
import { MemoryGauge, PassTap } from '../ops/gauges.js';
import type { Ops } from '../ops/ops.js';
import { taskLabel } from '../swarm/stats.js';
import { fleetLogs } from '../swarm/logs.js';
import { readCluster, type ServiceReading } from '../swarm/cluster-read.js';
import { markMismatchAlerted, unalertedMismatches } from '../store/host-keys.js';
import {
  hostKeyChangedText,
  memoryReason,
  reminderText,
  worsenedText,
  type AlertFacts,
} from '../commands/alert-text.js';
import { IncidentMessages, redactTarget, type AlertOutbox } from './incident-messages.js';
import { Subject } from '../store/subject.js';

export interface WatchOptions {
  readonly log: (line: string) => void;
  /** Where a fleet's alerts go (node and cluster alerts: the union over the cluster's fleets). */
  readonly targetsFor: (fleet: FleetConfig | undefined) => readonly string[];
}

const UNREACHABLE_PASSES = 2;

interface ClusterRecord {
  readonly failures: number;
}

/**
 * Watches one cluster: each pass reads all its fleets with a fixed number of docker
 * calls, judges every service and node against its stored record, and turns changes
 * of state into one message per incident, with updates in its thread.
 */
export class ClusterWatch {
  private running: Promise<void> | undefined;
  private again = false;
  private readonly messages: IncidentMessages;
  /** Reads the memory of tasks with a limit on their nodes, logins kept open between passes. */
  private readonly memory: MemoryGauge;

  constructor(
    private readonly ops: Ops,
    readonly cluster: string,
    private readonly fleets: readonly FleetConfig[],
    outbox: AlertOutbox,
    private readonly options: WatchOptions,
  ) {
    this.messages = new IncidentMessages(ops, outbox, options.log);
    this.memory = new MemoryGauge(ops, cluster, options.log);
  }

  /** Closes the SSH logins to nodes the memory watch opened (after the last pass). */
  async close(): Promise<void> {
    await this.idle();
    await this.memory.close();
  }

  /** Resolves when no pass is running. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Runs a pass, or one more after the one in progress: passes never overlap. */
  pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.passOnce(Date.now());
        } catch (e) {
          this.options.log(
            `⚠️ Telemetry for ${this.cluster} failed a pass: ${(e as Error).message}`,
          );
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private get targets(): string[] {
    return [...new Set(this.fleets.flatMap((f) => this.options.targetsFor(f)))];
  }

  private async passOnce(now: number): Promise<void> {
    const iso = new Date(now).toISOString();
    const incidents = this.ops.incidents;
    const clusterSubject = Subject.format({ kind: 'cluster', cluster: this.cluster });
    let reading;
    // The memory watch reads what this pass read: which services have limits, where their tasks run.
    const tap = new PassTap(this.ops.transport(this.cluster));
    try {
      reading = await readCluster(
        tap,
        this.fleets.map((f) => f.name),
        now,
      );
    } catch (e) {
      await this.hostKeyAlerts();
      const prev = (await incidents.health<ClusterRecord>([clusterSubject])).get(clusterSubject);
      const failures = (prev?.failures ?? 0) + 1;
      await incidents.saveHealth(clusterSubject, { failures }, iso);
      if (failures >= UNREACHABLE_PASSES && !(await incidents.current(clusterSubject))) {
        const incident = await incidents.open({
          subject: clusterSubject,
          kind: 'cluster',
          cluster: this.cluster,
          state: 'unreachable',
          reason: (e as Error).message,
          openedAt: iso,
        });
        await this.messages.deliver(incident, {}, this.targets);
      }
      return;
    }
    await this.hostKeyAlerts();
    const before = (await incidents.health<ClusterRecord>([clusterSubject])).get(clusterSubject);
    if (before?.failures) await incidents.saveHealth(clusterSubject, { failures: 0 }, iso);
    const unreachable = await incidents.current(clusterSubject);
    if (unreachable) await this.messages.recover(unreachable, {}, now);

    // A launch in progress owns its fleet: it reports its own rollout.
    const locked = await this.ops.locks.heldAmong(this.fleets.map((f) => f.name));
    await this.judgeServices(reading.services, locked, now);
    await this.judgeNodes(reading.nodes, now);
    await this.judgeMemory(tap, reading.services, locked, now);
    await this.followUp(now, locked);
  }

  /**
   * One alert per changed host key a manager offered, even when another manager
   * answered: posted to the cluster's targets, then never again for that key.
   */
  private async hostKeyAlerts(): Promise<void> {
    const cluster = this.ops.config.clusters.get(this.cluster);
    const strict = cluster?.kind === 'ssh' && cluster.strictHostKeys;
    for (const m of await unalertedMismatches(this.ops.db, this.cluster)) {
      const reply = hostKeyChangedText(m, strict);
      this.options.log(`🚨 ${reply.text}`);
      let posted = this.targets.length === 0;
      for (const target of this.targets) {
        try {
          await this.messages.post(target, reply);
          posted = true;
        } catch (e) {
          this.options.log(
            `⚠️ Otto could not post the host key alert to ${redactTarget(target)}: ${(e as Error).message}; it tries again at the next poll.`,
          );
        }
      }
      if (posted) await markMismatchAlerted(this.ops.db, m, new Date().toISOString());
    }
  }

  private async judgeServices(
    services: readonly ServiceReading[],
    locked: ReadonlySet<string>,
    now: number,
  ): Promise<void> {
    const iso = new Date(now).toISOString();
    const incidents = this.ops.incidents;
    const subject = (s: ServiceReading) =>
      Subject.format({ kind: 'service', cluster: this.cluster, service: s.name });
    const records = await incidents.health<HealthRecord>(services.map(subject));
    const grace = this.ops.config.telemetry.graceSeconds;
    const acts: Promise<void>[] = [];
    for (const s of services) {
      const key = subject(s);
      const prev = records.get(key) ?? HEALTHY;
      // Locked: the grace period starts over once the launch is done.
      if (locked.has(s.fleet)) {
        if (prev.shortSince) await incidents.saveHealth(key, { ...prev, shortSince: null }, iso);
        continue;
      }
      const { record, change } = judgeHealth(
        prev,
        { running: s.running, desired: s.desired, failedAt: s.failedAt, now: iso },
        { ...DEFAULT_HEALTH_POLICY, graceSeconds: Math.max(grace, s.startPeriodSeconds) },
      );
      if (JSON.stringify(record) !== JSON.stringify(prev))
        await incidents.saveHealth(key, record, iso);
      if (!change && record.state === 'healthy') continue;
      // Services are acted on at once: one slow log fetch does not hold up the others' alerts.
      acts.push(this.actOn(s, key, record, change, now));
    }
    await Promise.all(acts);
    // A service that is gone (pruned, or its stack removed) ends its incidents.
    const gone = (open: { subject: string }) =>
      !services.some(
        (s) => subject(s) === open.subject || memorySubject(this.cluster, s.name) === open.subject,
      );
    for (const open of await incidents.openIncidents(this.cluster)) {
      if (!['service', 'memory'].includes(open.kind) || (open.fleet && locked.has(open.fleet)))
        continue;
      if (gone(open)) {
        await this.messages.recover(
          { ...open, reason: `${open.reason} The service no longer exists.` },
          {},
          now,
        );
      }
    }
  }

  /** Turns one service's judged change into incident rows and messages. */
  private async actOn(
    s: ServiceReading,
    key: string,
    record: HealthRecord,
    change: HealthChange,
    now: number,
  ): Promise<void> {
    const iso = new Date(now).toISOString();
    const incidents = this.ops.incidents;
    const fleet = this.fleets.find((f) => f.name === s.fleet);
    const replicas = `${s.running}/${s.desired} running`;
    const mask = await this.ops.secrets.mask(s.fleet, this.cluster);
    const reason = mask.mask(
      s.reason?.message ??
        `${s.running === 0 ? 'no task is running' : `only ${replicas}`}${s.newest ? ` (newest task: ${s.newest})` : ''}.`,
    );
    const open = await incidents.current(key);
    if (!change) {
      // Same state, but a task error now says why: redraw the alert with it.
      if (open && s.reason && open.reason !== reason) {
        await incidents.update(open.id, open.state, reason, iso);
        const updated = { ...open, reason, updatedAt: iso };
        await this.messages.redraw(
          updated,
          { incident: updated, replicas, kind: s.reason.kind },
          now,
        );
      }
      return;
    }
    if (change === 'recovered') {
      if (open) await this.messages.recover(open, { replicas }, now);
      return;
    }
    if (change === 'opened' || !open) {
      const incident = await incidents.open({
        subject: key,
        kind: 'service',
        cluster: this.cluster,
        fleet: s.fleet,
        service: s.service,
        state: record.state,
        reason,
        openedAt: record.incidentSince ?? iso,
      });
      const logs = await this.lastLines(s);
      await this.messages.deliver(
        incident,
        { replicas, kind: s.reason?.kind, logs },
        this.options.targetsFor(fleet),
      );
      return;
    }
    await incidents.update(open.id, record.state, reason, iso);
    const updated = { ...open, state: record.state, reason, updatedAt: iso };
    const facts: AlertFacts = { incident: updated, replicas, kind: s.reason?.kind };
    if (change === 'worsened' && !(await this.messages.silenced(updated, iso))) {
      await this.messages.inThread(
        updated,
        worsenedText({ ...facts, logs: await this.lastLines(s) }),
      );
    }
    await this.messages.redraw(updated, facts, now);
  }

  private async judgeNodes(
    nodes: readonly { hostname: string; status: string; availability: string }[],
    now: number,
  ): Promise<void> {
    const iso = new Date(now).toISOString();
    const incidents = this.ops.incidents;
    const seen = new Set<string>();
    for (const n of nodes) {
      const key = Subject.format({ kind: 'node', cluster: this.cluster, hostname: n.hostname });
      seen.add(key);
      const state =
        n.status !== 'Ready' ? 'down' : n.availability === 'Drain' ? 'drain' : 'healthy';
      const open = await incidents.current(key);
      if (state === 'healthy') {
        if (open) await this.messages.recover(open, {}, now);
        continue;
      }
      const reason =
        state === 'down'
          ? `the managers see it as ${n.status}.`
          : 'it is drained: Swarm runs no tasks on it.';
      if (!open) {
        const incident = await incidents.open({
          subject: key,
          kind: 'node',
          cluster: this.cluster,
          state,
          reason,
          openedAt: iso,
        });
        await this.messages.deliver(incident, {}, this.targets);
      } else if (open.state !== state) {
        await incidents.update(open.id, state, reason, iso);
        const updated = { ...open, state, reason };
        await this.messages.inThread(updated, worsenedText({ incident: updated }));
        await this.messages.redraw(updated, { incident: updated }, now);
      }
    }
    for (const open of await incidents.openIncidents(this.cluster)) {
      if (open.kind === 'node' && !seen.has(open.subject))
        await this.messages.recover(
          { ...open, reason: `${open.reason} The node left the Swarm.` },
          {},
          now,
        );
    }
  }

  /**
   * Memory pressure of services with a memory limit, unless a launch holds their fleet:
   * no call when none has a limit, else one `docker stats` per node that runs such a
   * task. A node Otto can't read is said in the log; its tasks keep their count.
   */
  private async judgeMemory(
    tap: PassTap,
    services: readonly ServiceReading[],
    locked: ReadonlySet<string>,
    now: number,
  ): Promise<void> {
    const iso = new Date(now).toISOString();
    const incidents = this.ops.incidents;
    const watched = services.filter((s) => !locked.has(s.fleet));
    const read = await this.memory.read(
      tap,
      watched.map((s) => s.name),
    );
    if (!read) return;
    const key = (s: ServiceReading) => memorySubject(this.cluster, s.name);
    const records = await incidents.health<MemoryRecord>(watched.map(key));
    const warn = this.ops.config.telemetry.memoryWarnPercent;
    for (const s of watched) {
      const prev = records.get(key(s)) ?? CALM;
      const seen = read.services.get(s.name) ?? { read: [], blind: [] };
      const { record, change, hot } = judgeMemory(prev, seen, warn);
      if (JSON.stringify(record) !== JSON.stringify(prev))
        await incidents.saveHealth(key(s), record, iso);
      if (!change) continue;
      const open = await incidents.current(key(s));
      if (change === 'recovered') {
        if (open) await this.messages.recover(open, {}, now);
        continue;
      }
      const reason = memoryReason(
        hot.map((h) => ({ ...h, task: taskLabel(h.task, s.fleet), node: read.nodes.get(h.task)! })),
        warn,
        MEMORY_POLLS,
      );
      if (open) {
        await incidents.update(open.id, open.state, reason, iso);
        const updated = { ...open, reason, updatedAt: iso };
        await this.messages.redraw(updated, { incident: updated }, now);
        continue;
      }
      const incident = await incidents.open({
        subject: key(s),
        kind: 'memory',
        cluster: this.cluster,
        fleet: s.fleet,
        service: s.service,
        state: 'memory_high',
        reason,
        openedAt: iso,
      });
      const fleet = this.fleets.find((f) => f.name === s.fleet);
      await this.messages.deliver(incident, {}, this.options.targetsFor(fleet));
    }
  }

  /** Reminders, and posts that are still owed (a silence that ran out, a failed post). */
  private async followUp(now: number, locked: ReadonlySet<string>): Promise<void> {
    const iso = new Date(now).toISOString();
    const remind = this.ops.config.telemetry.remindSeconds * 1000;
    for (const open of await this.ops.incidents.openIncidents(this.cluster)) {
      if (open.fleet && locked.has(open.fleet)) continue;
      if (await this.messages.silenced(open, iso)) continue;
      const fleet = this.fleets.find((f) => f.name === open.fleet);
      const targets = open.fleet ? this.options.targetsFor(fleet) : this.targets;
      const refs = refsOf(open);
      if (targets.some((t) => !refs[t])) {
        await this.messages.deliver(open, {}, targets);
        continue;
      }
      if (now - Date.parse(open.remindedAt) >= remind) {
        await this.ops.incidents.reminded(open.id, iso);
        await this.messages.inThread(open, reminderText({ incident: open }, now));
      }
    }
  }

  /** The failing service's last log lines for the alert, secrets masked (10 s at most; none on failure). */
  private async lastLines(s: ServiceReading): Promise<string[]> {
    if (!s.reason || !['exit_code', 'unhealthy'].includes(s.reason.kind)) return [];
    try {
      const r = await fleetLogs(
        this.ops.transport(this.cluster),
        s.fleet,
        [s.service],
        { tail: 10 },
        await this.ops.secrets.mask(s.fleet, this.cluster),
      );
      return r.lines.slice(-10);
    } catch {
      return [];
    }
  }
}
