import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, migrate, openDb } from '../../src/store/db.js';
import { SeenRequests } from '../../src/store/seen-requests.js';

const TTL = 15 * 60_000;
let db: Db;
let file: string;
let now: number;
const clock = () => now;

beforeEach(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'otto-seen-')), 'otto.db');
  db = openDb(file);
  expect((await migrate(db)).error).toBeUndefined();
  now = Date.parse('2025-01-01T10:00:00Z');
});
afterEach(async () => {
  await db.destroy();
});

describe('seen requests', () => {
  it('runs a delivery once, and a redelivery after a restart not at all', async () => {
    const seen = new SeenRequests(db, TTL, clock);
    expect(await seen.first('slack-trigger:1')).toBe(true);
    expect(await seen.first('slack-trigger:1')).toBe(false);
    expect(await seen.first('slack-trigger:2')).toBe(true);

    // A restart: a new process opens the same file.
    await db.destroy();
    db = openDb(file);
    const after = new SeenRequests(db, TTL, clock);
    now += 60_000;
    expect(await after.first('slack-trigger:1')).toBe(false);
    expect(await after.first('slack-sig:v0=abc')).toBe(true);
    expect(await after.first('slack-sig:v0=abc')).toBe(false);
  });

  it('forgets ids past the ttl and deletes their rows', async () => {
    const seen = new SeenRequests(db, TTL, clock);
    expect(await seen.first('old')).toBe(true);
    now += TTL - 1000;
    expect(await seen.first('old')).toBe(false);
    expect(await seen.first('newer')).toBe(true);
    now += 2000;
    // Past the ttl, 'old' counts as new again (its row is renewed), 'newer' does not.
    expect(await seen.first('old')).toBe(true);
    expect(await seen.first('newer')).toBe(false);

    now += TTL + 1000;
    expect(await seen.first('latest')).toBe(true);
    const ids = await db.selectFrom('seen_requests').select('id').orderBy('id').execute();
    expect(ids.map((r) => r.id)).toEqual(['latest']);
  });
});
