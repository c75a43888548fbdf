import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mountMissingCgroups } from '../support/cgroups.js';
import { CHAT_TOKENS } from '../support/chat-config.js';
import { type Nodes, startNodes, type TestNode } from '../support/nodes.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { textOf, tsOf } from '../support/slack-messages.js';
import { slashPayload, SlackStandin } from '../support/slack-standin.js';
import { until } from '../support/standin-server.js';
import { makeImages, waitFor } from '../support/testbed.js';
import { type Workspace, workspace } from '../support/workspace.js';

const bed = inject('testbed');
const ALERTS = 'C0ALERT';

/**
 * `top` and the memory-pressure alert on a real Swarm of three bare nodes (network
 * namespaces with their own sshd and dockerd, tests/support/nodes.ts): one, the
 * manager of otto.yml, and two, a worker, both added by `otto outpost add`; three
 * joined by hand, so Otto has no SSH way into it. A fleet runs a global web service
 * (a task on every node) and a hog with a 24 MiB memory limit on two that holds
 * 18 MiB (dd's buffer, blocked on a pipe nobody reads) until a flag file appears.
 */
describe.skipIf(bed === null)('gauges: top and memory pressure on a real multi-node Swarm', () => {
  if (!bed) return;
  let unmount: () => Promise<void> = async () => {};
  let nodes: Nodes | undefined;
  let one: TestNode, two: TestNode, three: TestNode;
  let ws: Workspace;
  let otto: OttoProcess | undefined;
  const slack = new SlackStandin();
  const flags = mkdtempSync(join(tmpdir(), 'otto-gauges-flags-'));

  beforeAll(async () => {
    unmount = await mountMissingCgroups();
    nodes = await startNodes([{}, {}, {}]);
    [one, two, three] = nodes.nodes as [TestNode, TestNode, TestNode];
    const images = await makeImages(
      nodes.dir,
      [one, two, three].map((n) => n.dockerHost),
    );
    await slack.listen();
    ws = workspace(
      bed,
      {
        gauged: {
          compose: {
            services: {
              web: {
                image: images.v1,
                command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
                deploy: { mode: 'global' },
                stop_grace_period: '1s',
              },
              hog: {
                image: images.v1,
                command: [
                  'sh',
                  '-c',
                  'busybox dd if=/dev/zero bs=18M count=1 | (while [ ! -e /flag/calm ]; do sleep 0.2; done); sleep 3600',
                ],
                volumes: [`${flags}:/flag`],
                deploy: {
                  resources: { limits: { memory: '24M' } },
                  placement: { constraints: [`node.hostname == ${two.name}`] },
                },
                stop_grace_period: '1s',
              },
            },
          },
        },
      },
      {
        edge: {
          managers: [
            {
              host: one.ip,
              port: 22,
              user: one.user,
              private_key_file: one.keyFile,
              host_key: one.hostFingerprint,
            },
          ],
          ingress: { enabled: false },
        },
      },
      {
        access: { 'slack:UALICE': 'viewer' },
        // Written out, not ${ENV}: `otto outpost add` and `otto say` load this file too.
        slack: {
          mode: 'socket',
          bot_token: 'xoxb-0000-secret-bot-token',
          app_token: 'xapp-1-secret-app-token',
          api_url: slack.apiUrl,
        },
        telemetry: { poll: '2s', events: false, memory_warn: 60, alerts: [`slack:${ALERTS}`] },
      },
    );
    const first = await ws.otto(['outpost', 'add', 'edge', one.ip, '--yes', '--as', 'console:ops']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const worker = await ws.otto([
      ...['outpost', 'add', 'edge', two.ip, '--user', two.user, '--key', two.keyFile],
      ...['--role', 'worker', '--fingerprint', two.hostFingerprint, '--as', 'console:ops'],
    ]);
    expect(worker.code, worker.stdout + worker.stderr).toBe(0);
    // Three joins by hand: in the Swarm, but Otto has no login for it.
    const token = (await one.docker(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
    const join3 = await three.docker(['swarm', 'join', '--token', token, `${one.ip}:2377`]);
    expect(join3.exitCode, join3.stderr).toBe(0);
    await waitFor(
      'three Ready nodes',
      async () =>
        (await one.docker(['node', 'ls', '--format', '{{.Status}}'])).stdout
          .split('\n')
          .filter((l) => l === 'Ready').length === 3,
      120_000,
    );
    const launch = await ws.say('launch gauged', { as: 'console:ops' });
    expect(launch.code, launch.stdout + launch.stderr).toBe(0);
  }, 600_000);

  afterAll(async () => {
    try {
      if (otto) expect(await otto.stop()).toBe(0);
      if (otto) expect(otto.log()).not.toMatch(CHAT_TOKENS);
      await slack.close();
      if (one)
        await execa('docker', ['-H', one.dockerHost, 'stack', 'rm', 'gauged'], {
          reject: false,
          timeout: 30_000,
        });
    } finally {
      await nodes?.stop();
      await unmount();
    }
  }, 180_000);

  /** The table rows of a `top` reply (as `otto say` prints its block), without their indent. */
  const rows = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('    '))
      .map((l) => l.slice(4));
  /** The cells of the first table row that starts with `start`. */
  const row = (stdout: string, start: string) =>
    rows(stdout)
      .find((l) => l.startsWith(start))
      ?.trim()
      .split(/\s{2,}/);
  /** `1.5%`, `16.1 MiB / 24 MiB (67%)`, `1.2 kB / 648 B`. */
  const PCT = /^\d+\.\d%$/;
  const MEM = /^[\d.]+ (B|KiB|MiB|GiB)( \/ [\d.]+ (MiB|GiB) \(\d+%\)| \(no limit\))$/;
  const IO = /^[\d.]+ (B|kB|MB|GB) \/ [\d.]+ (B|kB|MB|GB)$/;

  it('top shows the tasks of both nodes it can reach with their numbers, and names the third', async () => {
    let r = await ws.say('top gauged');
    // A task only just started may show no reading yet: ask again until all are read.
    await waitFor(
      'every reachable task read',
      async () => {
        r = await ws.say('top gauged');
        return !r.stdout.includes('no reading yet');
      },
      60_000,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      '📊 Gauges of gauged: 2 services, 3 tasks on 2 nodes (one docker stats reading; 1 node could not be read).',
    );
    expect(rows(r.stdout)[0]).toMatch(
      /^SERVICE \/ TASK +NODE +CPU +MEMORY +NET IN \/ OUT +DISK READ \/ WRITE$/,
    );
    const hog = row(r.stdout, 'hog ');
    expect(hog?.slice(0, 2)).toEqual(['hog', '1 task']);
    const hog1 = row(r.stdout, '  hog.1')!;
    expect(hog1[1], r.stdout).toBe(two.name);
    expect(hog1[2]).toMatch(PCT);
    // 18 MiB of dd's buffer, and a little for the shell, of 24 MiB.
    const [, used] = /^([\d.]+) MiB \/ 24 MiB \((\d+)%\)$/.exec(hog1[3] ?? '') ?? [];
    expect(Number(used), hog1[3]).toBeGreaterThan(17);
    expect(hog1[4]).toMatch(IO);
    expect(hog1[5]).toMatch(IO);
    expect(row(r.stdout, 'web ')?.slice(0, 2)).toEqual(['web', '2 tasks']);
    for (const node of [one, two]) {
      const web = rows(r.stdout)
        .map((l) => l.trim().split(/\s{2,}/))
        .find((c) => c[0] === 'web' && c[1] === node.name);
      expect(web, `web on ${node.name}:\n${r.stdout}`).toBeDefined();
      expect(web![2]).toMatch(PCT);
      expect(web![3]).toMatch(MEM);
      expect(web![3]).toContain('(no limit)');
      expect(Number(/^([\d.]+)/.exec(web![3]!)?.[1])).toBeGreaterThan(0);
    }
    // Three runs a web task too, but Otto has no login for it: named, with the fix.
    expect(r.stdout).toContain(`  📡 Not gauged: ${three.name} (${three.ip})`);
    expect(r.stdout).toContain(
      `Otto has no SSH way in (it is neither a manager in otto.yml nor an outpost Otto added). It runs web. Add it with: outpost add edge ${three.ip}`,
    );
    expect(r.stdout).toContain('[Refresh: top gauged]');
  }, 180_000);

  it('status of the fleet shows its top consumers; top of one service only that one', async () => {
    const status = await ws.say('status gauged');
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toContain('📊 Top consumers');
    expect(status.stdout).toMatch(
      new RegExp(`Memory: hog\\.1 on ${two.name} [\\d.]+ MiB / 24 MiB`),
    );
    expect(status.stdout).toContain(`Not gauged: ${three.name}: Otto has no SSH way in`);
    const hog = await ws.say('top gauged hog');
    expect(hog.stdout.split('\n')[0]).toMatch(
      /^📊 Gauges of gauged hog: 1 service, 1 task on 1 node/,
    );
    expect(hog.stdout).not.toContain('Not gauged');
  }, 120_000);

  it('names a node whose SSH login fails, with the reason', async () => {
    await two.blockPort(22);
    try {
      const r = await ws.say('top gauged');
      expect(r.stdout).toContain(`📡 Not gauged: ${two.name} (${two.ip})`);
      expect(r.stdout).toMatch(/Otto can't run commands there over SSH: .*refused/);
      expect(r.stdout).toContain('It runs hog.1, web.');
      expect(r.stdout.split('\n')[0]).toMatch(/1 task on 1 node .*2 nodes could not be read/);
    } finally {
      await two.unblockPort(22);
    }
  }, 120_000);

  it('top comes through Slack too', async () => {
    // otto start runs from here on: the memory watch of the next test is its telemetry.
    otto = startOtto(ws.config, ws.dir);
    await otto.waitForLog('Telemetry is watching 1 cluster');
    await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
    await slack.envelope('slash_commands', slashPayload(slack, 'top gauged hog', 'UALICE'));
    const answer = await slack.waitFor(
      (c) =>
        ['chat.postMessage', 'chat.update'].includes(c.method) &&
        textOf(c).includes('Gauges of gauged hog'),
      'the gauges in Slack',
      60_000,
    );
    expect(textOf(answer)).toMatch(
      new RegExp(`hog\\.1 +${two.name} +\\d+\\.\\d% +[\\d.]+ MiB / 24 MiB`),
    );
  }, 120_000);

  it('a task above memory_warn for two polls opens one alert, which recovers when it lets go', async () => {
    const alert = await slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args['channel'] === ALERTS &&
        !c.args['thread_ts'] &&
        textOf(c).includes('gauged hog is near its memory limit'),
      'the memory alert',
      120_000,
    );
    expect(textOf(alert)).toMatch(
      new RegExp(
        `📈 gauged hog is near its memory limit: hog\\.1 on ${two.name} uses [\\d.]+ MiB of its 24 MiB limit \\(\\d+%\\): at or above telemetry\\.memory_warn \\(60%\\) for 2 polls in a row\\.`,
      ),
    );
    expect(textOf(alert)).toContain('[Gauges]');
    // The flag lets dd go: its buffer is freed, and the next polls see the task calm.
    writeFileSync(join(flags, 'calm'), '');
    const ts = tsOf(alert);
    await slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args['thread_ts'] === ts &&
        textOf(c).includes('gauged hog has recovered'),
      'the recovery in the thread',
      120_000,
    );
    await slack.waitFor(
      (c) =>
        c.method === 'chat.update' &&
        c.args['ts'] === ts &&
        textOf(c).includes('✅ Resolved: gauged hog'),
      'the alert redrawn as resolved',
      30_000,
    );
    // One alert, and no other: the rest of the fleet was healthy all along (the
    // launch's own announcement aside).
    const roots = slack
      .callsOf('chat.postMessage')
      .filter((c) => c.args['channel'] === ALERTS && !c.args['thread_ts'])
      .map((c) => textOf(c).split('\n')[0])
      .filter((t) => !/ v1 is in orbit | started the launch /.test(t ?? ''));
    expect(roots).toEqual([textOf(alert).split('\n')[0]]);
  }, 300_000);
});
