import { Migrator, sql } from 'kysely';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { buildConfig } from '../../src/config/config.js';
import { renderText } from '../../src/adapters/text.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { openOps } from '../../src/ops/ops.js';
import { backupDatabase, KNOWN_SCHEMAS, restoreDatabase } from '../../src/store/backup.js';
import { openDb } from '../../src/store/db.js';
import { testKey } from '../support/keys.js';

const KEY = { OTTO_SECRET_KEY: testKey(3).toString('base64') };

/**
 * A database as the Otto of schema `version` left it: migrated that far and no further,
 * with a launch in its history (written with the columns of 0001, which every later
 * schema keeps).
 */
async function databaseAt(dir: string, version: string): Promise<void> {
  const db = openDb(join(dir, 'otto.db'));
  try {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => ({ ...migrations }) },
    });
    const { error } = await migrator.migrateTo(version);
    expect(error).toBeUndefined();
    await sql`INSERT INTO deployments (fleet, version, status, actor, compose_snapshot, pid, hostname, started_at, finished_at, duration_ms)
      VALUES ('shop', 1, 'succeeded', 'slack:UOLD', 'services: {}', 1, 'old-host', '2025-01-02T03:04:05.000Z', '2025-01-02T03:05:05.000Z', 60000)`.execute(
      db,
    );
  } finally {
    await db.destroy();
  }
}

/** Opens the folder as today's Otto does (migrating), and asks for the history. */
async function historyOf(dir: string): Promise<string> {
  const config = buildConfig(
    {
      data_dir: '.',
      clusters: { laptop: { local: true } },
      fleets: { shop: { cluster: 'laptop', compose_file: 'shop.yml' } },
    },
    dir,
    join(dir, 'otto.yml'),
  );
  const ops = await openOps(config, { env: KEY });
  try {
    const reply = await dispatch(ops, 'history shop', {
      actor: 'console:ops',
      channel: 'cli',
      platform: 'cli',
    });
    expect(reply.outcome).toBe('ok');
    return renderText(reply);
  } finally {
    await ops.close();
  }
}

describe('upgrades: a database of every earlier schema opens, migrates and keeps its history', () => {
  it.each(KNOWN_SCHEMAS.slice(0, -1))('from %s', async (version) => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-upgrade-'));
    await databaseAt(dir, version);
    const history = await historyOf(dir);
    expect(history).toContain('v1');
    expect(history).toContain('UOLD');
    const db = openDb(join(dir, 'otto.db'));
    const latest = await sql<{
      name: string;
    }>`SELECT max(name) AS name FROM kysely_migration`.execute(db);
    await db.destroy();
    expect(latest.rows[0]?.name).toBe(KNOWN_SCHEMAS.at(-1));
  });

  it('restores a backup of the oldest schema, and the restored flight log migrates on open', async () => {
    const old = mkdtempSync(join(tmpdir(), 'otto-upgrade-old-'));
    await databaseAt(old, KNOWN_SCHEMAS[0]!);
    const backup = await backupDatabase(join(old, 'otto.db'), join(old, 'backup.db'));
    expect(backup.schema).toBe(KNOWN_SCHEMAS[0]);
    const here = mkdtempSync(join(tmpdir(), 'otto-upgrade-new-'));
    await historyOf(here); // a current, empty database
    const { aside } = await restoreDatabase(join(here, 'otto.db'), backup.file);
    expect(aside).toBeDefined();
    expect(await historyOf(here)).toContain('UOLD');
  });
});
