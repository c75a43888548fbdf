import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClusterWatch } from '../../src/watch/cluster-watch.js';
import type { AlertOutbox } from '../../src/watch/incident-messages.js';
import { announceLaunches, sendDigest } from '../../src/watch/telemetry.js';
import type { Reply } from '../../src/commands/types.js';
import type { FleetConfig } from '../../src/config/config.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';
import { sqliteHostKeys } from '../../src/store/host-keys.js';
import type { Ops } from '../../src/ops/ops.js';
import { testOps } from '../support/test-ops.js';

/** What the fake Swarm shows: shop_web's replicas and failed tasks, and node n1. */
const swarm = {
  running: 2,
  desired: 2,
  failedSecondsAgo: [] as number[],
  availability: 'Active',
};

const fakeSwarm = new RecordingTransport({
  'service ls': () =>
    ok(
      JSON.stringify({
        Name: 'shop_web',
        Replicas: `${swarm.running}/${swarm.desired}`,
        Image: 'shop:1',
      }),
    ),
  'service inspect': ok('[{"ID":"s1","Spec":{"Name":"shop_web"}}]'),
  'service ps': () =>
    ok(
      swarm.failedSecondsAgo
        .map((s, i) =>
          JSON.stringify({
            ID: `t${i}`,
            Name: 'shop_web.1',
            Image: 'shop:1',
            Node: 'n1',
            DesiredState: 'Shutdown',
            CurrentState: `Failed ${s} seconds ago`,
            Error: '"task: non-zero exit (3)"',
          }),
        )
        .join('\n'),
    ),
  'service logs': ok('shop_web.1@n1 | out of coffee\n'),
  'node ls': () =>
    ok(JSON.stringify({ Hostname: 'n1', Status: 'Ready', Availability: swarm.availability })),
});

/** Records what would be drawn, as `post C1: text`, `reply: text`, `edit: text`. */
const drawn: string[] = [];
const outbox: AlertOutbox = {
  async post(target: string, reply: Reply) {
    drawn.push(`post ${target}: ${reply.text}${reply.block ? ` [${reply.block.join('|')}]` : ''}`);
    return `ref-${drawn.length}`;
  },
  async reply(ref: string, reply: Reply) {
    drawn.push(`reply: ${reply.text}`);
    return ref;
  },
  async edit(_ref: string, reply: Reply) {
    drawn.push(`edit: ${reply.text}`);
  },
};

let ops: Ops;
let watch: ClusterWatch;
let shop: FleetConfig;

beforeAll(async () => {
  ops = await testOps(
    {
      clusters: { laptop: { local: true } },
      fleets: {
        shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml', alerts: ['slack:C1'] },
      },
      telemetry: { grace: '0s', remind: '1m' },
    },
    {
      files: { 'stacks/shop.yml': 'services:\n  web:\n    image: shop:1\n' },
      transport: fakeSwarm,
      key: 9,
    },
  );
  shop = ops.config.fleets.get('shop')!;
  watch = new ClusterWatch(ops, 'laptop', [shop], outbox, {
    log: () => {},
    targetsFor: (f) => f?.alerts ?? [],
  });
});
afterAll(async () => {
  await ops.close();
});
beforeEach(() => {
  drawn.length = 0;
});

const remindDue = () =>
  ops.db
    .updateTable('incidents')
    .set({ remindedAt: '2000-01-01T00:00:00.000Z' })
    .where('resolvedAt', 'is', null)
    .execute();

