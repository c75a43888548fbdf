import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import {
  cgroupParent,
  docker,
  makeImages,
  stopDockerd,
  sweep,
  waitFor,
} from '../support/testbed.js';
import { webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/** A service the neighbour deploys and removes again and again. */
const CHURN =
  'services:\n  tick:\n    image: otto-test:v1\n    command: [sleep, "3600"]\n    deploy: { replicas: 2 }\n';

// Most people who run these tests have a Docker engine of their own. The test bed's
// engine lives in a network namespace of its own, so a second engine in the machine's
// namespace, busy deploying and removing stacks, changes nothing for Otto's launches.
describe.skipIf(bed === null)('the test bed beside another Docker engine', () => {
  if (!bed) return;

  it('launches and returns to base while a second engine on this machine deploys and removes stacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-neighbour-'));
    const neighbour = { dockerHost: `unix://${join(dir, 'docker.sock')}` };
    const dockerd = execa(
      '/usr/sbin/dockerd',
      [
        ...['--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec')],
        ...['-H', neighbour.dockerHost, '--pidfile', join(dir, 'docker.pid')],
        ...['--bridge', 'none', '--cgroup-parent', cgroupParent(dir)],
      ],
      { reject: false, detached: true, stdio: 'ignore' },
    );
    dockerd.unref();
    let churning = true;
    let cycles = 0;
    let churn: Promise<void> = Promise.resolve();
    try {
      await waitFor(
        'the neighbour engine',
        async () => (await docker(neighbour, ['info'])).exitCode === 0,
        60_000,
      );
      // Swarm's defaults, as anyone's engine has them: 2377 and docker_gwbridge here.
      const init = await docker(neighbour, ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      expect(init.exitCode, init.stderr).toBe(0);
      await makeImages(dir, [neighbour.dockerHost]);
      churn = (async () => {
        while (churning) {
          await docker(neighbour, ['stack', 'deploy', '-c', '-', 'churn'], CHURN);
          await waitFor(
            'the neighbour stack',
            async () =>
              (
                await docker(neighbour, ['service', 'ls', '--format', '{{.Replicas}}'])
              ).stdout.trim() === '2/2',
            120_000,
          ).catch(() => undefined);
          await docker(neighbour, ['stack', 'rm', 'churn']);
          await waitFor(
            'the neighbour stack gone',
            async () => (await docker(neighbour, ['ps', '-q'])).stdout.trim() === '',
            120_000,
          ).catch(() => undefined);
          cycles++;
        }
      })();

      const ws = workspace(bed, {
        calm: {
          compose: { services: { web: webService(bed.images.v1, { deploy: { replicas: 2 } }) } },
          extra: { approvals: { rollback: 0 } },
        },
      });
      const first = await ws.say('launch calm');
      expect(first.stdout, first.stderr).toContain('calm v1 is in orbit');
      ws.writeStack('calm', {
        services: { web: webService(bed.images.v2, { deploy: { replicas: 2 } }) },
      });
      const second = await ws.say('launch calm');
      expect(second.stdout, second.stderr).toContain('calm v2 is in orbit');
      const back = await ws.say('rollback calm 1');
      expect(back.code, back.stdout).toBe(0);
      expect(back.stdout).toContain('Back at base');
      // The neighbour was busy the whole time: at least one full deploy and removal.
      await waitFor('a full neighbour cycle', async () => cycles >= 1, 240_000);
    } finally {
      churning = false;
      await churn;
      await docker(bed, ['stack', 'rm', 'calm']);
      await docker(neighbour, ['swarm', 'leave', '--force']);
      await stopDockerd(join(dir, 'docker.pid'));
      await sweep(dir);
      await execa('ip', ['link', 'del', 'docker_gwbridge'], { reject: false });
    }
  }, 600_000);
});
