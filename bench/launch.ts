/**
 * Launch speed (issue 19): Otto against the hand-run path and against Docker's own
 * convergence wait, for a first launch and for a rolling update of a 3-service
 * stack, side by side in each round; the time from Swarm's own timestamp of the last
 * task running to Otto saying so; and the docker calls a launch makes.
 */
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { docker, type Testbed } from '../tests/support/testbed.js';
import { OTTO_BIN, TEST_KEY, workspace } from '../tests/support/workspace.js';

const ROUNDS = Number(process.env['BENCH_LAUNCH_ROUNDS'] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ??
  NaN;
const ms = (x: number) => Math.round(x);

/** Tasks that stop at once on SIGTERM (the update replaces them), so Swarm's own pace shows. */
const QUICK_STOP = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

/** The stack: web (2 replicas), worker, cache; `n` more workers for the call count of a big stack. */
export function benchStack(image: string, extra = 0) {
  const services: Record<string, unknown> = {
    web: {
      image,
      command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
      init: true,
      deploy: { replicas: 2 },
    },
    worker: { image, command: QUICK_STOP },
    cache: { image, command: QUICK_STOP },
  };
  for (let i = 1; i <= extra; i++) services[`w${i}`] = { image, command: QUICK_STOP };
  return { services };
}

async function removeStack(bed: Testbed, name: string): Promise<void> {
  await docker(bed, ['stack', 'rm', name]);
  for (let i = 0; i < 240; i++) {
    const ps = await docker(bed, ['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${name}`]);
    const nets = await docker(bed, ['network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${name}`]);
    if (!ps.stdout.trim() && !nets.stdout.trim()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface OttoRun {
  readonly wallMs: number;
  /** When Otto's reply saying the fleet converged reached its output (epoch ms). */
  readonly saidAt: number;
  readonly calls: number;
  /** From OTTO_TRACE, ms since Otto's process started: its first docker call, and the deploy's end. */
  readonly firstCallMs: number;
  readonly deployedMs: number;
}

/** `[trace +225ms] docker stack deploy … → exit 0 in 419 ms` → start and duration. */
function traced(lines: readonly string[], match: (l: string) => boolean) {
  const at = lines
    .filter(match)
    .map((l) => /^\[trace \+(\d+)ms\].* in (\d+) ms$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ start: Number(m[1]), end: Number(m[1]) + Number(m[2]) }));
  return at;
}

/** `otto say "launch <fleet>"` as a fresh process, with OTTO_TRACE counting its docker calls. */
async function ottoLaunch(dir: string, config: string, fleet: string): Promise<OttoRun> {
  const t0 = performance.now();
  let saidAt = 0;
  const child = execa('node', [OTTO_BIN, 'say', `launch ${fleet}`, '--as', 'console:bench', '--config', config], {
    reject: false,
    input: '',
    cwd: dir,
    env: { OTTO_SECRET_KEY: TEST_KEY, OTTO_TRACE: '1' },
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    if (!saidAt && chunk.toString().includes('is in orbit')) saidAt = Date.now();
  });
  const r = await child;
  const wallMs = performance.now() - t0;
  if (r.exitCode !== 0 || !saidAt) throw new Error(`otto launch failed: ${String(r.stdout)}\n${String(r.stderr)}`);
  const lines = String(r.stderr)
    .split('\n')
    .filter((l) => l.startsWith('[trace '));
  const all = traced(lines, () => true);
  const deploy = traced(lines, (l) => l.includes(' stack deploy '));
  return {
    wallMs,
    saidAt,
    calls: lines.length,
    firstCallMs: Math.min(...all.map((c) => c.start)),
    deployedMs: Math.max(...deploy.map((c) => c.end)),
  };
}

/**
 * Otto as the bot people talk to: one `otto console` per round, already connected
 * (its telemetry runs too), and a launch typed into it. No Node start and no SSH
 * handshake per launch: what a launch costs in Slack or Discord.
 */
async function startBot(dir: string, config: string) {
  const child = execa('node', [OTTO_BIN, 'console', '--config', config], {
    reject: false,
    cwd: dir,
    env: { OTTO_SECRET_KEY: TEST_KEY },
  });
  let out = '';
  let waiter: (() => void) | undefined;
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    waiter?.();
  });
  /** Resolves once `re` matches the output after `from`, with Date.now() then. */
  const seen = (re: RegExp, from: number) =>
    new Promise<number>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`bot never said ${re}:\n${out}`)), 120_000);
      waiter = () => {
        if (!re.test(out.slice(from))) return;
        clearTimeout(deadline);
        waiter = undefined;
        resolve(Date.now());
      };
      waiter();
    });
  await seen(/otto> /, 0);
  // A bot that has been up a moment: its start-up reads (preflight, telemetry's first
  // sweep) are done, as they are long before anyone types a launch.
  await new Promise((r) => setTimeout(r, 3000));
  return {
    async launch(fleet: string): Promise<{ wallMs: number; saidAt: number }> {
      const from = out.length;
      const t0 = performance.now();
      child.stdin?.write(`launch ${fleet}\n`);
      const saidAt = await seen(new RegExp(`${fleet} v\\d+ is in orbit|went wrong|failed`), from);
      const wallMs = performance.now() - t0;
      if (!/is in orbit/.test(out.slice(from))) throw new Error(`bot launch failed:\n${out.slice(from)}`);
      return { wallMs, saidAt };
    },
    async stop() {
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await child;
      clearTimeout(timer);
    },
  };
}

