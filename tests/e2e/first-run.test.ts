import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker, waitFor } from '../support/testbed.js';
import { OTTO_BIN } from '../support/workspace.js';

const bed = inject('testbed');

// The first five minutes: a fresh folder, no otto.yml, this machine's Swarm (the test
// engine stands in for it). The example's busybox:1.36.1 is the bed's busybox image
// under that name: the test engine has no registry to pull from.
describe.skipIf(bed === null)('a first run with no otto.yml', () => {
  if (!bed) return;
  const dir = mkdtempSync(join(tmpdir(), 'otto-first-run-'));
  const say = (text: string) =>
    execa('node', [OTTO_BIN, 'say', text], {
      cwd: dir,
      reject: false,
      input: '',
      env: { DOCKER_HOST: bed.dockerHost, OTTO_CONFIG: undefined },
    });

  beforeAll(async () => {
    const tagged = await docker(bed, ['tag', bed.images.v1, 'busybox:1.36.1']);
    expect(tagged.exitCode, tagged.stderr).toBe(0);
  });
  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'hello']);
    await waitFor(
      'hello removed',
      async () =>
        !(
          await docker(bed, [
            'service',
            'ls',
            '-q',
            '--filter',
            'label=com.docker.stack.namespace=hello',
          ])
        ).stdout.trim(),
      120_000,
    );
    await docker(bed, ['rmi', 'busybox:1.36.1']);
  });

  it('greets with the built-in default and the example fleet', async () => {
    const r = await execa('node', [OTTO_BIN, 'start'], {
      cwd: dir,
      input: 'fleets\n',
      reject: false,
      env: { DOCKER_HOST: bed.dockerHost, OTTO_CONFIG: undefined },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Cluster local: Swarm manager online');
    expect(r.stdout).toContain('the example fleet hello. Try: launch hello');
    expect(r.stdout).toMatch(/hello/);
  });

  it('launches hello at once: two web replicas with their healthcheck, and the worker', async () => {
    const r = await say('launch hello');
    expect(r.stdout, r.stderr).toContain('Launch successful! hello v1 is in orbit');
    const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    expect(ls.stdout).toContain('hello_web 2/2');
    expect(ls.stdout).toContain('hello_worker 1/1');
    const status = await say('status hello');
    expect(status.stdout).toContain('web');
    expect(status.stdout).toContain('2/2');
  });

  it("reads the worker's transmissions", async () => {
    let r = await say('logs hello worker');
    await waitFor(
      "the worker's first beep",
      async () =>
        (r = await say('logs hello worker')).stdout.includes('beep: Hello from the space otter'),
      60_000,
    );
    expect(r.stdout).toContain('beep: Hello from the space otter');
  });
});
