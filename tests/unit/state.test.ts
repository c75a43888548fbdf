import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockHeldError } from '../../src/errors.js';
import { decrypt, encrypt, isWeakKey, loadSecretKey } from '../../src/store/crypto.js';
import { type Db, migrate, openDb } from '../../src/store/db.js';
import { Deployments } from '../../src/store/deployments.js';
import { Locks } from '../../src/store/locks.js';
import { HOSTNAME } from '../../src/store/process-alive.js';
import { SecretStore } from '../../src/store/secrets.js';
import { SecretMask } from '../../src/store/secret-mask.js';
import { testKey } from '../support/keys.js';

let db: Db;
let dir: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'otto-db-'));
  db = openDb(join(dir, 'otto.db'));
  const { error } = await migrate(db);
  expect(error).toBeUndefined();
});
afterEach(async () => {
  await db.destroy();
});

/** A pid that is certainly not running. */
const DEAD_PID = 2 ** 22 + 12345;

describe('locks', () => {
  it('is taken once, names its holder, and is released', async () => {
    const locks = new Locks(db);
    await locks.acquire('myapp', 'console:alice', 'launch');
    const err = await locks.acquire('myapp', 'console:bob', 'launch').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toMatch(/busy: launch by console:alice, started at \d{4}-/);
    await locks.release('myapp');
    await expect(locks.acquire('myapp', 'console:bob', 'launch')).resolves.toMatchObject({
      holder: 'console:bob',
    });
  });

  it('takes over a lock whose process died', async () => {
    await db
      .insertInto('locks')
      .values({
        fleet: 'a',
        holder: 'ghost',
        reason: 'launch',
        pid: DEAD_PID,
        hostname: HOSTNAME,
        acquiredAt: 'x',
        manual: 0,
      })
      .execute();
    await expect(new Locks(db).acquire('a', 'console:alice', 'launch')).resolves.toMatchObject({
      holder: 'console:alice',
    });
  });

  it('keeps a manual lock after its process ends, until it is removed', async () => {
    const locks = new Locks(db);
    await db
      .insertInto('locks')
      .values({
        fleet: 'a',
        holder: 'console:alice',
        reason: 'db migration',
        pid: DEAD_PID,
        hostname: HOSTNAME,
        acquiredAt: '2026-01-01T00:00:00.000Z',
        manual: 1,
      })
      .execute();
    expect(await locks.reap()).toEqual([]);
    const err = await locks.acquire('a', 'console:bob', 'launch').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).message).toBe(
      'Fleet a is locked by console:alice since 2026-01-01 00:00:00 UTC: db migration. Nothing was changed.',
    );
    expect((err as LockHeldError).fix).toContain('unlock a');
    await locks.release('a');
    expect(await locks.get('a')).toBeDefined();
    expect(await locks.remove((await locks.get('a'))!)).toBe(true);
    expect(await locks.get('a')).toBeUndefined();
  });
});

describe('deployments', () => {
  it('numbers versions per fleet and records the outcome', async () => {
    const d = new Deployments(db);
    const a1 = await d.start({ fleet: 'a', actor: 'x', composeSnapshot: 's' });
    const a2 = await d.start({ fleet: 'a', actor: 'x', composeSnapshot: 's' });
    const b1 = await d.start({ fleet: 'b', actor: 'x', composeSnapshot: 's' });
    expect([a1.version, a2.version, b1.version]).toEqual([1, 2, 1]);
    const done = await d.finish(a2, 'failed', 'boom');
    expect(done).toMatchObject({ status: 'failed', reason: 'boom' });
    expect(done.durationMs).toBeGreaterThanOrEqual(0);
    expect((await d.latestByFleet()).get('a')?.version).toBe(2);
  });

  it('marks launches of dead processes interrupted', async () => {
    const d = new Deployments(db);
    const row = await d.start({ fleet: 'a', actor: 'x', composeSnapshot: 's' });
    await db.updateTable('deployments').set({ pid: DEAD_PID }).where('id', '=', row.id).execute();
    expect(await d.reapInterrupted()).toHaveLength(1);
    expect((await d.list('a', 1))[0]?.status).toBe('interrupted');
  });
});

