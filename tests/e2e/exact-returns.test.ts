import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { docker, waitFor } from '../support/testbed.js';
import { webService, workspace, type Workspace } from '../support/workspace.js';

const bed = inject('testbed');

/**
 * Exact returns on the real Swarm: a registry without auth in the test engine's network
 * namespace, one tag pushed twice with different images, and a rollback that must run
 * the first push's digest again, not what the tag points to now.
 */
describe.skipIf(bed === null)('a return runs the digest that ran, not the tag', () => {
  if (!bed) return;
  let registry: TestRegistry | undefined;
  let image = '';
  let ws: Workspace;
  const digests: string[] = [];
  const short = (digest: string) => digest.slice('sha256:'.length, 'sha256:'.length + 12);

  /** Pushes a local image as `image` (the same tag each time) and returns the registry's digest. */
  const push = async (local: string): Promise<string> => {
    await docker(bed, ['tag', local, image]);
    const r = await docker(bed, ['push', image]);
    expect(r.exitCode, r.stderr).toBe(0);
    const m = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout);
    if (!m) throw new Error(`no digest in: ${r.stdout}`);
    return m[1]!;
  };
  const specImage = async () =>
    (
      await docker(bed, [
        'service',
        'inspect',
        'exact_web',
        '--format',
        '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
      ])
    ).stdout.trim();
  /** The images of the tasks meant to run, once every one of them runs. */
  const runningImages = async (): Promise<string[]> => {
    let images: string[] = [];
    await waitFor(
      'every task of exact_web running',
      async () => {
        const r = await docker(bed, [
          'service',
          'ps',
          'exact_web',
          '--no-trunc',
          '--filter',
          'desired-state=running',
          '--format',
          '{{.CurrentState}}|{{.Image}}',
        ]);
        const rows = r.stdout.trim().split('\n').filter(Boolean);
        images = rows.map((row) => row.split('|')[1] ?? '');
        return rows.length === 2 && rows.every((row) => row.startsWith('Running'));
      },
      90_000,
    );
    return images;
  };

  beforeAll(async () => {
    registry = await startRegistry(bed);
    image = `${registry.host}/otto/app:latest`;
    ws = workspace(bed, {
      exact: {
        compose: {
          services: {
            web: webService(image),
            // A local image: no registry gives it a digest, so a return runs its tag.
            db: { image: bed.images.v1, command: ['sleep', '3600'], stop_grace_period: '1s' },
          },
        },
        extra: { approvals: { rollback: 0 } },
      },
    });
  });

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'exact']);
    registry?.stop();
  });

  it('records the digest of each push of app:latest that ran', async () => {
    digests.push(await push(bed.images.v1));
    const first = await ws.say('launch exact');
    expect(first.stdout).toContain('exact v1 is in orbit');
    expect(await specImage()).toBe(`${image}@${digests[0]}`);

    digests.push(await push(bed.images.v2));
    expect(digests[1]).not.toBe(digests[0]);
    const second = await ws.say('launch exact');
    expect(second.stdout).toContain('exact v2 is in orbit');
    expect(await specImage()).toBe(`${image}@${digests[1]}`);
    for (const running of await runningImages()) expect(running).toContain(digests[1]);
  });

  it('rolls back to the first push: its digest runs again, though the tag moved on', async () => {
    const back = await ws.say('rollback exact 1');
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(back.stdout).toContain(
      `Returning to the images v1 ran: web ${image} @${short(digests[0]!)}, db otto-test:v1 (local image, no digest: a return runs the tag).`,
    );
    expect(back.stdout).toContain("exact runs v1's configuration again, launched as v3");
    expect(await specImage()).toBe(`${image}@${digests[0]}`);
    for (const running of await runningImages()) expect(running).toContain(digests[0]);
  });

  it('shows tag and short digest in history', async () => {
    const history = await ws.say('history exact');
    const lines = history.stdout.split('\n');
    const line = (v: number) => lines.find((l) => l.includes(` v${v} succeeded`)) ?? '';
    expect(line(1)).toContain(
      `web ${image} @${short(digests[0]!)}, db otto-test:v1 (local image, no digest: a return runs the tag)`,
    );
    expect(line(2)).toContain(`web ${image} @${short(digests[1]!)}`);
    expect(line(3)).toContain(`(return to v1) · web ${image} @${short(digests[0]!)}`);
  });
});
