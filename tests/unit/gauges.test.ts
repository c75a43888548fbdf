import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/types.js';
import { UnreachableError } from '../../src/errors.js';
import { readGauges } from '../../src/ops/gauges.js';
import type { Ops, OutpostReach } from '../../src/ops/ops.js';
import { dockerStats } from '../../src/swarm/argv.js';
import type { SshTarget } from '../../src/transport/ssh-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

// top, status and the digest's gauges against a recording manager and recording
// nodes: which node is reached how (the manager Otto talks to, an outpost it added,
// a manager of otto.yml), one docker stats per node, and every node it can't reach
// named with its fix.

const MiB = 2 ** 20;
const STARTING = 's1s1s1s1s1s1s1s1s1s1s1s1s';
const task = (id: string, name: string, node: string, state = 'Running 5 minutes ago') =>
  JSON.stringify({
    ID: id,
    Name: name,
    Node: node,
    Image: 'shop:1',
    DesiredState: 'Running',
    CurrentState: state,
    Error: '',
  });
const reading = (name: string, cpu: string, mem: string, net = '1.2kB / 648B', io = '0B / 4.1kB') =>
  JSON.stringify({ Name: name, CPUPerc: cpu, MemUsage: mem, NetIO: net, BlockIO: io, PIDs: '2' });

/** Where the nodes are: `node inspect` answers in the order asked, `self` first. */
const NODES: Record<string, object> = {
  'node-1': { ID: 'n1', Status: { Addr: '10.0.0.1' }, ManagerStatus: { Addr: '10.0.0.1:2377' } },
  'node-2': { ID: 'n2', Status: { Addr: '10.0.0.2' } },
  'node-3': { ID: 'n3', Status: { Addr: '10.0.0.3' } },
  'node-4': { ID: 'n4', Status: { Addr: '10.0.0.4' } },
  'node-5': { ID: 'n5', Status: { Addr: '0.0.0.0' }, ManagerStatus: { Addr: '10.0.0.5:2377' } },
};

/** `node inspect self …`: node-1 is the node the cluster's connection runs on. */
function nodeInspect(argv: readonly string[]) {
  return ok(
    JSON.stringify(
      argv
        .slice(argv.indexOf('--') + 1)
        .map((h) => (h === 'self' ? 'node-1' : h))
        .filter((h) => NODES[h])
        .map((h) => ({ ...NODES[h], Description: { Hostname: h } })),
    ),
  );
}

const manager = new RecordingTransport({
  'service ls': ok(
    ['shop_web', 'shop_db', 'other_app'].map((Name) => JSON.stringify({ Name })).join('\n'),
  ),
  'service ps': ok(
    [
      task('w1w1w1w1w1w1w1w1w1w1w1w1w', 'shop_web.1', 'node-1'),
      task('w2w2w2w2w2w2w2w2w2w2w2w2w', 'shop_web.2', 'node-2'),
      task('w3w3w3w3w3w3w3w3w3w3w3w3w', 'shop_web.3', 'node-3'),
      task('d1d1d1d1d1d1d1d1d1d1d1d1d', 'shop_db.1', 'node-5'),
      task('d2d2d2d2d2d2d2d2d2d2d2d2d', 'shop_db.2', 'node-4'),
      task(STARTING, 'shop_web.4', 'node-1', 'Starting 1 second ago'),
    ].join('\n'),
  ),
  'service inspect': ok(
    JSON.stringify([
      {
        Spec: {
          Name: 'shop_web',
          TaskTemplate: { Resources: { Limits: { MemoryBytes: 64 * MiB } } },
        },
      },
      { Spec: { Name: 'shop_db', TaskTemplate: {} } },
    ]),
  ),
  'node inspect': nodeInspect,
  stats: ok(
    [
      reading('shop_web.1.w1w1w1w1w1w1w1w1w1w1w1w1w', '1.50%', '16MiB / 64MiB'),
      reading('traefik.1.zzzzzzzzzzzzzzzzzzzzzzzzz', '3.00%', '40MiB / 23.54GiB'),
    ].join('\n'),
  ),
});

