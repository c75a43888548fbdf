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