/** `ssh … docker -H …`; with `master`, every call shares one connection, as a bot's do. */
function ssh(bed: Testbed, master?: string): string {
  const shared = master ? ` -o ControlMaster=auto -o ControlPath=${master} -o ControlPersist=600` : '';
  return `ssh -q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null${shared} -i ${bed.privateKeyFile} -p ${bed.sshPort} ${bed.sshUser}@127.0.0.1 docker -H ${bed.dockerHost}`;
}

/**
 * By hand: `ssh` + `docker stack deploy`, then a loop (a call every 0.5 s) until the
 * stack's running tasks are all `want` of the image, as a careful person would check
 * a rolling update (`service ls` shows n/n before the update has even begun).
 */
async function byHand(
  bed: Testbed,
  name: string,
  file: string,
  image: string,
  want: number,
  master?: string,
): Promise<number> {
  const script = `
set -e
${ssh(bed, master)} stack deploy --with-registry-auth --prune --resolve-image always -c - ${name} < ${file} >/dev/null 2>&1
while true; do
  out=$(${ssh(bed, master)} stack ps ${name} --filter desired-state=running --format "'{{.Image}} {{.CurrentState}}'")
  n=$(echo "$out" | grep -c . || true)
  ok=$(echo "$out" | grep -c "^${image} Running" || true)
  [ "$n" = ${want} ] && [ "$ok" = ${want} ] && break
  sleep 0.5
done`;
  const t0 = performance.now();
  await execa('bash', ['-c', script]);
  return performance.now() - t0;
}

/** Docker's own wait: `docker stack deploy --detach=false` over ssh. */
async function detachFalse(bed: Testbed, name: string, file: string): Promise<number> {
  const t0 = performance.now();
  await execa('bash', [
    '-c',
    `${ssh(bed)} stack deploy --detach=false --with-registry-auth --prune --resolve-image always -c - ${name} < ${file} >/dev/null 2>&1`,
  ]);
  return performance.now() - t0;
}

/** Swarm's own timestamp of the last of the stack's running tasks reaching running (epoch ms). */
async function lastRunningAt(bed: Testbed, fleet: string): Promise<number> {
  const ids = (await docker(bed, ['stack', 'ps', fleet, '-q', '--filter', 'desired-state=running'])).stdout
    .split('\n')
    .filter(Boolean);
  const r = await docker(bed, ['inspect', '--format', '{{.Status.Timestamp.Format "2006-01-02T15:04:05.000Z07:00"}}', ...ids]);
  return Math.max(...r.stdout.split('\n').filter(Boolean).map((t) => Date.parse(t)));
}

