import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, migrate, openDb } from '../../src/store/db.js';
import { Operations } from '../../src/store/operations.js';
import { HOSTNAME } from '../../src/store/process-alive.js';
import { buildConfig } from '../../src/config/config.js';
import { openOps } from '../../src/ops/ops.js';
import { testKey } from '../support/keys.js';

let db: Db;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'otto-ops-'));
  db = openDb(join(dir, 'otto.db'));
  const { error } = await migrate(db);
  expect(error).toBeUndefined();
});
afterEach(async () => {
  await db.destroy();
});

/** A pid that is certainly not running. */
const DEAD_PID = 2 ** 22 + 12345;

describe('operations', () => {
  it('records a restart or scale as running, then finishes it once', async () => {
    const ops = new Operations(db);
    const op = await ops.start({
      fleet: 'shop',
      kind: 'scale',
      service: 'web',
      detail: 'replicas 2 → 4',
      actor: 'slack:U1',
    });
    expect(op).toMatchObject({
      status: 'running',
      detail: 'replicas 2 → 4',
      pid: process.pid,
      hostname: HOSTNAME,
      finishedAt: null,
    });
    const done = await ops.finish(op, 'succeeded', null);
    expect(done.status).toBe('succeeded');
    expect(done.durationMs).toBeGreaterThanOrEqual(0);
    // A second finish (a reap that came first) changes nothing.
    expect((await ops.finish(op, 'failed', 'late')).status).toBe('succeeded');
  });

  it('lists a fleet newest first', async () => {
    const ops = new Operations(db);
    await ops.start({ fleet: 'shop', kind: 'restart', service: 'web', actor: 'a' });
    await ops.start({ fleet: 'other', kind: 'restart', service: 'web', actor: 'a' });
    await ops.start({ fleet: 'shop', kind: 'scale', service: 'api', actor: 'a' });
    const rows = await ops.list('shop', 10);
    expect(rows.map((o) => [o.kind, o.service, o.detail])).toEqual([
      ['scale', 'api', ''],
      ['restart', 'web', ''],
    ]);
    expect(await ops.list('shop', 1)).toHaveLength(1);
  });

  it('marks operations of dead processes interrupted, and leaves live ones alone', async () => {
    const ops = new Operations(db);
    const dead = await ops.start({ fleet: 'shop', kind: 'restart', service: 'web', actor: 'a' });
    await ops.start({ fleet: 'shop', kind: 'restart', service: 'api', actor: 'a' });
    await db.updateTable('operations').set({ pid: DEAD_PID }).where('id', '=', dead.id).execute();
    const reaped = await ops.reapInterrupted();
    expect(reaped.map((o) => [o.service, o.status, o.reason])).toEqual([
      ['web', 'interrupted', 'Otto stopped before the restart finished.'],
    ]);
    expect((await ops.list('shop', 10)).map((o) => o.status)).toEqual(['running', 'interrupted']);
  });

  it('is reaped when Otto opens its database, with a notice', async () => {
    const ops = new Operations(db);
    const op = await ops.start({ fleet: 'shop', kind: 'scale', service: 'web', actor: 'a' });
    await db.updateTable('operations').set({ pid: DEAD_PID }).where('id', '=', op.id).execute();
    const config = buildConfig(
      { data_dir: '.', clusters: { laptop: { local: true } } },
      dir,
      join(dir, 'otto.yml'),
    );
    const opened = await openOps(config, {
      env: { OTTO_SECRET_KEY: testKey(0).toString('base64') },
    });
    try {
      expect(opened.notices).toContain(
        'The scale of shop web was left unfinished by a stopped Otto; it is now marked interrupted.',
      );
      expect((await opened.operations.get(op.id))?.status).toBe('interrupted');
    } finally {
      await opened.close();
    }
  });
});