/** The nodes Otto logs in to itself, by address. */
const nodes: Record<string, RecordingTransport> = {
  '10.0.0.2': new RecordingTransport({
    stats: ok(
      reading('shop_web.2.w2w2w2w2w2w2w2w2w2w2w2w2w', '2.50%', '48MiB / 64MiB', '2kB / 1kB'),
    ),
  }),
  // Reached with the cluster's docker_host (`docker -H … stats`): answered whatever the verb.
  '10.0.0.5': new RecordingTransport(
    {},
    {
      target: 'ops@10.0.0.5:22',
      run: async () =>
        ok(reading('shop_db.1.d1d1d1d1d1d1d1d1d1d1d1d1d', '40.00%', '300MiB / 23.54GiB')),
      close: async () => {},
    },
  ),
};
const logins: SshTarget[] = [];
const reach: OutpostReach = {
  hostKeys: { get: async () => undefined, remember: async () => {} },
  probe: async () => 'SHA256:x',
  connect(target): Transport {
    logins.push(target);
    return (
      nodes[target.host] ?? {
        target: `${target.user}@${target.host}:${target.port}`,
        run: async () => {
          throw new UnreachableError(
            `${target.user}@${target.host}:22`,
            'refused',
            `${target.host}:22 refused the connection.`,
            'Check that sshd runs on it and that a firewall lets Otto in.',
          );
        },
        close: async () => {},
      }
    );
  },
};

let ops: Ops;
let progress: Reply[] = [];
const say = (text: string) =>
  dispatch(
    ops,
    text,
    { actor: 'console:vera', channel: 'cli', platform: 'cli' },
    { progress: (r) => progress.push(r) },
  );

beforeAll(async () => {
  ops = await testOps(
    {
      clusters: {
        edge: {
          managers: [
            { host: '10.0.0.1', user: 'ops', private_key_file: 'id_ops' },
            { host: '10.0.0.5', user: 'ops', private_key_file: 'id_ops' },
          ],
          docker_host: 'unix:///run/otto/docker.sock',
        },
      },
      access: { 'console:vera': 'viewer' },
      fleets: { shop: { cluster: 'edge', compose_file: 'stacks/shop.yml' } },
    },
    {
      files: {
        'stacks/shop.yml': 'services:\n  web:\n    image: shop:1\n  db:\n    image: db:1\n',
      },
      transport: manager,
      outpostReach: reach,
    },
  );
  for (const [host, nodeId] of [
    ['10.0.0.2', 'n2'],
    ['10.0.0.4', 'n4'],
  ] as const)
    await ops.outposts.add({
      cluster: 'edge',
      host,
      port: 22,
      user: 'otto',
      keyFile: '/keys/otto',
      role: 'worker',
      fingerprint: `SHA256:${nodeId}`,
      nodeId,
      addedBy: 'console:ops',
    });
});
afterAll(async () => {
  await ops.close();
});
beforeEach(() => {
  manager.calls.length = 0;
  for (const n of Object.values(nodes)) n.calls.length = 0;
  logins.length = 0;
  progress = [];
});

