/**
 * Gauges for `npm run bench`: `top` of a fleet of 50 services over a real two-node
 * Swarm (network-namespace nodes with their own sshd and dockerd, as in the e2e
 * suites): one the manager of otto.yml, the other a worker Otto knows as an outpost.
 * Wall time of `top` (target under 1.5 s) and its SSH rounds per node (target: one
 * `docker stats` per node), cold (new SSH logins) and warm (the manager's connection
 * open, as in `otto start`). For scale, `docker stats --no-stream` alone on one node,
 * over SSH and on the machine itself: Docker takes two samples a second apart.
 */
import { mountMissingCgroups } from '../tests/support/cgroups.js';
import { stringify } from 'yaml';
import { dispatch } from '../src/commands/dispatch.js';
import { loadConfig } from '../src/config/config.js';
import { defaultOutpostReach, defaultTransport, openOps } from '../src/ops/ops.js';
import { dockerStats } from '../src/swarm/argv.js';
import { startNodes } from '../tests/support/nodes.js';
import { RecordingTransport, verbOf } from '../tests/support/recording-transport.js';
import type { RunOptions, RunResult, Transport } from '../src/transport/transport.js';
import { makeImages, waitFor, type Testbed } from '../tests/support/testbed.js';
import { TEST_KEY, workspace } from '../tests/support/workspace.js';
import { percentile } from './stats.js';

const SERVICES = 50;

/** When the `top` being measured started. */
let origin = 0;

