import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { migrations } from '../../migrations/index.js';
import { RefusedError, UsageError } from '../errors.js';

/** A copy of Otto's database, as written or checked. */
export interface Copy {
  readonly file: string;
  readonly bytes: number;
  /** The newest migration it has: its schema version, e.g. `0014-lease`. */
  readonly schema: string;
}

/** The schema versions this Otto knows, oldest first. */
export const KNOWN_SCHEMAS: readonly string[] = Object.keys(migrations).sort();

/** A file beside `file`, for writing before a rename: nobody sees half of it. */
function sibling(file: string, tag: string): string {
  return join(dirname(file), `.${basename(file)}.${tag}-${randomBytes(4).toString('hex')}`);
}

/** Makes `file` empty with mode 0600 (SQLite keeps the mode of a file it writes into). */
function touch600(file: string): void {
  closeSync(openSync(file, 'wx', 0o600));
}

/** The schema of an open database: its newest applied migration; undefined if none. */
function schemaOf(db: Database.Database): string | undefined {
  const table = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'")
    .get();
  if (!table) return undefined;
  const row = db.prepare('SELECT max(name) AS name FROM kysely_migration').get() as {
    name: string | null;
  };
  return row.name ?? undefined;
}

/** `PRAGMA integrity_check` is `ok`, or the first problems it names. */
function integrity(db: Database.Database): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  return rows
    .map((r) => r.integrity_check)
    .slice(0, 3)
    .join('; ');
}

/**
 * `otto backup <file>`: an online copy of the database with SQLite's backup API,
 * consistent while Otto runs and writes; written beside `target` with mode 0600,
 * checked with `integrity_check`, then renamed into place (an existing file is
 * replaced only by a good copy).
 */
export async function backupDatabase(dbFile: string, target: string): Promise<Copy> {
  if (!existsSync(dbFile))
    throw new UsageError(
      `There is no database to back up at ${dbFile}.`,
      'Check data_dir in otto.yml.',
    );
  const tmp = sibling(target, 'part');
  // Read-write, though it only reads: a read-only connection to a WAL database fails
  // when its -shm file is missing and the folder is not writable.
  const source = new Database(dbFile, { fileMustExist: true });
  try {
    touch600(tmp);
    // All remaining pages in the second step (the first is 100): a busy writer can't
    // keep restarting a backup that copies in many small steps.
    await source.backup(tmp, { progress: ({ remainingPages }) => Math.max(remainingPages, 1) });
    // One self-contained file: the copy leaves WAL mode (Otto's open turns it back on).
    const copy = new Database(tmp, { fileMustExist: true });
    let schema: string;
    try {
      copy.pragma('journal_mode = DELETE');
      const check = integrity(copy);
      if (check !== 'ok') throw new Error(`the copy fails integrity_check: ${check}`);
      schema = schemaOf(copy) ?? 'none';
    } finally {
      copy.close();
    }
    renameSync(tmp, target);
    return { file: target, bytes: statSync(target).size, schema };
  } finally {
    source.close();
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  }
}

/** Checks a backup before a restore: a sound SQLite file with an Otto schema this Otto knows. */
export function checkBackup(file: string): Copy {
  if (!existsSync(file) || !statSync(file).isFile())
    throw new UsageError(`There is no backup file at ${file}.`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new RefusedError(`${file} can't be opened as a database (${(e as Error).message}).`);
  }
  try {
    let check: string;
    try {
      check = integrity(db);
    } catch (e) {
      throw new RefusedError(`${file} is not a SQLite database (${(e as Error).message}).`);
    }
    if (check !== 'ok')
      throw new RefusedError(
        `${file} is damaged: integrity_check says ${check}.`,
        'Use another backup.',
      );
    const schema = schemaOf(db);
    if (!schema)
      throw new RefusedError(
        `${file} is a SQLite database, but not Otto's: it has no schema version.`,
        'Give a file made by otto backup.',
      );
    if (!KNOWN_SCHEMAS.includes(schema))
      throw new RefusedError(
        `${file} was made by a newer Otto (schema ${schema}; this one knows up to ${KNOWN_SCHEMAS.at(-1)}).`,
        'Upgrade Otto first, then restore.',
      );
    return { file, bytes: statSync(file).size, schema };
  } finally {
    db.close();
  }
}

/**
 * Refuses while an Otto is active on `dbFile` (its lease is current) or anything
 * writes to it. Returns the open database, for the caller to checkpoint and close.
 */
function quiet(dbFile: string): Database.Database {
  const db = new Database(dbFile, { fileMustExist: true, timeout: 1_000 });
  try {
    const hasLeases = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leases'")
      .get();
    const lease = hasLeases
      ? (db
          .prepare(
            "SELECT hostname, pid, since, expires_at AS expiresAt FROM leases WHERE name = 'active'",
          )
          .get() as { hostname: string; pid: number; since: number; expiresAt: number } | undefined)
      : undefined;
    if (lease && lease.expiresAt > Date.now())
      throw new RefusedError(
        `Otto on ${lease.hostname} (pid ${lease.pid}) is running on this database (active since ${new Date(lease.since).toISOString()}).`,
        'Stop it first (Ctrl-C, or docker service scale otto_otto=0), then restore.',
      );
    try {
      // Kept until this connection closes: SQLite grants it only when no other
      // connection, of any process, even an idle one, has the database open.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('COMMIT');
    } catch {
      throw new RefusedError(
        'Another process has the database open (otto start, otto console, or a command in progress).',
        'Stop every otto process on this data_dir, then restore.',
      );
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * `otto restore <file>`: puts a checked backup in place of the database. Refuses
 * while an Otto is active on it. The database it replaces is kept aside, 0600, as
 * `otto.db.before-restore-<time>` (its WAL checkpointed into it first); the backup
 * is copied (never moved) beside the database and renamed over it. Migrating the
 * restored file to this Otto's schema is left to the caller (any open does it).
 */
export async function restoreDatabase(
  dbFile: string,
  backup: string,
  now = new Date(),
): Promise<{ copy: Copy; aside: string | undefined }> {
  const copy = checkBackup(backup);
  const old = existsSync(dbFile) ? quiet(dbFile) : undefined;
  const tmp = sibling(dbFile, 'restore');
  let aside: string | undefined;
  try {
    touch600(tmp);
    const source = new Database(backup, { readonly: true, fileMustExist: true });
    try {
      await source.backup(tmp);
    } finally {
      source.close();
    }
    if (old) {
      old.pragma('wal_checkpoint(TRUNCATE)');
      old.close();
      aside = `${dbFile}.before-restore-${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
      renameSync(dbFile, aside);
      for (const suffix of ['-wal', '-shm']) rmSync(`${dbFile}${suffix}`, { force: true });
    }
    renameSync(tmp, dbFile);
    return { copy, aside };
  } finally {
    if (old?.open) old.close();
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  }
}

/** Backup files of the schedule in `dir`, newest first: `otto-YYYYMMDD-HHMMSS.db`. */
export function scheduledBackups(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^otto-\d{8}-\d{6}\.db$/.test(f))
    .sort()
    .reverse();
}

/** The file name of a scheduled backup made at `at` (UTC). */
export function scheduledName(at: Date): string {
  const s = at.toISOString(); // 2026-11-27T03:00:00.000Z
  return `otto-${s.slice(0, 10).replace(/-/g, '')}-${s.slice(11, 19).replace(/:/g, '')}.db`;
}
