import { describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { gatedDeploy } from '../../src/ops/deploy-gate.js';
import { launch } from '../../src/ops/launch.js';
import { launchEvents, serviceInspect, servicePs, stackDeploy } from '../../src/swarm/argv.js';
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
    const ops = await testOps(config, { files: { 'stacks/web.yml': NGINX }, transport: manager });
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
    const ops = await testOps(config, { files: { 'stacks/web.yml': NGINX }, transport: manager });
    try {
      await expect(
        launch(ops, { fleet: ops.config.fleets.get('web')!, actor: 'console:t' }),
      ).rejects.toThrow('refused');
      expect(deployAnswered).toBe(false);
      expect(manager.calls.find((c) => verbOf(c.argv) === 'stack deploy')?.stdin).toBeUndefined();
      expect(await ops.deployments.list('web', 10)).toEqual([]);
      expect(await ops.locks.get('web')).toBeUndefined();
    } finally {
      await ops.close();
    }
  });
});