/** A transport that times each call from the start of a `top`: `manager service ls 1→64 ms`. */
class Timed implements Transport {
  readonly spans: string[] = [];
  constructor(private readonly inner: Transport, private readonly where: string) {}
  get target(): string {
    return this.inner.target;
  }
  async run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    const t0 = performance.now() - origin;
    try {
      return await this.inner.run(argv, options);
    } finally {
      const t1 = performance.now() - origin;
      this.spans.push(`${this.where} ${verbOf(argv)} ${Math.round(t0)}\u2192${Math.round(t1)} ms`);
    }
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
const ROUNDS = 5;

export async function topBench(bed: Testbed) {
  const unmount = await mountMissingCgroups();
  const nodes = await startNodes([{}, {}]);
  const [one, two] = nodes.nodes as [(typeof nodes.nodes)[0], (typeof nodes.nodes)[0]];
  try {
    await one.docker(['swarm', 'init', '--advertise-addr', one.ip]);
    const token = (await one.docker(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
    await two.docker(['swarm', 'join', '--token', token, `${one.ip}:2377`]);
    await waitFor(
      'two Ready nodes',
      async () =>
        (await one.docker(['node', 'ls', '--format', '{{.Status}}'])).stdout.split('\n').filter((l) => l === 'Ready')
          .length === 2,
      120_000,
    );
    const images = await makeImages(nodes.dir, [one.dockerHost, two.dockerHost]);
    const names = Array.from({ length: SERVICES }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const compose = {
      services: Object.fromEntries(names.map((n) => [n, { image: images.v1, command: ['sleep', '3600'] }])),
    };
    const ws = workspace(
      bed,
      { fifty: { compose } },
      {
        edge: {
          managers: [
            { host: one.ip, port: 22, user: one.user, private_key_file: one.keyFile, host_key: one.hostFingerprint },
          ],
          ingress: { enabled: false },
        },
      },
    );
    const deployed = await one.docker(['stack', 'deploy', '-c', '-', 'fifty'], stringify(compose));
    if (deployed.exitCode !== 0) throw new Error(deployed.stderr);
    await waitFor(
      `${SERVICES} services running`,
      async () => {
        const ls = await one.docker(['service', 'ls', '--format', '{{.Replicas}}']);
        const rows = ls.stdout.trim().split('\n');
        return rows.length === SERVICES && rows.every((r) => r.startsWith('1/1'));
      },
      300_000,
    );
    const placed = await one.docker(['stack', 'ps', 'fifty', '--filter', 'desired-state=running', '--format', '{{.Node}}']);
    const perNode = Object.fromEntries(
      [one.name, two.name].map((n) => [n, placed.stdout.split('\n').filter((l) => l === n).length]),
    );

    // Two is an outpost Otto knows: its login, key, pinned host key and Swarm node id.
    const workerId = (await two.docker(['info', '--format', '{{.Swarm.NodeID}}'])).stdout.trim();
    let manager: RecordingTransport | undefined;
    const timed: Timed[] = [];
    const logins = new Map<string, RecordingTransport[]>();
    const ops = await openOps(loadConfig(ws.config, true), {
      env: { OTTO_SECRET_KEY: TEST_KEY },
      makeTransport: (cluster, db) => {
        const t = new Timed(defaultTransport(cluster, db), 'manager');
        timed.push(t);
        return (manager = new RecordingTransport({}, t));
      },
      makeOutpostReach: (cluster, db) => {
        const real = defaultOutpostReach(cluster, db, false);
        return {
          ...real,
          connect: (target) => {
            const t = new Timed(real.connect(target), 'worker');
            timed.push(t);
            const r = new RecordingTransport({}, t);
            logins.set(target.host, [...(logins.get(target.host) ?? []), r]);
            return r;
          },
        };
      },
    });
    await ops.outposts.add({
      cluster: 'edge',
      host: two.ip,
      port: 22,
      user: two.user,
      keyFile: two.keyFile,
      role: 'worker',
      fingerprint: two.hostFingerprint,
      nodeId: workerId,
      addedBy: 'console:bench',
    });
    const source = { actor: 'console:bench', channel: 'bench', platform: 'console' as const };
    const runs: { ms: number; managerCalls: string[]; workerCalls: number; tasks: number; spans: string[] }[] = [];
    try {
      for (let i = 0; i < ROUNDS + 1; i++) {
        if (manager) manager.calls.length = 0;
        const before = [...logins.values()].flat().reduce((n, r) => n + r.calls.length, 0);
        const t0 = performance.now();
        origin = t0;
        for (const t of timed) t.spans.length = 0;
        const reply = await dispatch(ops, 'top fifty', source);
        const ms = performance.now() - t0;
        if (reply.outcome !== 'ok') throw new Error(`top failed: ${reply.text} ${JSON.stringify(reply.fields)}`);
        const tasks = Number(/(\d+) tasks on/.exec(reply.text)?.[1] ?? 0);
        const workerCalls = [...logins.values()].flat().reduce((n, r) => n + r.calls.length, 0) - before;
        runs.push({ ms, managerCalls: manager?.verbs() ?? [], workerCalls, tasks, spans: timed.flatMap((t) => t.spans) });
      }
      // For scale: docker stats alone, over the manager's open SSH connection and on the machine.
      const statsOverSsh: number[] = [];
      const statsLocal: number[] = [];
      for (let i = 0; i < 3; i++) {
        let t0 = performance.now();
        await ops.transport('edge').run(dockerStats());
        statsOverSsh.push(performance.now() - t0);
        t0 = performance.now();
        await one.docker(['stats', '--no-stream', '--format', '{{json .}}']);
        statsLocal.push(performance.now() - t0);
      }
      const [cold, ...warm] = runs;
      const warmMs = warm.map((r) => r.ms);
      const p50 = percentile(warmMs, 50);
      return {
        services: SERVICES,
        tasks_per_node: perNode,
        tasks_gauged: cold?.tasks,
        cold_ms: Math.round(cold?.ms ?? NaN),
        warm_ms: warmMs.map(Math.round),
        warm_p50_ms: Math.round(p50),
        target_ms: 1500,
        met: p50 < 1500,
        manager_calls_per_top: cold?.managerCalls,
        worker_calls_per_top: warm.map((r) => r.workerCalls),
        docker_stats_per_node: 1,
        last_top_calls: warm.at(-1)?.spans,
        worker_ssh_logins: [...logins.values()].flat().length,
        docker_stats_alone_ms: {
          over_ssh_p50: Math.round(percentile(statsOverSsh, 50)),
          on_the_machine_p50: Math.round(percentile(statsLocal, 50)),
        },
        note: 'One docker stats per node, all at once: the wall time is the manager reads (service ls, then service ps and inspect together, then node inspect) plus the slowest node\u2019s docker stats, which Docker itself holds for about 2 s (two CPU samples a second apart, then the CLI\u2019s next 500 ms tick). Each top logs in to the worker anew (its login is closed after the reply).',
      };
    } finally {
      await ops.close();
    }
  } finally {
    await one.docker(['stack', 'rm', 'fifty']);
    await nodes.stop();
    await unmount();
  }
}