describe('reading gauges across the nodes', () => {
  it('reads each node once, through the way Otto has into it, and names the others', async () => {
    const g = await readGauges(ops, 'edge', ['shop']);
    expect(manager.argvs()).toEqual([
      ['docker', 'service', 'ls', '--format', '{{json .}}'],
      expect.arrayContaining(['service', 'ps', 'shop_web', 'shop_db']),
      ['docker', 'service', 'inspect', '--', 'shop_web', 'shop_db'],
      ['docker', 'node', 'inspect', '--', 'self', 'node-1', 'node-2', 'node-3', 'node-5', 'node-4'],
      // node-1 is the node the cluster's own connection runs on
      dockerStats(),
    ]);
    // An outpost Otto added, with its own user, key and pinned host key (matched by node id).
    expect(nodes['10.0.0.2']!.argvs()).toEqual([dockerStats()]);
    // A manager of otto.yml, matched by its Swarm address, with the cluster's docker_host.
    expect(nodes['10.0.0.5']!.argvs()).toEqual([
      [
        'docker',
        '-H',
        'unix:///run/otto/docker.sock',
        'stats',
        '--no-stream',
        '--format',
        '{{json .}}',
      ],
    ]);
    expect(logins.map((t) => [t.host, t.user, t.privateKeyFile, t.hostKey])).toEqual([
      ['10.0.0.2', 'otto', '/keys/otto', 'SHA256:n2'],
      ['10.0.0.5', 'ops', expect.stringMatching(/id_ops$/), undefined],
      ['10.0.0.4', 'otto', '/keys/otto', 'SHA256:n4'],
    ]);

    expect(g.nodes).toEqual(['node-1', 'node-2', 'node-5']);
    expect(
      g.tasks.map((t) => [t.task, t.node, t.cpuPercent, t.memoryBytes, t.memoryLimitBytes]),
    ).toEqual([
      ['shop_web.1', 'node-1', 1.5, 16 * MiB, 64 * MiB],
      ['shop_web.2', 'node-2', 2.5, 48 * MiB, 64 * MiB],
      ['shop_db.1', 'node-5', 40, 300 * MiB, undefined],
    ]);
    expect(g.unread.map((t) => t.name)).toEqual(['shop_web.4']);
    expect(g.ungauged).toEqual([
      {
        node: 'node-3',
        addr: '10.0.0.3',
        reason:
          'Otto has no SSH way in (it is neither a manager in otto.yml nor an outpost Otto added)',
        fix: 'Add it with: outpost add edge 10.0.0.3',
        tasks: ['shop_web.3'],
      },
      {
        node: 'node-4',
        addr: '10.0.0.4',
        reason: "Otto can't run commands there over SSH: 10.0.0.4:22 refused the connection",
        fix: 'Check that sshd runs on it and that a firewall lets Otto in.',
        tasks: ['shop_db.2'],
      },
    ]);
    expect(
      g.services.map((s) => [s.service, s.tasks, s.cpuPercent, s.memoryBytes, s.memoryLimitBytes]),
    ).toEqual([
      ['shop_db', 1, 40, 300 * MiB, undefined],
      ['shop_web', 2, 4, 64 * MiB, 128 * MiB],
    ]);
  });

  it('makes no call past the services when none runs a task', async () => {
    const g = await readGauges(ops, 'edge', ['ghost'], { services: [] });
    expect(g.tasks).toEqual([]);
    expect(manager.calls).toEqual([]);
  });
});

describe('top', () => {
  it('draws each service summed, then its tasks, and names the nodes it could not read', async () => {
    const r = await say('top shop');
    expect(progress).toEqual([]);
    expect(r.outcome).toBe('ok');
    expect(r.text).toBe(
      '📊 Gauges of shop: 2 services, 4 tasks on 3 nodes (one docker stats reading; 2 nodes could not be read).',
    );
    expect(r.block).toEqual([
      'SERVICE / TASK  NODE     CPU    MEMORY                  NET IN / OUT      DISK READ / WRITE',
      'db              1 task   40.0%  300 MiB (no limit)      1.2 kB / 648 B    0 B / 4.1 kB',
      '  db.1          node-5   40.0%  300 MiB (no limit)      1.2 kB / 648 B    0 B / 4.1 kB',
      'web             2 tasks  4.0%   64 MiB / 128 MiB (50%)  3.2 kB / 1.65 kB  0 B / 8.2 kB',
      '  web.1         node-1   1.5%   16 MiB / 64 MiB (25%)   1.2 kB / 648 B    0 B / 4.1 kB',
      '  web.2         node-2   2.5%   48 MiB / 64 MiB (75%)   2 kB / 1 kB       0 B / 4.1 kB',
      '  web.4         node-1   no reading yet (Starting 1 second ago)',
    ]);
    expect(r.fields).toEqual([
      {
        label: '📡 Not gauged: node-3 (10.0.0.3)',
        value:
          'Otto has no SSH way in (it is neither a manager in otto.yml nor an outpost Otto added). It runs web.3. Add it with: outpost add edge 10.0.0.3',
      },
      {
        label: '📡 Not gauged: node-4 (10.0.0.4)',
        value:
          "Otto can't run commands there over SSH: 10.0.0.4:22 refused the connection. It runs db.2. Check that sshd runs on it and that a firewall lets Otto in.",
      },
    ]);
    expect(r.buttons).toEqual([{ label: 'Refresh', command: 'top shop' }]);
  });

  it('gauges one service, and suggests a service the Swarm has', async () => {
    const r = await say('top shop db');
    expect(r.text).toMatch(/^📊 Gauges of shop db: 1 service, 1 task on 1 node/);
    expect(manager.argvs()[2]).toEqual(['docker', 'service', 'inspect', '--', 'shop_db']);
    const typo = await say('top shop wev');
    expect(typo.outcome).toBe('failed');
    expect(typo.text).toBe('Fleet shop has no service named wev in the Swarm. Did you mean web?');
    expect(typo.fix).toBe('Its services: db, web.');
  });
});