describe('a cluster watch', () => {
  it('opens one alert, threads a worse state, and stays quiet while the state only flips', async () => {
    Object.assign(swarm, { running: 1, desired: 2, failedSecondsAgo: [] });
    await watch.pass();
    expect(drawn).toEqual(['post slack:C1: 🟠 shop web is degraded: only 1/2 running.']);
    await watch.pass();
    expect(drawn).toHaveLength(1);

    Object.assign(swarm, { running: 0, failedSecondsAgo: [2] });
    await watch.pass();
    expect(drawn.slice(1)).toEqual([
      'reply: 🔴 shop web is down now (0/2 running): Service web exits with code 3.',
      'edit: 🔴 shop web is down: Service web exits with code 3.',
    ]);

    Object.assign(swarm, { running: 1, failedSecondsAgo: [2, 1] });
    await watch.pass();
    // Degraded again: the message is redrawn, nobody is pinged.
    expect(drawn.slice(3).every((d) => d.startsWith('edit:'))).toBe(true);
  });

  it('reminds in the thread, unless the service is silenced', async () => {
    await remindDue();
    await watch.pass();
    expect(drawn.filter((d) => d.startsWith('reply: ⏰ Still'))).toHaveLength(1);

    drawn.length = 0;
    const now = new Date();
    await ops.silences.add(
      'shop',
      'web',
      new Date(now.getTime() + 3_600_000).toISOString(),
      'console:tester',
      now.toISOString(),
    );
    await remindDue();
    await watch.pass();
    expect(drawn.filter((d) => d.startsWith('reply:'))).toEqual([]);
  });

  it('threads the recovery and redraws the alert as resolved, even while silenced', async () => {
    Object.assign(swarm, { running: 2, desired: 2, failedSecondsAgo: [] });
    await watch.pass();
    expect(drawn[0]).toMatch(/^reply: ✅ shop web has recovered: 2\/2 running\. It was \w+ for/);
    expect(drawn[1]).toMatch(/^edit: ✅ Resolved: shop web was \w+ for/);
    expect(await ops.incidents.openIncidents()).toEqual([]);
    await ops.silences.lift('shop', undefined, new Date().toISOString());
  });

  it('leaves a fleet alone while its launch holds the lock', async () => {
    await ops.locks.acquire('shop', 'console:tester', 'launch v9');
    Object.assign(swarm, { running: 0, failedSecondsAgo: [1] });
    await watch.pass();
    expect(drawn).toEqual([]);
    await ops.locks.release('shop');
    await watch.pass();
    expect(drawn[0]).toContain('post slack:C1: 🔴 shop web is down');
    expect(drawn[0]).toContain('out of coffee');
    Object.assign(swarm, { running: 2, failedSecondsAgo: [] });
    await watch.pass();
  });

  it('alerts on a drained node and its return', async () => {
    swarm.availability = 'Drain';
    await watch.pass();
    expect(drawn).toEqual([
      'post slack:C1: 🟠 node n1 is drained: it is drained: Swarm runs no tasks on it.',
    ]);
    swarm.availability = 'Active';
    await watch.pass();
    expect(drawn[1]).toBe('reply: ✅ node n1 has recovered. It was drained for 0 s.');
  });
});

describe('changed host keys', () => {
  it('alerts each changed fingerprint once, even when the cluster answered', async () => {
    const keys = sqliteHostKeys(ops.db, 'laptop');
    const good = 'SHA256:' + 'G'.repeat(43);
    const bad = 'SHA256:' + 'B'.repeat(43);
    await keys.mismatch!('10.0.0.2', 22, good, bad);
    await keys.mismatch!('10.0.0.2', 22, good, bad);
    Object.assign(swarm, { running: 2, desired: 2, failedSecondsAgo: [] });
    await watch.pass();
    const alerts = drawn.filter((d) => d.includes('host key'));
    expect(alerts).toEqual([
      `post slack:C1: 🔑 Outpost 10.0.0.2:22 of cluster laptop offered a different host key! This could indicate a security issue. Expected ${good}, it offered ${bad}. Otto ran nothing there and uses the other managers meanwhile.`,
    ]);
    await watch.pass();
    await keys.mismatch!('10.0.0.2', 22, good, bad);
    await watch.pass();
    expect(drawn.filter((d) => d.includes('host key'))).toHaveLength(1);
    // Another fingerprint is another alert.
    await keys.mismatch!('10.0.0.2', 22, good, 'SHA256:' + 'C'.repeat(43));
    await watch.pass();
    expect(drawn.filter((d) => d.includes('host key'))).toHaveLength(2);
  });
});

describe('launch announcements and the digest', () => {
  it('announces a launch once, then edits it to its result', async () => {
    const d = await ops.deployments.start({
      fleet: 'shop',
      actor: 'slack:U1',
      composeSnapshot: 'services: {}',
    });
    const targets = (f: FleetConfig | undefined) => f?.alerts ?? [];
    await announceLaunches(ops, outbox, targets, () => {});
    await announceLaunches(ops, outbox, targets, () => {});
    expect(drawn).toEqual(['post slack:C1: 🚀 slack:U1 started the launch of shop (v1).']);
    await ops.deployments.finish(d, 'succeeded', null);
    await announceLaunches(ops, outbox, targets, () => {});
    await announceLaunches(ops, outbox, targets, () => {});
    expect(drawn[1]).toMatch(/^edit: ✅ shop v1 is in orbit in [\d.]+ s \(launch of shop\)\.$/);
    expect(drawn).toHaveLength(2);
  });

  it('sums up every fleet in the digest', async () => {
    Object.assign(swarm, { running: 1, desired: 2, failedSecondsAgo: [] });
    await sendDigest(
      ops,
      outbox,
      (f) => f?.alerts ?? ['slack:C1'],
      () => {},
    );
    expect(drawn[0]).toContain('Mission Control digest: 1 fleet');
    expect(drawn[0]).toContain('shop: 0/1 services at full strength, web 1/2');
  });
});

