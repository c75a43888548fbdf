import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { docker } from '../support/testbed.js';
import { OTTO_BIN, TEST_KEY, webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

describe.skipIf(bed === null)('the console and the local cluster', () => {
  if (!bed) return;

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'pad']);
  });

  it('starts with the embedded default when there is no otto.yml, and says when no Docker engine answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-empty-'));
    const r = await execa('node', [OTTO_BIN, 'start'], {
      cwd: dir,
      input: 'help\nfleets\n',
      reject: false,
      env: { DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}`, OTTO_CONFIG: undefined },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Otto at Mission Control');
    expect(r.stdout).toContain('Cluster local: no Docker engine answers');
    expect(r.stdout).toContain('launch <fleet>');
    // The built-in default offers the example fleet; no engine answers, so it is only named.
    expect(r.stdout).toContain('the example fleet hello. Try: launch hello');
    expect(r.stdout).toMatch(/hello/);
    expect(r.stdout).toContain('generated a new secret key');
  });

  it('launches through the console on a local cluster, printing progress as it happens', async () => {
    const ws = workspace(
      bed,
      { pad: { compose: { services: { web: webService(bed.images.v1) } } } },
      { laptop: { local: true, docker_host: bed.dockerHost } },
    );
    const r = await execa('node', [OTTO_BIN, 'console', '--config', ws.config], {
      input: 'launch pad\nstatus pad\nexit\n',
      reject: false,
      env: { OTTO_SECRET_KEY: TEST_KEY },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Cluster laptop: Swarm manager online');
    const out = r.stdout;
    const order = [
      'preparing the launch sequence',
      'sending the fleet to the Swarm',
      'Waiting for every service',
      'web: 🟢 2/2 running',
      'Launch successful! pad v1',
    ];
    let at = 0;
    for (const step of order) {
      const i = out.indexOf(step, at);
      expect(i, step).toBeGreaterThanOrEqual(0);
      at = i;
    }
    expect(out).toMatch(/web 2\/2 otto-test:v1/);
  });
});
