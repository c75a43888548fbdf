/**
 * Telemetry figures for `npm run bench`:
 * - alert latency of a `down` incident: every task of a running service starts
 *   exiting (a flag file appears in its bind mount, so no docker event announces
 *   it: only the poll can see it), measured from that moment to the alert's arrival
 *   at the Slack stand-in, over 10 incidents, with the poll at 15 s and at 5 s
 *   (targets: p95 under 20 s and under 8 s), with `docker events` off so that the
 *   poll alone is measured, and once more at 15 s with events on (the default);
 * - the cost of one reconcile pass for 50 fleets against 1: docker CLI calls (target:
 *   the same) and wall time.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/config.js';
import { defaultTransport, openOps } from '../src/ops/ops.js';
import { readCluster } from '../src/swarm/cluster-read.js';
import { startOtto } from '../tests/support/otto-process.js';
import { textOf } from '../tests/support/slack-messages.js';
import { SlackStandin } from '../tests/support/slack-standin.js';
import { RecordingTransport } from '../tests/support/recording-transport.js';
import { docker, type Testbed } from '../tests/support/testbed.js';
import { TEST_KEY, sshCluster, workspace } from '../tests/support/workspace.js';
import { percentile } from './stats.js';

const INCIDENTS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitRunning(bed: Testbed, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < 480; i++) {
    const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    const ours = ls.stdout.split('\n').filter((l) => l.startsWith(prefix));
    if (ours.length === n && ours.every((l) => / 1\/1/.test(l))) return;
    await sleep(500);
  }
  throw new Error(`${prefix} services never all ran`);
}

async function alertLatency(bed: Testbed, pollSeconds: number, events: boolean) {
  const tag = `lat${pollSeconds}${events ? 'e' : 'p'}`;
  const flags = mkdtempSync(join(tmpdir(), 'otto-bench-flags-'));
  const fleets = Array.from({ length: INCIDENTS }, (_, i) => `${tag}-${i}`);
  const stack = (fleet: string) => {
    mkdirSync(join(flags, fleet));
    return {
      services: {
        web: {
          image: bed.images.v1,
          command: ['sh', '-c', 'while [ ! -e /flag/down ]; do sleep 0.1; done; exit 3'],
          volumes: [`${join(flags, fleet)}:/flag`],
          stop_grace_period: '1s',
        },
      },
    };
  };
  const slack = new SlackStandin();
  await slack.listen();
  const ws = workspace(
    bed,
    Object.fromEntries(fleets.map((f) => [f, { compose: stack(f) }])),
    { swarm: sshCluster(bed) },
    {
      slack: { mode: 'socket', bot_token: 'xoxb-bench', app_token: 'xapp-bench', api_url: slack.apiUrl },
      telemetry: { poll: `${pollSeconds}s`, events, alerts: ['slack:C0ALERT'] },
    },
  );
  for (const f of fleets) await docker(bed, ['stack', 'deploy', '-c', join(ws.dir, 'stacks', `${f}.yml`), f]);
  await waitRunning(bed, `${tag}-`, INCIDENTS);
  const otto = startOtto(ws.config, ws.dir);
  await otto.waitForLog('Telemetry is watching');
  await sleep(pollSeconds * 1000 + 2000); // a few quiet polls first
  // Incidents start at random moments over two poll periods, so they meet the poll at every phase.
  const started = new Map<string, number>();
  await Promise.all(
    fleets.map(async (f) => {
      await sleep(Math.random() * pollSeconds * 2000);
      started.set(f, Date.now());
      writeFileSync(join(flags, f, 'down'), '');
    }),
  );
  const latencies: number[] = [];
  for (const f of fleets) {
    const alert = await slack.waitFor(
      (c) => c.method === 'chat.postMessage' && textOf(c).includes(`${f} web is down`),
      `the alert for ${f}`,
      120_000,
    );
    latencies.push((alert.at - started.get(f)!) / 1000);
  }
  await otto.stop();
  await slack.close();
  for (const f of fleets) await docker(bed, ['stack', 'rm', f]);
  const p95 = percentile(latencies, 95);
  return {
    poll_s: pollSeconds,
    docker_events: events,
    incidents: INCIDENTS,
    latencies_s: latencies.map((s) => Math.round(s * 10) / 10),
    p50_s: Math.round(percentile(latencies, 50) * 10) / 10,
    p95_s: Math.round(p95 * 10) / 10,
    target_p95_s: pollSeconds === 15 ? 20 : 8,
    met: p95 < (pollSeconds === 15 ? 20 : 8),
  };
}

async function reconcileCost(bed: Testbed) {
  const fleets = Array.from({ length: 50 }, (_, i) => `rc-${String(i).padStart(2, '0')}`);
  const svc = { services: { app: { image: bed.images.v1, command: ['sleep', '3600'] } } };
  const ws = workspace(bed, Object.fromEntries(fleets.map((f) => [f, { compose: svc }])));
  const yaml = stringify(svc);
  for (const f of fleets) await docker(bed, ['stack', 'deploy', '-c', '-', f], yaml);
  await waitRunning(bed, 'rc-', 50);
  let recorder: RecordingTransport | undefined;
  const ops = await openOps(loadConfig(ws.config, true), {
    env: { OTTO_SECRET_KEY: TEST_KEY },
    makeTransport: (cluster, db) => (recorder = new RecordingTransport({}, defaultTransport(cluster, db))),
  });
  const transport = ops.transport('swarm');
  const measure = async (names: string[]) => {
    await readCluster(transport, names); // warm the SSH connection
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < 5; i++) {
      if (recorder) recorder.calls.length = 0;
      const t0 = performance.now();
      const r = await readCluster(transport, names);
      times.push(performance.now() - t0);
      if (r.services.length !== names.length) throw new Error(`saw ${r.services.length} services`);
      n = recorder?.calls.length ?? 0;
    }
    return { docker_calls: n, median_ms: Math.round(percentile(times, 50)) };
  };
  const one = await measure(fleets.slice(0, 1));
  const all = await measure(fleets);
  await ops.close();
  for (const f of fleets) await docker(bed, ['stack', 'rm', f]);
  return {
    one_fleet: one,
    fifty_fleets: all,
    same_calls_as_one_fleet: one.docker_calls === all.docker_calls,
    note: 'A pass: docker service ls, then at once service inspect + service ps over the fleets\u2019 services + node ls.',
  };
}

export async function telemetryBench(bed: Testbed) {
  return {
    // The targets are for the poll alone; with docker events on (the default), an event
    // that happens to come with the failure (Docker emits node updates as tasks of
    // stack services fail) wakes the watcher sooner.
    alert_latency_poll_15s: await alertLatency(bed, 15, false),
    alert_latency_poll_5s: await alertLatency(bed, 5, false),
    alert_latency_poll_15s_with_events: await alertLatency(bed, 15, true),
    reconcile_pass: await reconcileCost(bed),
  };
}