describe('memory pressure', () => {
  const MiB = 2 ** 20;
  /** The Swarm of this part: shop_api with a 100 MiB limit (or none), on node-1 (the manager) and node-2. */
  const mem = {
    limit: 100 as number | undefined,
    used: { 'node-1': 10, 'node-2': 10 },
    gone: false,
  };
  const task = (id: string, slot: number, node: string) =>
    JSON.stringify({
      ID: id,
      Name: `shop_api.${slot}`,
      Image: 'api:1',
      Node: node,
      DesiredState: 'Running',
      CurrentState: 'Running 3 minutes ago',
      Error: '',
    });
  const stats = (id: string, slot: number, node: 'node-1' | 'node-2') =>
    ok(
      JSON.stringify({
        Name: `shop_api.${slot}.${id}`,
        CPUPerc: '1.00%',
        MemUsage: `${mem.used[node]}MiB / ${mem.limit ?? 24000}MiB`,
        NetIO: '0B / 0B',
        BlockIO: '0B / 0B',
      }),
    );
  const manager = new RecordingTransport({
    'service ls': () =>
      ok(mem.gone ? '' : JSON.stringify({ Name: 'shop_api', Replicas: '3/3', Image: 'api:1' })),
    'service inspect': () =>
      ok(
        JSON.stringify([
          {
            ID: 's2',
            Spec: {
              Name: 'shop_api',
              TaskTemplate: mem.limit
                ? { Resources: { Limits: { MemoryBytes: mem.limit * MiB } } }
                : {},
            },
          },
        ]),
      ),
    'service ps': ok(
      [
        task('a1a1a1a1a1a1a1a1a1a1a1a1a', 1, 'node-1'),
        task('a2a2a2a2a2a2a2a2a2a2a2a2a', 2, 'node-2'),
        task('a3a3a3a3a3a3a3a3a3a3a3a3a', 3, 'node-3'),
      ].join('\n'),
    ),
    'node ls': ok(JSON.stringify({ Hostname: 'node-1', Status: 'Ready', Availability: 'Active' })),
    'node inspect': (argv) =>
      ok(
        JSON.stringify(
          argv
            .slice(argv.indexOf('--') + 1)
            .map((h) => (h === 'self' ? 'node-1' : h))
            .map((h) => ({
              ID: h.replace('node-', 'n'),
              Description: { Hostname: h },
              Status: { Addr: `10.0.0.${h.slice(-1)}` },
            })),
        ),
      ),
    stats: () => stats('a1a1a1a1a1a1a1a1a1a1a1a1a', 1, 'node-1'),
  });
  const worker = new RecordingTransport({
    stats: () => stats('a2a2a2a2a2a2a2a2a2a2a2a2a', 2, 'node-2'),
  });
  const logged: string[] = [];
  let mops: Ops;
  let mwatch: ClusterWatch;

  beforeAll(async () => {
    mops = await testOps(
      {
        clusters: {
          edge: { managers: [{ host: '10.0.0.1', user: 'ops', private_key_file: 'id' }] },
        },
        fleets: {
          shop: { cluster: 'edge', compose_file: 'stacks/shop.yml', alerts: ['slack:C1'] },
        },
        telemetry: { memory_warn: 80 },
      },
      {
        files: { 'stacks/shop.yml': 'services:\n  api:\n    image: api:1\n' },
        transport: manager,
        outpostReach: {
          hostKeys: { get: async () => undefined, remember: async () => {} },
          probe: async () => 'SHA256:x',
          connect: () => worker,
        },
      },
    );
    await mops.outposts.add({
      cluster: 'edge',
      host: '10.0.0.2',
      port: 22,
      user: 'otto',
      keyFile: '/keys/otto',
      role: 'worker',
      fingerprint: 'SHA256:w',
      nodeId: 'n2',
      addedBy: 'console:ops',
    });
    mwatch = new ClusterWatch(mops, 'edge', [mops.config.fleets.get('shop')!], outbox, {
      log: (l) => logged.push(l),
      targetsFor: (f) => f?.alerts ?? [],
    });
  });
  afterAll(async () => {
    await mwatch.close();
    await mops.close();
  });
  beforeEach(() => {
    manager.calls.length = 0;
    worker.calls.length = 0;
  });

  it('costs no call when no service has a memory limit', async () => {
    mem.limit = undefined;
    await mwatch.pass();
    expect(manager.verbs()).toEqual(['service ls', 'service inspect', 'service ps', 'node ls']);
    expect(worker.calls).toEqual([]);
    expect(drawn).toEqual([]);
  });

  it('opens one alert after two polls above memory_warn, where Otto can read the node', async () => {
    mem.limit = 100;
    mem.used['node-2'] = 92;
    await mwatch.pass();
    // One docker stats on each node that runs a limited task; node-3 has no way in.
    expect(manager.verbs().slice(4)).toEqual(['node inspect', 'stats']);
    expect(worker.verbs()).toEqual(['stats']);
    expect(drawn).toEqual([]);
    expect(logged.filter((l) => l.includes('node-3'))).toEqual([
      "📡 Telemetry can't read the memory of shop_api.3 on node-3: Otto has no SSH way in (it is neither a manager in otto.yml nor an outpost Otto added). Add it with: outpost add edge 10.0.0.3",
    ]);
    await mwatch.pass();
    // Where the nodes are is known for a while: no second node inspect.
    expect(manager.verbs().filter((v) => v === 'node inspect')).toHaveLength(1);
    expect(drawn).toEqual([
      'post slack:C1: 📈 shop api is near its memory limit: api.2 on node-2 uses 92 MiB of its 100 MiB limit (92%): at or above telemetry.memory_warn (80%) for 2 polls in a row.',
    ]);
    const [open] = await mops.incidents.openIncidents('edge');
    expect(open).toMatchObject({
      kind: 'memory',
      subject: 'memory:edge:shop_api',
      fleet: 'shop',
      service: 'api',
      state: 'memory_high',
    });
    await mwatch.pass();
    expect(drawn).toHaveLength(1);
    // Said once, not at every poll.
    expect(logged.filter((l) => l.includes('node-3'))).toHaveLength(1);
  });

  it('redraws the alert when another task joins, and recovers when none is above', async () => {
    mem.used['node-1'] = 85;
    await mwatch.pass();
    await mwatch.pass();
    expect(drawn).toEqual([
      'edit: 📈 shop api is near its memory limit: api.2 on node-2 uses 92 MiB of its 100 MiB limit (92%); api.1 on node-1 uses 85 MiB of its 100 MiB limit (85%): at or above telemetry.memory_warn (80%) for 2 polls in a row.',
    ]);
    Object.assign(mem.used, { 'node-1': 20, 'node-2': 30 });
    await mwatch.pass();
    expect(drawn[1]).toMatch(
      /^reply: ✅ shop api has recovered\. It was near its memory limit for \d+ s\.$/,
    );
    expect(drawn[2]).toMatch(/^edit: ✅ Resolved: shop api was near its memory limit for \d+ s/);
    expect(await mops.incidents.openIncidents('edge')).toEqual([]);
  });

  it('ends a memory incident when its service is gone', async () => {
    mem.used['node-2'] = 95;
    await mwatch.pass();
    await mwatch.pass();
    expect(drawn[0]).toMatch(/^post slack:C1: 📈 shop api is near its memory limit: api\.2/);
    mem.gone = true;
    await mwatch.pass();
    mem.gone = false;
    expect(drawn[1]).toMatch(/^reply: ✅ shop api has recovered\./);
    expect(drawn[2]).toMatch(/The service no longer exists\.$/);
    expect(await mops.incidents.openIncidents('edge')).toEqual([]);
    mem.used['node-2'] = 30;
    await mwatch.pass();
    drawn.length = 0;
  });

  it('puts the top consumers of each cluster in the digest, and the nodes it could not read', async () => {
    await sendDigest(
      mops,
      outbox,
      () => ['slack:C1'],
      () => {},
    );
    const digest = drawn.find((d) => d.includes('Mission Control digest'));
    expect(digest?.split(' [')[1]?.replace(/]$/, '').split('|')).toEqual([
      'shop: 1/1 services at full strength',
      'edge top CPU: shop api.1 1.0% on node-1, shop api.2 1.0% on node-2',
      'edge top memory: shop api.2 30 MiB / 100 MiB (30%) on node-2, shop api.1 20 MiB / 100 MiB (20%) on node-1',
      'edge: node-3 not gauged (1 task): Otto has no SSH way in (it is neither a manager in otto.yml nor an outpost Otto added). Add it with: outpost add edge 10.0.0.3',
    ]);
  });
});