describe('secrets at rest', () => {
  it('round-trips with AES-256-GCM bound to its row', () => {
    const key = testKey(1);
    const stored = encrypt(key, 'hunter2', 'secret:a/X');
    expect(stored).not.toContain('hunter2');
    expect(decrypt(key, stored, 'secret:a/X')).toBe('hunter2');
    expect(() => decrypt(key, stored, 'secret:b/X')).toThrow(/can't decrypt/);
    expect(() => decrypt(testKey(2), stored, 'secret:a/X')).toThrow(
      /not the one it was stored with/,
    );
  });

  it('generates a key file with mode 0600 when none is given', () => {
    const k = loadSecretKey(dir, {});
    expect(k.generatedAt).toBe(join(dir, 'secret.key'));
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadSecretKey(dir, {}).key.equals(k.key)).toBe(true);
    expect(() => loadSecretKey(dir, { OTTO_SECRET_KEY: 'short' })).toThrow(/not 32 bytes/);
  });

  it('refuses keys that were not drawn at random', () => {
    for (const weak of [Buffer.alloc(32), Buffer.alloc(32, 7), Buffer.from('ab'.repeat(16))]) {
      expect(() => loadSecretKey(dir, { OTTO_SECRET_KEY: weak.toString('base64') })).toThrow(
        /not random/,
      );
      expect(() => loadSecretKey(dir, { OTTO_SECRET_KEY: weak.toString('hex') })).toThrow(
        /not random/,
      );
    }
    expect(isWeakKey(testKey(4))).toBe(false);
  });

  it('keeps the data folder 0700 and the database files 0600, also when made looser before', async () => {
    const data = join(dir, 'loose');
    mkdirSync(data, { mode: 0o755 });
    chmodSync(data, 0o755);
    writeFileSync(join(data, 'otto.db'), '', { mode: 0o644 });
    chmodSync(join(data, 'otto.db'), 0o644);
    const opened = openDb(join(data, 'otto.db'));
    await migrate(opened);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    for (const f of ['otto.db', 'otto.db-wal', 'otto.db-shm'])
      expect(statSync(join(data, f)).mode & 0o777, f).toBe(0o600);
    await opened.destroy();
    const fresh = join(dir, 'fresh', 'deeper');
    const made = openDb(join(fresh, 'otto.db'));
    await migrate(made);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    expect(statSync(join(fresh, 'otto.db')).mode & 0o777).toBe(0o600);
    await made.destroy();
  });

  it('re-encrypts every secret and registry password under a new key, all or nothing', async () => {
    const s = new SecretStore(db, testKey(5));
    await s.set('a', 'API_KEY', 'one');
    await s.set('b', 'TOKEN', 'two');
    await s.setRegistry('prod', 'ghcr.io', 'bot', 'pw');
    expect(await s.rekey(testKey(6))).toEqual({ secrets: 2, registries: 1 });
    expect((await s.values('a')).get('API_KEY')).toBe('one');
    const fresh = new SecretStore(db, testKey(6));
    expect((await fresh.values('b')).get('TOKEN')).toBe('two');
    expect((await fresh.registries('prod'))[0]?.password).toBe('pw');
    await expect(new SecretStore(db, testKey(5)).values('a')).rejects.toThrow(/can't decrypt/);
    // A value that the current key can't open stops the rekey before anything moved.
    await db
      .insertInto('secrets')
      .values({
        fleet: 'c',
        name: 'X',
        ciphertext: encrypt(testKey(9), 'x', 'secret:c/X'),
        updatedAt: '',
      })
      .execute();
    await expect(fresh.rekey(testKey(7))).rejects.toThrow(/can't decrypt/);
    expect((await new SecretStore(db, testKey(6)).values('a')).get('API_KEY')).toBe('one');
  });

  it('stores values encrypted and lists names only', async () => {
    const s = new SecretStore(db, testKey(3));
    await s.set('a', 'API_KEY', 'first value!');
    await s.set('a', 'API_KEY', 'second value!');
    expect(await s.names('a')).toMatchObject([{ name: 'API_KEY' }]);
    expect((await s.values('a')).get('API_KEY')).toBe('second value!');
    const raw = await db.selectFrom('secrets').select('ciphertext').executeTakeFirstOrThrow();
    // Spaces and "!" never appear in base64: a plain value could not hide in the ciphertext
    // by chance (a short one like "v2" did, now and then).
    expect(raw.ciphertext).not.toContain('second value!');
  });

  it("masks a fleet's secrets and its cluster's registry passwords together", async () => {
    const s = new SecretStore(db, testKey(8));
    await s.set('a', 'API_KEY', 'api-value-1');
    await s.setRegistry('prod', 'ghcr.io', 'bot', 'registry-pass-2');
    await s.setRegistry('other', 'ghcr.io', 'bot', 'elsewhere-pass-3');
    const mask = await s.mask('a', 'prod');
    expect(mask.mask('api-value-1 registry-pass-2 elsewhere-pass-3')).toBe(
      '•••••• •••••• elsewhere-pass-3',
    );
  });

  it('masks secret values in text', () => {
    expect(new SecretMask(['abcd1234', 'x']).mask('key=abcd1234 and abcd1234')).toBe(
      'key=•••••• and ••••••',
    );
  });
});
