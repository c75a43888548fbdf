import { describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { gatedDeploy } from '../../src/ops/deploy-gate.js';
import { launch } from '../../src/ops/launch.js';
import {
  launchEvents,
  serviceInspect,
  servicePs,
  stackDeploy,
  taskInspect,
} from '../../src/swarm/argv.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { NGINX, testOps } from '../support/test-ops.js';
import { ok, RecordingTransport, verbOf } from '../support/recording-transport.js';

// The deploy starts with the read of the fleet and gets its compose once the launch
// is recorded: `docker stack deploy -c -` reads all of its input before it calls the
// engine, so the read always sees the Swarm as it was before the launch.

describe('a deploy started before its compose is sent', () => {
  it('gets its input on send, on this machine', async () => {
    const local = new LocalTransport();
    const deploy = gatedDeploy(local, (stdin) => local.run(['cat'], { stdin }))!;
    // One waits per cluster: a second launch meanwhile deploys once it is ready.
    expect(gatedDeploy(local, (stdin) => local.run(['cat'], { stdin }))).toBeUndefined();
    const r = await deploy.send('services: {}\n');
    expect(r).toMatchObject({ exitCode: 0, stdout: 'services: {}\n' });
  });

  it('is ended with nothing sent on cancel: it never acts', async () => {
    const local = new LocalTransport();
    const deploy = gatedDeploy(local, (stdin) =>
      local.run(['sh', '-c', 'input=$(cat); echo "acted on [$input]"'], { stdin }),
    )!;
    await deploy.cancel();
    const r = await deploy.send('too late');
    expect(r.stdout).not.toContain('too late');
    expect(r.exitCode).not.toBe(0);
  });
});

describe('a launch without registry logins', () => {
  const config = {
    clusters: { prod: { local: true } },
    fleets: { web: { cluster: 'prod', compose_file: 'stacks/web.yml', settle_seconds: 0 } },
  };
  const running = {
    ID: 's1',
    Version: { Index: 2 },
    Spec: {
      Name: 'web_web',
      Mode: { Replicated: { Replicas: 1 } },
      TaskTemplate: { ContainerSpec: { Image: 'nginx' } },
    },
  };
  const task = JSON.stringify({
    ID: 't1',
    Name: 'web_web.1',
    Image: 'nginx',
    Node: 'n1',
    DesiredState: 'Running',
    CurrentState: 'Running 1 second ago',
    Error: '',
  });

  /** A fleet launched once already: its next launch reads it first. */
  const launchedOnce = async (manager: RecordingTransport) => {
    const ops = await testOps(config, { files: { 'stacks/web.yml': NGINX }, transport: manager });
    await ops.deployments.finish(
      await ops.deployments.start({ fleet: 'web', actor: 'console:t', composeSnapshot: NGINX }),
      'succeeded',
      null,
    );
    return ops;
  };

  it('starts the deploy with the read, and sends the compose only after the read', async () => {
    const answered: string[] = [];
    let deployed = false;
    const manager = new RecordingTransport({
      'service inspect': () => {
        answered.push('service inspect');
        return ok(deployed ? JSON.stringify([running]) : '[]');
      },
      'service ps': () => {
        answered.push('service ps');
        return ok(deployed ? task : '');
      },
      'stack deploy': () => {
        answered.push('stack deploy');
        deployed = true;
        return ok();
      },
    });
    const ops = await launchedOnce(manager);
    try {
      const r = await launch(ops, { fleet: ops.config.fleets.get('web')!, actor: 'console:t' });
      expect(r.ok).toBe(true);
      expect(manager.argvs().slice(0, 4)).toEqual([
        launchEvents(),
        stackDeploy('web'),
        serviceInspect(['web_web']),
        servicePs(['web_web']),
      ]);
      // The engine heard the deploy only after both reads had their answers.
      expect(answered.slice(0, 3).sort()).toEqual(
        ['service inspect', 'service ps', 'stack deploy'].sort(),
      );
      expect(answered.indexOf('stack deploy')).toBe(2);
      expect(manager.calls.find((c) => verbOf(c.argv) === 'stack deploy')?.stdin).toContain(
        'image: nginx',
      );
    } finally {
      await ops.close();
    }
  });

  it('ends the waiting deploy when the manager cannot be read: nothing sent, recorded or locked', async () => {
    let deployAnswered = false;
    const manager = new RecordingTransport({
      'service inspect': () => {
        throw new UnreachableError('recording', 'refused', 'The manager refused the connection.');
      },
      'stack deploy': () => {
        deployAnswered = true;
        return ok();
      },
    });
    const ops = await launchedOnce(manager);
    try {
      await expect(
        launch(ops, { fleet: ops.config.fleets.get('web')!, actor: 'console:t' }),
      ).rejects.toThrow('refused');
      expect(deployAnswered).toBe(false);
      expect(manager.calls.find((c) => verbOf(c.argv) === 'stack deploy')?.stdin).toBeUndefined();
      expect((await ops.deployments.list('web', 10)).map((d) => d.version)).toEqual([1]);
      expect(await ops.locks.get('web')).toBeUndefined();
    } finally {
      await ops.close();
    }
  });
});

describe('the first launch of a fleet', () => {
  const config = {
    clusters: { prod: { local: true } },
    fleets: { web: { cluster: 'prod', compose_file: 'stacks/web.yml', settle_seconds: 0 } },
  };
  const spec = (image: string) => ({
    Name: 'web_web',
    Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: { ContainerSpec: { Image: image } },
  });
  const row = (id: string, desired: string, current: string) =>
    JSON.stringify({
      ID: id,
      Name: 'web_web.1',
      Image: 'nginx',
      Node: 'n1',
      DesiredState: desired,
      CurrentState: current,
      Error: '',
    });

  it('deploys once recorded, with no read first: Otto never launched it, so nothing of it runs', async () => {
    let recorded = false;
    let recordedFirst = false;
    let deployed = false;
    const manager = new RecordingTransport({
      'stack deploy': () => {
        recordedFirst = recorded;
        deployed = true;
        return ok('Creating network web_default\nCreating service web_web\n');
      },
      'service inspect': () =>
        ok(deployed ? JSON.stringify([{ ID: 's1', Spec: spec('nginx') }]) : '[]'),
      'service ps': () => ok(deployed ? row('t1', 'Running', 'Running 1 second ago') : ''),
    });
    const ops = await testOps(config, { files: { 'stacks/web.yml': NGINX }, transport: manager });
    try {
      const r = await launch(ops, {
        fleet: ops.config.fleets.get('web')!,
        actor: 'console:t',
        onRecorded: async () => {
          recorded = true;
        },
      });
      expect(r.ok).toBe(true);
      expect(recordedFirst).toBe(true);
      // The deploy printed only "Creating": nothing is read again before the looks.
      expect(manager.argvs().slice(0, 4)).toEqual([
        launchEvents(),
        stackDeploy('web'),
        serviceInspect(['web_web']),
        servicePs(['web_web']),
      ]);
    } finally {
      await ops.close();
    }
  });

  it('reads what the deploy updated after it, and waits for the new task, when the stack was already there', async () => {
    // Deployed by hand before Otto (or Otto's database is new): the deploy says "Updating".
    let deployed = false;
    let looks = 0;
    const manager = new RecordingTransport({
      'stack deploy': () => {
        deployed = true;
        return ok('Updating service web_web (id: s1)\n');
      },
      'service inspect': () =>
        ok(
          JSON.stringify([
            {
              ID: 's1',
              UpdatedAt: '2026-11-27T07:20:01.5Z',
              Spec: spec(deployed ? 'nginx' : 'nginx:old'),
              PreviousSpec: spec('nginx:old'),
            },
          ]),
        ),
      'service ps': () =>
        ok(
          looks++ < 2
            ? `${row('t1', 'Running', 'Running 2 hours ago')}\n${row('t2', 'Running', 'Starting 1 second ago')}`
            : `${row('t1', 'Shutdown', 'Shutdown 1 second ago')}\n${row('t2', 'Running', 'Running 1 second ago')}`,
        ),
      inspect: ok(
        [
          { ID: 't1', ServiceID: 's1', CreatedAt: '2026-11-27T05:00:00.123456789Z' },
          { ID: 't2', ServiceID: 's1', CreatedAt: '2026-11-27T07:20:01.500000001Z' },
        ]
          .map((t) => JSON.stringify(t))
          .join('\n'),
      ),
    });
    const ops = await testOps(config, { files: { 'stacks/web.yml': NGINX }, transport: manager });
    try {
      const progress: string[] = [];
      const r = await launch(ops, {
        fleet: ops.config.fleets.get('web')!,
        actor: 'console:t',
        onProgress: (e) => {
          if (e.kind === 'services') progress.push(e.services.map((s) => s.state).join());
        },
      });
      expect(r.ok).toBe(true);
      expect(manager.argvs().slice(0, 5)).toEqual([
        launchEvents(),
        stackDeploy('web'),
        serviceInspect(['web_web']),
        servicePs(['web_web']),
        taskInspect(['t1', 't2']),
      ]);
      // t1 ran before the update: its running is not the update's end.
      expect(progress[0]).toBe('updating');
      expect(looks).toBeGreaterThan(2);
    } finally {
      await ops.close();
    }
  });

  it('records and sends nothing when the manager cannot be reached', async () => {
    class Unreachable extends RecordingTransport {
      warm(): Promise<void> {
        return Promise.reject(
          new UnreachableError('recording', 'refused', 'The manager refused the connection.'),
        );
      }
    }
    const manager = new Unreachable({});
    const ops = await testOps(config, { files: { 'stacks/web.yml': NGINX }, transport: manager });
    try {
      await expect(
        launch(ops, { fleet: ops.config.fleets.get('web')!, actor: 'console:t' }),
      ).rejects.toThrow('refused');
      expect(manager.calls.find((c) => verbOf(c.argv) === 'stack deploy')?.stdin).toBeUndefined();
      expect(await ops.deployments.list('web', 10)).toEqual([]);
      expect(await ops.locks.get('web')).toBeUndefined();
    } finally {
      await ops.close();
    }
  });
});
