import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseCompose } from '../../src/swarm/compose.js';
import { docker, waitFor } from '../support/testbed.js';
import { OTTO_BIN, TEST_KEY } from '../support/workspace.js';

const bed = inject('testbed');

/**
 * A stack made by hand with `docker stack deploy`, and Otto on a fresh data folder
 * with no otto.yml (the embedded default: its local cluster is the engine DOCKER_HOST
 * names). status and fleets list the stack as not Otto's, logs reads it, and adopt
 * prints the otto.yml lines and a compose file Docker accepts, or writes it once.
 */
describe.skipIf(bed === null)('stacks Otto did not launch', () => {
  if (!bed) return;
  const STACK = 'handmade';
  const dir = mkdtempSync(join(tmpdir(), 'otto-unmanaged-'));
  const otto = async (args: string[]) => {
    const r = await execa('node', [OTTO_BIN, ...args], {
      cwd: dir,
      reject: false,
      env: { DOCKER_HOST: bed.dockerHost, OTTO_CONFIG: undefined, OTTO_SECRET_KEY: TEST_KEY },
    });
    return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const say = (text: string) => otto(['say', text]);

  beforeAll(async () => {
    const compose = stringify({
      services: {
        web: {
          image: bed.images.v1,
          command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
          environment: { GREETING: 'hello from the hand-made stack' },
          deploy: { replicas: 2 },
          stop_grace_period: '1s',
        },
        worker: {
          image: bed.images.v1,
          command: ['sh', '-c', 'while true; do echo tick from worker; sleep 1; done'],
          stop_grace_period: '1s',
        },
      },
    });
    const deploy = await docker(bed, ['stack', 'deploy', '-c', '-', STACK], compose);
    expect(deploy.exitCode, deploy.stderr).toBe(0);
    await waitFor(
      `${STACK} running 2/2 and 1/1`,
      async () => {
        const ls = await docker(bed, [
          'service',
          'ls',
          '--filter',
          `label=com.docker.stack.namespace=${STACK}`,
          '--format',
          '{{.Name}} {{.Replicas}}',
        ]);
        const rows = ls.stdout.trim().split('\n').sort();
        return rows.join(',') === `${STACK}_web 2/2,${STACK}_worker 1/1`;
      },
      120_000,
    );
  }, 180_000);

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', STACK]);
  });

  it('lists it under status and fleets, marked as not an Otto fleet, with its replicas', async () => {
    const status = await say('status');
    expect(status.code, status.stdout + status.stderr).toBe(0);
    // The built-in default's one fleet is the example, not launched here.
    // (Other suites' stacks may still be on the test Swarm: the count is not pinned.)
    expect(status.stdout).toMatch(/Telemetry for 1 fleet and \d+ stacks? Otto didn't launch:/);
    expect(status.stdout).toContain(`${STACK} · not an Otto fleet`);
    expect(status.stdout).toMatch(/🟢 web 2\/2 otto-test:v1/);
    expect(status.stdout).toMatch(/🟢 worker 1\/1 otto-test:v1/);
    expect(status.stdout).toContain(`adopt ${STACK}`);
    const one = await say(`status ${STACK}`);
    expect(one.stdout).toContain(`Telemetry for ${STACK}, a stack Otto didn't launch:`);
    const fleets = await say('fleets');
    expect(fleets.code).toBe(0);
    expect(fleets.stdout).toContain(
      `${STACK} · not an Otto fleet: cluster local · web 2/2, worker 1/1`,
    );
  });

  it('reads its transmissions with logs', async () => {
    let last = { code: -1, stdout: '', stderr: '' };
    await waitFor(
      'a line of the worker in logs',
      async () => {
        last = await say(`logs ${STACK} worker --tail 5`);
        return last.stdout.includes('tick from worker');
      },
      60_000,
    ).catch(() => {
      throw new Error(`logs never showed the worker's line:\n${last.stdout}\n${last.stderr}`);
    });
    expect(last.code).toBe(0);
    expect(last.stdout).toContain(`Transmissions from ${STACK} worker, a stack Otto didn't launch`);
    const typo = await say('logs handmad');
    expect(typo.code).toBe(1);
    expect(typo.stdout).toContain('Did you mean handmade?');
  });

  it('prints the otto.yml lines and a compose file that Docker and Otto accept', async () => {
    const r = await otto(['adopt', STACK]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('data_dir: .otto');
    expect(r.stderr).toContain(`compose_file: stacks/${STACK}.yml`);
    expect(r.stderr).toContain('Nothing was written.');
    const parsed = parseCompose(r.stdout, `${STACK}.yml`);
    expect(parsed.data['services']).toMatchObject({
      web: {
        image: bed.images.v1,
        command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
        environment: { GREETING: 'hello from the hand-made stack' },
        stop_grace_period: '1s',
        deploy: { replicas: 2 },
      },
      worker: { image: bed.images.v1, deploy: { replicas: 1 } },
    });
    const config = await docker(bed, ['stack', 'config', '-c', '-'], r.stdout);
    expect(config.exitCode, config.stderr).toBe(0);
    expect(existsSync(join(dir, 'stacks'))).toBe(false);
    expect(existsSync(join(dir, 'otto.yml'))).toBe(false);
  });

  it('writes the compose file with --write, once', async () => {
    const first = await otto(['adopt', STACK, '--write', 'stacks']);
    expect(first.code, first.stderr).toBe(0);
    const file = join(dir, 'stacks', `${STACK}.yml`);
    // Without otto.yml, paths are shown from the folder Otto runs in.
    expect(first.stdout).toContain(`Otto wrote stacks/${STACK}.yml; nothing else was changed.`);
    const written = readFileSync(file, 'utf8');
    expect(parseCompose(written, file).services.get('worker')?.image).toBe(bed.images.v1);
    const again = await otto(['adopt', STACK, '--write', 'stacks']);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('already exists, so Otto wrote nothing');
    expect(readFileSync(file, 'utf8')).toBe(written);
    expect(existsSync(join(dir, 'otto.yml'))).toBe(false);
  });

  it('becomes a fleet with the lines adopt printed, which launch --dry-run accepts', async () => {
    const r = await otto(['adopt', STACK]);
    const lines = r.stderr.split('\n');
    const yml = lines
      .slice(lines.indexOf('  otto.yml') + 1, lines.indexOf('  Next'))
      .map((l) => l.slice(4))
      .join('\n');
    expect(yml).toContain(`compose_file: stacks/${STACK}.yml`);
    writeFileSync(join(dir, 'otto.yml'), `${yml}\n`);
    const dry = await say(`launch ${STACK} --dry-run`);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Docker accepts it');
    const status = await say('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Telemetry for 1 fleet');
    expect(status.stdout).not.toContain(`${STACK} · not an Otto fleet`);
    expect(status.stdout).toMatch(/🟢 web 2\/2 otto-test:v1/);
  });
});