describe('status of one fleet', () => {
  it('adds the top consumers, after showing the rest', async () => {
    const r = await say('status shop');
    expect(progress[0]?.text).toBe('Telemetry for shop: reading its gauges...');
    const consumers = r.fields?.find((f) => f.label === '📊 Top consumers');
    expect(consumers?.value.split('\n')).toEqual([
      'CPU: db.1 on node-5 40.0%, web.2 on node-2 2.5%, web.1 on node-1 1.5%',
      'Memory: db.1 on node-5 300 MiB (no limit), web.2 on node-2 48 MiB / 64 MiB (75%), web.1 on node-1 16 MiB / 64 MiB (25%)',
      'Not gauged: node-3: Otto has no SSH way in (it is neither a manager in otto.yml nor an outpost Otto added). Add it with: outpost add edge 10.0.0.3',
      "Not gauged: node-4: Otto can't run commands there over SSH: 10.0.0.4:22 refused the connection. Check that sshd runs on it and that a firewall lets Otto in.",
    ]);
  });

  it('leaves them out of the status of every fleet, which stays one call of each kind', async () => {
    const r = await say('status');
    expect(r.fields?.some((f) => f.label === '📊 Top consumers')).toBe(false);
    // stack ls beside service ls: the stacks Otto didn't launch (a viewer of access: sees them).
    expect(manager.argvs().map((a) => a.slice(1, 3).join(' '))).toEqual([
      'service ls',
      'stack ls',
      'service ps',
    ]);
  });
});

describe('a local cluster', () => {
  it("reads the engine on Otto's machine, and names every other node", async () => {
    const engine = new RecordingTransport({
      'service ps': ok(
        [
          task('w1w1w1w1w1w1w1w1w1w1w1w1w', 'shop_web.1', 'node-1'),
          task('w2w2w2w2w2w2w2w2w2w2w2w2w', 'shop_web.2', 'node-2'),
        ].join('\n'),
      ),
      'node inspect': nodeInspect,
      stats: ok(reading('shop_web.1.w1w1w1w1w1w1w1w1w1w1w1w1w', '1.50%', '16MiB / 64MiB')),
    });
    const laptop = await testOps(
      {
        clusters: { laptop: { local: true } },
        fleets: { shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml' } },
      },
      { files: { 'stacks/shop.yml': 'services:\n  web:\n    image: shop:1\n' }, transport: engine },
    );
    try {
      const g = await readGauges(laptop, 'laptop', ['shop'], { services: ['shop_web'] });
      expect(g.tasks.map((t) => t.task)).toEqual(['shop_web.1']);
      expect(g.ungauged).toEqual([
        {
          node: 'node-2',
          addr: '10.0.0.2',
          reason: 'laptop is a local cluster: Otto reaches only the engine on its own machine',
          fix: 'Run docker stats on node-2 yourself, or give laptop managers: in otto.yml and add node-2 with: outpost add laptop 10.0.0.2',
          tasks: ['shop_web.2'],
        },
      ]);
      expect(engine.verbs().filter((v) => v === 'stats')).toHaveLength(1);
    } finally {
      await laptop.close();
    }
  });
});
