import { afterAll, describe, expect, inject, it } from 'vitest';
import { docker, waitFor } from '../support/testbed.js';
import { workspace } from '../support/workspace.js';

const bed = inject('testbed');

/**
 * `docker stack rm` returns at once; the Swarm removes the stack's networks only once
 * its tasks have stopped. A launch in between waits for them instead of failing.
 */
describe.skipIf(bed === null)('a launch right after docker stack rm', () => {
  if (!bed) return;
  const networks = async () =>
    (
      await docker(bed, [
        'network',
        'ls',
        '--filter',
        'label=com.docker.stack.namespace=phoenix',
        '--format',
        '{{.Name}}',
      ])
    ).stdout.trim();
  // A task that ignores SIGTERM: its removal takes its whole stop_grace_period.
  const ws = workspace(bed, {
    phoenix: {
      compose: {
        services: {
          app: {
            image: bed.images.v1,
            command: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'],
            stop_grace_period: '30s',
          },
        },
      },
    },
  });

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'phoenix']);
  });

  it('waits for the removal to finish, then launches', async () => {
    const first = await ws.say('launch phoenix');
    expect(first.stdout).toContain('phoenix v1 is in orbit');
    const rm = await docker(bed, ['stack', 'rm', 'phoenix']);
    expect(rm.exitCode, rm.stderr).toBe(0);
    // The removal is under way: the network stays while the task takes its grace period.
    expect(await networks()).toBe('phoenix_default');

    const again = await ws.say('launch phoenix');
    expect(again.stdout).toContain('phoenix v2 is in orbit');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(
      'the previous phoenix stack is still being removed (docker stack rm works in the background)',
    );
    await waitFor(
      'the relaunched task',
      async () => {
        const ps = await docker(bed, [
          'service',
          'ps',
          'phoenix_app',
          '--filter',
          'desired-state=running',
          '--format',
          '{{.CurrentState}}',
        ]);
        return ps.stdout.trim().startsWith('Running');
      },
      60_000,
    );
  });
});
