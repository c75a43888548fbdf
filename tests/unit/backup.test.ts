import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RefusedError } from '../../src/errors.js';
import { type Db, migrate, openDb } from '../../src/store/db.js';
import { Deployments } from '../../src/store/deployments.js';
import { Lease } from '../../src/store/lease.js';
import {
  backupDatabase,
  KNOWN_SCHEMAS,
  restoreDatabase,
  scheduledBackups,
  scheduledName,
} from '../../src/store/backup.js';
import { startBackupSchedule } from '../../src/watch/backup-schedule.js';

let dir: string;
let dbFile: string;
let db: Db;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'otto-backup-'));
  dbFile = join(dir, 'otto.db');
  db = openDb(dbFile);
  expect((await migrate(db)).error).toBeUndefined();
});
afterEach(async () => {
  await db.destroy();
});

const launch = (fleet: string) =>
  new Deployments(db).start({ fleet, actor: 'slack:U1', composeSnapshot: 'services: {}' });
const count = (file: string) => {
  const d = new Database(file, { readonly: true });
  try {
    return (d.prepare('select count(*) as n from deployments').get() as { n: number }).n;
  } finally {
    d.close();
  }
};

describe('otto backup', () => {
  it('copies the database online while another connection writes: 0600, sound, its schema named', async () => {
    for (let i = 0; i < 200; i++) await launch(`fleet-${i % 7}`);
    let writing = true;
    const writes = (async () => {
      let n = 0;
      while (writing) {
        await launch('busy');
        n++;
        await new Promise((r) => setImmediate(r));
      }
      return n;
    })();
    const copy = await backupDatabase(dbFile, join(dir, 'copy.db'));
    writing = false;
    expect(await writes).toBeGreaterThan(0);
    expect(copy).toMatchObject({ file: join(dir, 'copy.db'), schema: KNOWN_SCHEMAS.at(-1) });
    expect(statSync(copy.file).mode & 0o777).toBe(0o600);
    expect(count(copy.file)).toBeGreaterThanOrEqual(200);
    const check = new Database(copy.file, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
    // Nothing half-written is left beside it.
    expect(readdirSync(dir).filter((f) => f.includes('part'))).toEqual([]);
  });
});

describe('otto restore', () => {
  it('puts a backup in place, keeps the old database aside (0600), and refuses nothing while Otto is stopped', async () => {
    await launch('shop');
    const backup = (await backupDatabase(dbFile, join(dir, 'b.db'))).file;
    await launch('shop');
    await launch('blog');
    await db.destroy();
    const { copy, aside } = await restoreDatabase(dbFile, backup, new Date('2026-11-27T03:00:00Z'));
    expect(copy.schema).toBe(KNOWN_SCHEMAS.at(-1));
    expect(aside).toBe(`${dbFile}.before-restore-20261127T030000`);
    expect(count(dbFile)).toBe(1);
    expect(count(aside!)).toBe(3);
    expect(statSync(dbFile).mode & 0o777).toBe(0o600);
    expect(statSync(aside!).mode & 0o777).toBe(0o600);
    db = openDb(dbFile);
  });

  it('refuses while an Otto is active on the database, and says who', async () => {
    const backup = (await backupDatabase(dbFile, join(dir, 'b.db'))).file;
    await new Lease(db, 60_000, 4242, 'bridge').acquire();
    const err = await restoreDatabase(dbFile, backup).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RefusedError);
    expect((err as Error).message).toContain(
      'Otto on bridge (pid 4242) is running on this database',
    );
    expect(count(dbFile)).toBe(0);
  });

  it('refuses while another connection has the database open, even idle', async () => {
    const backup = (await backupDatabase(dbFile, join(dir, 'b.db'))).file;
    await launch('shop'); // this connection stays open, idle
    await expect(restoreDatabase(dbFile, backup)).rejects.toThrow(
      /Another process has the database open/,
    );
    expect(count(dbFile)).toBe(1);
  });

  it('refuses a backup from a newer Otto, a file that is not Otto’s, and one that is not a database', async () => {
    const backup = (await backupDatabase(dbFile, join(dir, 'b.db'))).file;
    const newer = new Database(backup);
    newer
      .prepare("insert into kysely_migration (name, timestamp) values ('9999-future', 'x')")
      .run();
    newer.close();
    await expect(restoreDatabase(dbFile, backup)).rejects.toThrow(
      /made by a newer Otto.*9999-future/,
    );
    const other = join(dir, 'other.db');
    new Database(other).exec('create table notes (t text)');
    await expect(restoreDatabase(dbFile, other)).rejects.toThrow(/not Otto's/);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not sqlite at all, just words '.repeat(200));
    await expect(restoreDatabase(dbFile, junk)).rejects.toBeInstanceOf(RefusedError);
    // Nothing moved.
    expect(readdirSync(dir).filter((f) => f.includes('before-restore'))).toEqual([]);
  });
});

describe('scheduled backups', () => {
  it('names files by UTC time and keeps the newest `keep`', async () => {
    expect(scheduledName(new Date('2026-11-27T03:04:05.678Z'))).toBe('otto-20261127-030405.db');
    const backups = join(dir, 'backups');
    const lines: string[] = [];
    const schedule = startBackupSchedule(
      { dataDir: dir, backup: { schedule: '0 3 * * *', dir: backups, keep: 2 } },
      dbFile,
      (l) => lines.push(l),
    )!;
    try {
      await schedule.runOnce();
      for (const old of ['otto-20200101-000000.db', 'otto-20210101-000000.db'])
        writeFileSync(join(backups, old), 'old');
      await schedule.runOnce();
    } finally {
      schedule.stop();
    }
    const kept = scheduledBackups(backups);
    expect(kept).toHaveLength(2);
    expect(kept).not.toContain('otto-20200101-000000.db');
    expect(kept.at(-1)).toBe('otto-20210101-000000.db');
    expect(lines.at(-1)).toMatch(/^💾 Backup written: .*otto-\d{8}-\d{6}\.db/);
  });

  it('logs a failure in one line and goes on', async () => {
    const blocked = join(dir, 'not-a-dir');
    writeFileSync(blocked, 'a file where the folder should be');
    const lines: string[] = [];
    const schedule = startBackupSchedule(
      { dataDir: dir, backup: { schedule: '0 3 * * *', dir: blocked, keep: 2 } },
      dbFile,
      (l) => lines.push(l),
    )!;
    await schedule.runOnce();
    schedule.stop();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/The scheduled backup into .* failed: .*Otto keeps running/);
    expect(existsSync(join(dir, 'otto.db'))).toBe(true);
  });
});
