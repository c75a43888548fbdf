/**
 * `npm run bench`: Otto's speed and memory targets, measured on a real Swarm over
 * real SSH (the test bed of the e2e suites). Figures go to bench/results.json.
 * Targets: a first launch and a rolling update within 1.05x of the hand-run path and
 * not slower than docker stack deploy --detach=false, convergence noticed within 300 ms
 * (p95) of Swarm's timestamp, no more docker calls than before; status of 20 fleets with as
 * many docker calls as for 1 and under 1 s; idle `otto start` under 80 MB RSS;
 * Slack acks with p99 under 100 ms and `otto start` on Slack idle under 90 MB;
 * Discord defers with p99 under 100 ms; a `down` alert within 20 s (p95) at the
 * default 15 s poll and 8 s at a 5 s poll; a reconcile pass of 50 fleets with as many
 * docker calls as for 1; parse and render of a 100-service compose file on anchors
 * under 50 ms (p99); a webhook push to a launch started (its request recorded) under
 * 200 ms (p99 of 100), and a git fleet's repository cloned once, then fetched; a line a
 * service prints seen in the Slack thread of `logs --follow` with p95 under 2 s.
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { dispatch } from '../src/commands/dispatch.js';
import { loadConfig } from '../src/config/config.js';
import { defaultTransport, openOps } from '../src/ops/ops.js';
import { RecordingTransport } from '../tests/support/recording-transport.js';
import { docker, startTestbed, stopTestbed, type Testbed } from '../tests/support/testbed.js';
import { OTTO_BIN, TEST_KEY, workspace } from '../tests/support/workspace.js';
import { discordBench } from './discord.js';
import { followBench } from './follow.js';
import { topBench } from './top.js';
import { hooksBench } from './hooks.js';
import { launchBench } from './launch.js';
import { renderBench } from './render.js';
import { slackBench } from './slack.js';
import { telemetryBench } from './telemetry.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function threeServices(bed: Testbed) {
  return {
    services: {
      web: { image: bed.images.v1, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], deploy: { replicas: 2 } },
      worker: { image: bed.images.v1, command: ['sleep', '3600'] },
      cache: { image: bed.images.v1, command: ['sleep', '3600'] },
    },
  };
}


async function statusFanOut(bed: Testbed) {
  const fleets = Array.from({ length: 20 }, (_, i) => `fan-${String(i).padStart(2, '0')}`);
  const ws = workspace(bed, Object.fromEntries(fleets.map((f) => [f, { compose: threeServices(bed) }])));
  const yaml = stringify({
    services: Object.fromEntries(['a', 'b', 'c'].map((s) => [s, { image: bed.images.v1, command: ['sleep', '3600'] }])),
  });
  for (const f of fleets) await docker(bed, ['stack', 'deploy', '-c', '-', f], yaml);
  // Measure a settled cluster: wait until all 60 services run their replica.
  for (let i = 0; i < 240; i++) {
    const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    const ours = ls.stdout.split('\n').filter((l) => l.startsWith('fan-'));
    if (ours.length === 60 && ours.every((l) => / 1\/1/.test(l))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const recorders: RecordingTransport[] = [];
  const open = (config: string) =>
    openOps(loadConfig(config, true), {
      env: { OTTO_SECRET_KEY: TEST_KEY },
      makeTransport: (cluster, db) => {
        const r = new RecordingTransport({}, defaultTransport(cluster, db));
        recorders.push(r);
        return r;
      },
    });
  const callCount = () => recorders.reduce((n, r) => n + r.calls.length, 0);
  const forgetCalls = () => recorders.forEach((r) => (r.calls.length = 0));
  const source = { actor: 'console:bench', channel: 'bench', platform: 'console' as const };
  /** `status` (every fleet) of an otto.yml: its docker calls and median time. */
  const measure = async (config: string) => {
    const ops = await open(config);
    await dispatch(ops, 'status', source); // warm the SSH connection
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < 5; i++) {
      forgetCalls();
      const t0 = performance.now();
      const reply = await dispatch(ops, 'status', source);
      times.push(performance.now() - t0);
      if (reply.outcome !== 'ok') throw new Error(reply.text);
      n = callCount();
    }
    await ops.close();
    return { calls: n, median_ms: Math.round(median(times)) };
  };
  // One fleet configured against twenty: `status <fleet>` also reads its gauges (top consumers).
  const single = workspace(bed, { 'fan-00': { compose: threeServices(bed) } });
  const one = await measure(single.config);
  const all = await measure(ws.config);
  const t0 = performance.now();
  const cli = await ws.say('status');
  const cliMs = performance.now() - t0;
  if (cli.code !== 0) throw new Error(cli.stdout);
  for (const f of fleets) await docker(bed, ['stack', 'rm', f]);
  return {
    fleets: 20,
    services: 60,
    one_fleet: one,
    twenty_fleets: all,
    otto_say_status_cold_ms: Math.round(cliMs),
    targets: { same_calls_as_one_fleet: one.calls === all.calls, under_1s: all.median_ms < 1000 },
    note: 'status makes one docker service ls per cluster, and one docker stack ls beside it for those who see the stacks Otto did not launch, plus one docker service ps when some service is short of replicas.',
  };
}

async function idleMemory(bed: Testbed) {
  const dir = mkdtempSync(join(tmpdir(), 'otto-bench-mem-'));
  const child = execa(OTTO_BIN, ['start'], { cwd: dir, env: { DOCKER_HOST: bed.dockerHost }, stdin: 'pipe', reject: false });
  await new Promise((r) => setTimeout(r, 4000));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  child.stdin?.end();
  await child;
  return { rss_mb: Math.round((rssKb / 1024) * 10) / 10, target_mb: 80 };
}

/** Every part of the bench; BENCH_ONLY=telemetry (say) runs one and keeps the other figures. */
const PARTS: Record<string, (bed: Testbed) => Promise<unknown>> = {
  // Chat first: ack latency is CPU-bound, so it is measured before the Swarm holds stacks.
  slack: slackBench,
  discord: discordBench,
  launch: launchBench,
  status: statusFanOut,
  telemetry: telemetryBench,
  memory: idleMemory,
  render: async () => renderBench(),
  hooks: hooksBench,
  follow: followBench,
  top: topBench,
};

async function main() {
  const only = process.env['BENCH_ONLY']?.split(',');
  const file = join(import.meta.dirname, 'results.json');
  const bed = await startTestbed();
  try {
    const results: Record<string, unknown> = only
      ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
      : {};
    results['date'] = new Date().toISOString();
    results['machine'] = { cores: (await import('node:os')).cpus().length, node: process.version };
    for (const [name, run] of Object.entries(PARTS)) {
      if (!only || only.includes(name)) results[name] = await run(bed);
    }
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await stopTestbed(bed);
  }
}

await main();
