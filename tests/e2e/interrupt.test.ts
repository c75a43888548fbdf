import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { docker } from '../support/testbed.js';
import { OTTO_BIN, TEST_KEY, slowStack, workspace } from '../support/workspace.js';

const bed = inject('testbed');

describe.skipIf(bed === null)('an interrupted launch', () => {
  if (!bed) return;
  const ws = workspace(bed, { slow: { compose: slowStack(bed.images.v1), converge_timeout: 120 } });

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'slow']);
  });

  /** Resolves once `text` has appeared on the stream. */
  function until(stream: NodeJS.ReadableStream | null, text: string): Promise<void> {
    return new Promise((resolve) => {
      let seen = '';
      stream?.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes(text)) resolve();
      });
    });
  }

  const CONVERGING = 'Waiting for every service';

  /** `otto say "launch slow"`, resolving `converging` once it waits for the Swarm. */
  function startLaunch() {
    const child = execa(
      'node',
      [OTTO_BIN, 'say', 'launch slow', '--config', ws.config, '--as', 'console:tester'],
      { reject: false, env: { OTTO_SECRET_KEY: TEST_KEY } },
    );
    return { child, converging: until(child.stderr, CONVERGING) };
  }

  const newest = () =>
    rows(ws.dir, "select * from deployments where fleet = 'slow' order by version desc")[0];

  function expectInterruptedAndUnlocked(): void {
    expect(newest()?.['status']).toBe('interrupted');
    expect(rows(ws.dir, 'select * from locks')).toHaveLength(0);
  }

  it('marks the deployment interrupted and releases the lock on SIGTERM', async () => {
    const { child, converging } = startLaunch();
    await converging;
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toContain('Otto received SIGTERM and stopped');
    expectInterruptedAndUnlocked();
  });

  it('stops a console launch on SIGINT, marks it interrupted and exits cleanly', async () => {
    const child = execa('node', [OTTO_BIN, 'console', '--config', ws.config], {
      reject: false,
      env: { OTTO_SECRET_KEY: TEST_KEY },
      stdin: 'pipe',
    });
    child.stdin?.write('launch slow\n');
    await until(child.stdout, CONVERGING);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toContain('Otto received SIGINT and stopped');
    expectInterruptedAndUnlocked();
  });

  it('cleans up after a killed process at the next start', async () => {
    const { child, converging } = startLaunch();
    await converging;
    child.kill('SIGKILL');
    await child;
    expect(newest()?.['status']).toBe('deploying');
    expect(rows(ws.dir, 'select * from locks')).toHaveLength(1);

    const r = await ws.say('history slow');
    expect(r.stderr).toContain('now marked interrupted');
    expect(r.stdout).toMatch(/v3 interrupted/);
    expect(rows(ws.dir, 'select * from locks')).toHaveLength(0);
  });

  it('answers a held lock with who holds it and since when', async () => {
    const { child, converging } = startLaunch();
    await converging;
    const r = await ws.say('launch slow', { as: 'console:bob' });
    child.kill('SIGTERM');
    await child;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Fleet slow is busy: launch by console:tester, started at \d{4}-/);
  });
});
