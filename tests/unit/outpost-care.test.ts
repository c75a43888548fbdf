import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import type { Ops } from '../../src/ops/ops.js';
import { failed, ok, RecordingTransport } from '../support/recording-transport.js';
import { FP, server } from '../support/fake-server.js';
import { testOps } from '../support/test-ops.js';

// outpost remove against a recording manager and node: drain, wait for the tasks,
// demote a manager, leave, node rm, forget — and never the last manager.

function swarm(nodes: { id: string; host: string; role: 'manager' | 'worker'; addr: string }[]) {
  let running = 2;
  let left = false;
  const manager = new RecordingTransport({
    'node inspect': (argv) => {
      const n = nodes.find((x) => argv.includes(x.id) || argv.includes(x.host));
      return n
        ? ok(
            JSON.stringify([
              {
                ID: n.id,
                Description: { Hostname: n.host },
                Spec: { Role: n.role },
                Status: { State: left ? 'down' : 'ready', Addr: n.addr },
              },
            ]),
          )
        : failed('Error: No such node\n');
    },
    'node ls': ok(
      nodes
        .map((n) =>
          JSON.stringify({ ID: n.id, ManagerStatus: n.role === 'manager' ? 'Reachable' : '' }),
        )
        .join('\n'),
    ),
    'node ps': () =>
      ok(Array.from({ length: Math.max(0, running--) }, () => '{"Node":"x"}').join('\n')),
    'node update': ok(),
    'node demote': ok(),
    'node rm': ok(),
  });
  // The node's own login: leaving makes the managers see it down.
  const node = new RecordingTransport({
    'swarm leave': () => {
      left = true;
      return ok();
    },
  });
  return { manager, node };
}

describe('outpost remove', () => {
  let ops: Ops;
  const { manager, node } = swarm([
    { id: 'm1', host: 'mgr-1', role: 'manager', addr: '10.0.0.1' },
    { id: 'w1', host: 'wrk-1', role: 'worker', addr: '10.0.0.5' },
  ]);
  const admin = { actor: 'console:root', channel: 'cli', platform: 'cli' as const };

  beforeAll(async () => {
    ops = await testOps(
      {
        clusters: {
          prod: { managers: [{ host: '10.0.0.1', user: 'deploy', private_key_file: '/k' }] },
        },
      },
      {
        transport: manager,
        outpostReach: {
          hostKeys: { get: async () => undefined, remember: async () => {} },
          probe: async () => FP,
          connect: () => node,
        },
      },
    );
    await ops.outposts.record({
      cluster: 'prod',
      host: '10.0.0.5',
      port: 22,
      user: 'deploy',
      keyFile: '/k',
      role: 'worker',
      fingerprint: FP,
      nodeId: 'w1',
      addedBy: 'console:root',
    });
  });
  afterAll(async () => {
    await ops.close();
  });

  it('drains a worker, waits for its tasks, makes it leave, removes it and forgets it', async () => {
    const r = await dispatch(ops, 'outpost remove prod wrk-1', admin);
    expect(r.outcome, r.text).toBe('ok');
    expect(manager.argvs().filter((a) => a[2] !== 'inspect' && a[2] !== 'ps')).toEqual([
      ['docker', 'node', 'update', '--availability', 'drain', '--', 'w1'],
      ['docker', 'node', 'rm', '--', 'w1'],
    ]);
    expect(manager.verbs().filter((v) => v === 'node ps').length).toBe(3);
    expect(node.argvs()).toEqual([['docker', 'swarm', 'leave']]);
    expect(await ops.outposts.list('prod')).toEqual([]);
    expect(r.block).toContain('✅ wrk-1 left the Swarm.');
  });

  it('refuses the last manager, changing nothing', async () => {
    manager.calls.length = 0;
    const r = await dispatch(ops, 'outpost remove prod mgr-1', admin);
    expect(r.outcome).toBe('failed');
    expect(r.text).toContain('mgr-1 is the last manager of prod');
    expect(manager.verbs()).toEqual(['node inspect', 'node ls']);
  });

  it('says so for a node the Swarm does not have', async () => {
    const r = await dispatch(ops, 'outpost remove prod ghost', admin);
    expect(r.outcome).toBe('failed');
    expect(r.text).toContain('prod has no node ghost.');
  });
});

describe('doctor', () => {
  it('checks every outpost again and the ingress, and names what to fix', async () => {
    const node = server();
    const manager = new RecordingTransport({
      'service inspect': ok(
        JSON.stringify([
          {
            Spec: {
              TaskTemplate: {
                ContainerSpec: {
                  Image: 'traefik:v3.7.9',
                  Args: ['--certificatesresolvers.letsencrypt.acme.email=ops@example.com'],
                },
              },
            },
          },
        ]),
      ),
      'service ps': ok('{"DesiredState":"Running","CurrentState":"Running 2 hours ago"}\n'),
    });
    const ops = await testOps(
      {
        clusters: {
          prod: {
            managers: [{ host: '10.0.0.1', user: 'deploy', private_key_file: '/k' }],
            ingress: { acme_email: 'ops@example.com' },
          },
        },
      },
      {
        transport: manager,
        outpostReach: {
          hostKeys: { get: async () => undefined, remember: async () => {} },
          probe: async () => FP,
          connect: () => node,
        },
      },
    );
    try {
      await ops.outposts.record({
        cluster: 'prod',
        host: '10.0.0.5',
        port: 22,
        user: 'deploy',
        keyFile: '/k',
        role: 'worker',
        fingerprint: FP,
        addedBy: 'console:root',
      });
      const r = await dispatch(ops, 'doctor prod', {
        actor: 'console:root',
        channel: 'cli',
        platform: 'cli',
      });
      expect(r.outcome).toBe('ok');
      expect(r.block).toEqual([
        'prod · 10.0.0.5:22 (worker):',
        '  ✅ Logged in as deploy@10.0.0.5.',
        '  ✅ Passwordless sudo works for deploy.',
        '  ✅ Debian GNU/Linux 12 (bookworm): supported.',
        expect.stringMatching(/^ {2}✅ Docker .*26\.1\.5/),
        '  ✅ Free disk at /var/lib/docker: 30.7 GB (at least 5.0 GB needed).',
        'prod · ingress of prod:',
        '  ✅ Running: traefik:v3.7.9.',
        "  ✅ Let's Encrypt account: ops@example.com.",
      ]);
      manager.on('service inspect', failed('Error: no such service\n'));
      const missing = await dispatch(ops, 'doctor prod', {
        actor: 'console:root',
        channel: 'cli',
        platform: 'cli',
      });
      expect(missing.outcome).toBe('failed');
      expect(missing.block).toContain('  ❌ The ingress (otto-ingress_traefik) is not deployed.');
    } finally {
      await ops.close();
    }
  });
});