export async function launchBench(bed: Testbed) {
  const kinds = ['first', 'update'] as const;
  const otto = { first: [] as number[], update: [] as number[] };
  const hand = { first: [] as number[], update: [] as number[] };
  const waitFalse = { first: [] as number[], update: [] as number[] };
  const bot = { first: [] as number[], update: [] as number[] };
  const handWarm = { first: [] as number[], update: [] as number[] };
  const calls = { first: [] as number[], update: [] as number[] };
  const phases = { firstCall: [] as number[], deployed: [] as number[] };
  const noticed: number[] = [];
  const noticedBot: number[] = [];
  // Round -1 is a warm-up, not counted: the first Otto after a build writes V8's
  // compile cache, and the engine's first stack pays for things the others don't.
  for (let i = -1; i < ROUNDS; i++) {
    const counted = i >= 0;
    const fleet = `lo${i + 1}`;
    const botFleet = `lb${i + 1}`;
    const ws = workspace(bed, {
      [fleet]: { compose: benchStack(bed.images.v1), settle_seconds: 0 },
      [botFleet]: { compose: benchStack(bed.images.v1), settle_seconds: 0 },
    });
    const master = join(ws.dir, 'cm');
    const files = { first: join(ws.dir, 'v1.yml'), update: join(ws.dir, 'v2.yml') };
    writeFileSync(files.first, stringify(benchStack(bed.images.v1)));
    writeFileSync(files.update, stringify(benchStack(bed.images.v2)));
    for (const kind of kinds) {
      if (kind === 'update') {
        ws.writeStack(fleet, benchStack(bed.images.v2));
        ws.writeStack(botFleet, benchStack(bed.images.v2));
      }
      const run = await ottoLaunch(ws.dir, ws.config, fleet);
      const said = run.saidAt - (await lastRunningAt(bed, fleet));
      const image = kind === 'first' ? bed.images.v1 : bed.images.v2;
      const byHandMs = await byHand(bed, `lh${i + 1}`, files[kind], image, 4);
      const ownWait = await detachFalse(bed, `ld${i + 1}`, files[kind]);
      // The running bot, and the hand-run path on one shared SSH connection beside it;
      // the bot runs only for its own launch, so its telemetry loads nothing else.
      const running = await startBot(ws.dir, ws.config);
      const botRun = await running.launch(botFleet).finally(() => running.stop());
      const botSaid = botRun.saidAt - (await lastRunningAt(bed, botFleet));
      await execa('bash', ['-c', `${ssh(bed, master)} version >/dev/null`]);
      const handWarmMs = await byHand(bed, `lw${i + 1}`, files[kind], image, 4, master);
      await execa('ssh', ['-q', '-o', `ControlPath=${master}`, '-O', 'exit', 'x'], { reject: false });
      if (!counted) continue;
      bot[kind].push(botRun.wallMs);
      handWarm[kind].push(handWarmMs);
      noticedBot.push(botSaid);
      otto[kind].push(run.wallMs);
      calls[kind].push(run.calls);
      if (kind === 'first') {
        phases.firstCall.push(run.firstCallMs);
        phases.deployed.push(run.deployedMs);
      }
      noticed.push(said);
      hand[kind].push(byHandMs);
      waitFalse[kind].push(ownWait);
    }
    for (const name of [fleet, botFleet, `lh${i + 1}`, `ld${i + 1}`, `lw${i + 1}`])
      await removeStack(bed, name);
  }
  // The call count of a 30-service stack's first launch.
  const big = workspace(bed, { lbig: { compose: benchStack(bed.images.v1, 27), settle_seconds: 0 } });
  const bigRun = await ottoLaunch(big.dir, big.config, 'lbig');
  await removeStack(bed, 'lbig');

  const side = (kind: (typeof kinds)[number]) => {
    const o = median(otto[kind]);
    const h = median(hand[kind]);
    const d = median(waitFalse[kind]);
    return {
      otto_ms: otto[kind].map(ms),
      hand_ms: hand[kind].map(ms),
      detach_false_ms: waitFalse[kind].map(ms),
      otto_median_ms: ms(o),
      hand_median_ms: ms(h),
      detach_false_median_ms: ms(d),
      ratio_to_hand: Math.round((o / h) * 100) / 100,
      ratio_to_detach_false: Math.round((o / d) * 100) / 100,
      overhead_ms: ms(o - h),
      docker_calls_median: median(calls[kind]),
    };
  };
  const botSide = (kind: (typeof kinds)[number]) => {
    const o = median(bot[kind]);
    const h = median(handWarm[kind]);
    return {
      bot_ms: bot[kind].map(ms),
      hand_shared_ssh_ms: handWarm[kind].map(ms),
      bot_median_ms: ms(o),
      hand_shared_ssh_median_ms: ms(h),
      ratio_to_hand: Math.round((o / h) * 100) / 100,
      ratio_to_detach_false: Math.round((o / median(waitFalse[kind])) * 100) / 100,
      overhead_ms: ms(o - h),
    };
  };
  return {
    rounds: ROUNDS,
    stack: '3 services (web 2 replicas, worker, cache), each stops at once on SIGTERM; the update changes every image',
    first: {
      ...side('first'),
      otto_first_docker_call_at_ms: ms(median(phases.firstCall)),
      otto_deploy_done_at_ms: ms(median(phases.deployed)),
    },
    update: side('update'),
    running_bot: { first: botSide('first'), update: botSide('update') },
    target_ratio_to_hand: 1.05,
    convergence_noticed_ms: {
      samples: noticed.map(ms),
      p50: ms(pct(noticed, 50)),
      p95: ms(pct(noticed, 95)),
      target_p95: 300,
    },
    convergence_noticed_running_bot_ms: {
      samples: noticedBot.map(ms),
      p50: ms(pct(noticedBot, 50)),
      p95: ms(pct(noticedBot, 95)),
      target_p95: 300,
    },
    docker_calls: {
      first_3_services: median(calls.first),
      update_3_services: median(calls.update),
      first_30_services: bigRun.calls,
      before_issue_19_first_3_services: 15,
    },
    note: 'One uncounted warm-up round first. Otto runs as a fresh `otto say` process each time (Node start, SSH handshake, SQLite), with settle_seconds: 0, so it waits for what the hand-run loop waits for; running_bot is one `otto console` started before its launch (untimed) and a launch typed into it, against the hand-run path on one shared SSH connection (ControlMaster), as the bot shares its own. The hand-run path is ssh + docker stack deploy, then a call every 0.5 s until the running tasks all run the new image. --detach=false is docker stack deploy waiting itself. Noticed: Otto\'s reply reaching its output minus the Status.Timestamp of the last task to reach running.',
  };
}
