import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetConfig } from '../../src/config/config.js';
import { deployLanded, type FleetSnapshot } from '../../src/swarm/converge.js';
import { deployTimeoutMs, launch } from '../../src/ops/launch.js';
import type { Ops } from '../../src/ops/ops.js';
import type { RunOptions } from '../../src/transport/transport.js';
import { NGINX, testOps } from '../support/test-ops.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';
import {
  launchEvents,
  registryLogin,
  serviceInspect,
  serviceLogs,
  servicePs,
  stackDeploy,
} from '../../src/swarm/argv.js';

// A `docker stack deploy` that does not answer in time may still be deploying: Otto
// looks at the Swarm before recording the launch, against a recording fake manager.

const snap = (versions: Record<string, number>): FleetSnapshot => ({
  services: new Map(
    Object.entries(versions).map(([name, index]) => [
      name,
      { ID: name, Version: { Index: index }, Spec: { Name: name } },
    ]),
  ),
  tasks: [],
});

describe('deployLanded', () => {
  it('sees a created or updated service, and no change', () => {
    expect(deployLanded(snap({ a_web: 3 }), snap({ a_web: 3 }))).toBe(false);
    expect(deployLanded(snap({ a_web: 3 }), snap({ a_web: 4 }))).toBe(true);
    expect(deployLanded(snap({}), snap({ a_web: 1 }))).toBe(true);
    expect(deployLanded(snap({}), snap({}))).toBe(false);
  });

  it('gives the deploy as long as convergence, and at least a minute', () => {
    expect(deployTimeoutMs(300)).toBe(300_000);
    expect(deployTimeoutMs(5)).toBe(60_000);
  });
});

describe('a deploy that does not answer in time', () => {
  let ops: Ops;
  let fleet: FleetConfig;
  let inspectIndex = 7;
  let inspectFails = false;
  /** Set once this launch sent its deploy. */
  let sent = false;
  const deploys: RunOptions[] = [];
  const manager = new RecordingTransport({
    'stack deploy': (_argv, options) => {
      deploys.push(options);
      sent = true;
      return { exitCode: 124, stdout: '', stderr: '', timedOut: true };
    },
    'service inspect': () => {
      if (inspectFails && sent) throw new Error('manager gone');
      return ok(
        JSON.stringify([
          {
            ID: 's',
            Version: { Index: inspectIndex },
            Spec: {
              Name: 'slow_web',
              Mode: { Replicated: { Replicas: 1 } },
              TaskTemplate: { ContainerSpec: { Image: 'nginx' } },
            },
          },
        ]),
      );
    },
    'service ps': ok(
      JSON.stringify({
        ID: 't1',
        Name: 'slow_web.1',
        Image: 'nginx',
        Node: 'n1',
        DesiredState: 'Running',
        CurrentState: 'Running 5 seconds ago',
        Error: '',
      }),
    ),
  });

  beforeAll(async () => {
    ops = await testOps(
      {
        clusters: { laptop: { local: true } },
        fleets: {
          slow: {
            cluster: 'laptop',
            compose_file: 'stacks/slow.yml',
            converge_timeout: 90,
            settle_seconds: 0,
          },
        },
      },
      { files: { 'stacks/slow.yml': NGINX }, transport: manager },
    );
    fleet = ops.config.fleets.get('slow')!;
  });
  afterAll(async () => {
    await ops.close();
  });

  it('records failed, says nothing was deployed, and frees the fleet when the Swarm shows no change', async () => {
    const r = await launch(ops, { fleet, actor: 'console:t' });
    expect(deploys[0]).toMatchObject({ timeoutMs: 90_000, partialOnTimeout: true });
    expect(r.ok).toBe(false);
    expect(r.failure?.message).toBe(
      'docker stack deploy did not answer within 90 s, and the Swarm shows no change to slow: nothing was deployed. Check that the manager is not overloaded, then launch again.',
    );
    expect(r.deployment.status).toBe('failed');
    expect(await ops.locks.get('slow')).toBeUndefined();
  });

  it('says the outcome is unknown when the Swarm can no longer be read', async () => {
    inspectFails = true;
    sent = false;
    const r = await launch(ops, { fleet, actor: 'console:t' });
    inspectFails = false;
    expect(r.failure?.message).toContain(
      'the outcome is unknown. Check status slow before launching again.',
    );
    expect(r.deployment.status).toBe('failed');
    expect(await ops.locks.get('slow')).toBeUndefined();
  });

  it('goes on waiting for convergence when the deploy reached the Swarm', async () => {
    deploys.length = 0;
    const before = inspectIndex;
    const timedOut = { exitCode: 124, stdout: '', stderr: '', timedOut: true };
    // This time the deploy reached the Swarm before it stopped answering.
    manager.on('stack deploy', () => {
      inspectIndex = before + 1;
      return timedOut;
    });
    const r = await launch(ops, { fleet, actor: 'console:t' });
    expect(r.failure?.message).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.deployment.status).toBe('succeeded');
  });
});

