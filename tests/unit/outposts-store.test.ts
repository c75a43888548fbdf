import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, migrate, openDb } from '../../src/store/db.js';
import { type NewOutpost, Outposts } from '../../src/store/outposts.js';

let db: Db;
let file: string;
let now: number;
const clock = () => new Date(now);

beforeEach(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'otto-outposts-')), 'otto.db');
  db = openDb(file);
  expect((await migrate(db)).error).toBeUndefined();
  now = Date.parse('2026-11-26T10:00:00Z');
});
afterEach(async () => {
  await db.destroy();
});

const FP = 'SHA256:Rj6bq0cGz3qkV0mFz1oDQn2z7y0tYc1xQe2XoE5y8Lk';
const first: NewOutpost = {
  cluster: 'prod',
  host: '10.0.0.5',
  port: 22,
  user: 'deploy',
  keyFile: '/home/otto/.ssh/id_ed25519',
  role: 'manager',
  fingerprint: FP,
  addedBy: 'console:alice',
};
const second: NewOutpost = { ...first, host: '10.0.0.6', role: 'worker', addedBy: 'slack:U1' };
const at = (o: NewOutpost) => ({ cluster: o.cluster, host: o.host, port: o.port });

describe('outposts store', () => {
  it('records an outpost with when and by whom, and hands back the same row', async () => {
    const outposts = new Outposts(db, clock);
    const r = await outposts.add(first);
    expect(r).toEqual({
      added: true,
      outpost: {
        cluster: 'prod',
        host: '10.0.0.5',
        port: 22,
        user: 'deploy',
        keyFile: '/home/otto/.ssh/id_ed25519',
        role: 'manager',
        fingerprint: FP,
        nodeId: null,
        addedAt: '2026-11-26T10:00:00.000Z',
        addedBy: 'console:alice',
      },
    });
    expect(await outposts.get(at(first))).toEqual(r.outpost);
    // camelCase above the store (CamelCasePlugin): no snake_case leaves it.
    const raw = await db.selectFrom('outposts').selectAll().executeTakeFirstOrThrow();
    expect(Object.keys(raw)).toContain('keyFile');
  });

  it('adds a place once: a second add changes nothing and hands back the first row', async () => {
    const outposts = new Outposts(db, clock);
    await outposts.add(first);
    now += 60_000;
    const again = await outposts.add({ ...first, user: 'root', addedBy: 'console:bob' });
    expect(again.added).toBe(false);
    expect(again.outpost).toMatchObject({ user: 'deploy', addedBy: 'console:alice' });
    // Another port of the same host is another place.
    expect((await outposts.add({ ...first, port: 2222 })).added).toBe(true);
    // The same host in another cluster too.
    expect((await outposts.add({ ...first, cluster: 'staging' })).added).toBe(true);
    expect(await outposts.list()).toHaveLength(3);
  });

  it('record replaces what is known of a place but keeps when and by whom it was added', async () => {
    const outposts = new Outposts(db, clock);
    await outposts.add(first);
    now += 60_000;
    const o = await outposts.record({
      ...first,
      role: 'worker',
      fingerprint: 'SHA256:other',
      nodeId: 'n0de1d',
      addedBy: 'console:bob',
    });
    expect(o).toMatchObject({
      role: 'worker',
      fingerprint: 'SHA256:other',
      nodeId: 'n0de1d',
      addedAt: '2026-11-26T10:00:00.000Z',
      addedBy: 'console:alice',
    });
    expect(await outposts.record(second)).toMatchObject({ host: '10.0.0.6', nodeId: null });
  });

  it('lists by cluster, in the order the outposts were added', async () => {
    const outposts = new Outposts(db, clock);
    await outposts.add(second);
    now += 1000;
    await outposts.add({ ...first, cluster: 'staging' });
    now += 1000;
    await outposts.add(first);
    expect((await outposts.list('prod')).map((o) => o.host)).toEqual(['10.0.0.6', '10.0.0.5']);
    expect((await outposts.list()).map((o) => `${o.cluster}/${o.host}`)).toEqual([
      'prod/10.0.0.6',
      'prod/10.0.0.5',
      'staging/10.0.0.5',
    ]);
    expect(await outposts.list('nowhere')).toEqual([]);
  });

  it('sets the Swarm node id once joined, and finds an outpost by it', async () => {
    const outposts = new Outposts(db, clock);
    await outposts.add(first);
    expect(await outposts.setNodeId(at(first), 'p9x2k')).toBe(true);
    expect((await outposts.get(at(first)))?.nodeId).toBe('p9x2k');
    expect(await outposts.byNodeId('prod', 'p9x2k')).toMatchObject({ host: '10.0.0.5' });
    expect(await outposts.byNodeId('staging', 'p9x2k')).toBeUndefined();
    expect(await outposts.setNodeId(at(first), null)).toBe(true);
    expect((await outposts.get(at(first)))?.nodeId).toBeNull();
    expect(await outposts.setNodeId(at(second), 'zzz')).toBe(false);
  });

  it('removes an outpost, and says when there was none', async () => {
    const outposts = new Outposts(db, clock);
    await outposts.add(first);
    await outposts.add(second);
    expect(await outposts.remove(at(first))).toBe(true);
    expect(await outposts.remove(at(first))).toBe(false);
    expect(await outposts.get(at(first))).toBeUndefined();
    expect((await outposts.list('prod')).map((o) => o.host)).toEqual(['10.0.0.6']);
  });

  it('keeps outposts across a restart, and refuses a role other than manager or worker', async () => {
    await new Outposts(db, clock).add(first);
    await db.destroy();
    db = openDb(file);
    expect((await migrate(db)).error).toBeUndefined();
    expect(await new Outposts(db).get(at(first))).toMatchObject({ role: 'manager' });
    await expect(
      new Outposts(db).add({ ...second, role: 'leader' as unknown as 'worker' }),
    ).rejects.toThrow(/CHECK constraint/);
  });
});