describe('a launch, command by command', () => {
  it('sends exactly these docker commands: snapshot, login, the event stream, deploy, polls, the failing log', async () => {
    let deployed = false;
    const task = (id: string) =>
      JSON.stringify({
        ID: id,
        Name: 'shop_web.1',
        Image: 'ghcr.io/acme/web:1',
        Node: 'n1',
        DesiredState: 'Shutdown',
        CurrentState: 'Failed 1 second ago',
        Error: '"task: non-zero exit (3)"',
      });
    const manager = new RecordingTransport({
      'service inspect': () =>
        ok(
          deployed
            ? JSON.stringify([
                {
                  ID: 's1',
                  Version: { Index: 2 },
                  Spec: {
                    Name: 'shop_web',
                    Mode: { Replicated: { Replicas: 1 } },
                    TaskTemplate: { ContainerSpec: { Image: 'ghcr.io/acme/web:1' } },
                  },
                },
              ])
            : '[]',
        ),
      'service ps': () => ok(deployed ? `${task('t1')}\n${task('t2')}\n` : ''),
      'stack deploy': () => {
        deployed = true;
        return ok();
      },
      'service logs': ok('shop_web.1@n1    | out of coffee: hunter2-token\n'),
    });
    const ops = await testOps(
      {
        clusters: { prod: { local: true } },
        fleets: { shop: { cluster: 'prod', compose_file: 'stacks/shop.yml', settle_seconds: 0 } },
      },
      {
        files: {
          'stacks/shop.yml':
            'services:\n  web:\n    image: ghcr.io/acme/web:1\n    environment:\n      TOKEN: ${TOKEN}\n',
        },
        transport: manager,
      },
    );
    try {
      await ops.secrets.set('shop', 'TOKEN', 'hunter2-token');
      await ops.secrets.setRegistry('prod', 'ghcr.io', 'bot', 'registry-pw');
      const r = await launch(ops, { fleet: ops.config.fleets.get('shop')!, actor: 'console:t' });
      expect(r.failure?.message).toBe('Service web exits with code 3.');
      expect(r.logTail).toEqual(['shop_web.1@n1    | out of coffee: ••••••']);
      expect(manager.argvs()).toEqual([
        serviceInspect(['shop_web']),
        servicePs(['shop_web']),
        registryLogin('ghcr.io', 'bot'),
        launchEvents(),
        stackDeploy('shop'),
        serviceInspect(['shop_web']),
        servicePs(['shop_web']),
        serviceLogs('shop_web', { tail: 10 }),
      ]);
      expect(manager.calls[2]?.stdin).toBe('registry-pw');
      expect(manager.calls[4]?.stdin).toContain('TOKEN: hunter2-token');
      expect(manager.calls[4]?.stdin).toContain('image: ghcr.io/acme/web:1');
      expect(manager.argvs().flat().join(' ')).not.toContain('hunter2-token');
    } finally {
      await ops.close();
    }
  });
});
