import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, migrate, openDb } from '../../src/store/db.js';
import { Deployments } from '../../src/store/deployments.js';
import { Lease } from '../../src/store/lease.js';
import { Locks } from '../../src/store/locks.js';
import { Operations } from '../../src/store/operations.js';
import { reapLeftovers } from '../../src/ops/ops.js';

let dir: string;
let a: Db;
let b: Db;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'otto-lease-'));
  a = openDb(join(dir, 'otto.db'));
  expect((await migrate(a)).error).toBeUndefined();
  // A second connection to the same file: the other `otto start`.
  b = openDb(join(dir, 'otto.db'));
});
afterEach(async () => {
  await a.destroy();
  await b.destroy();
});

const T0 = 1_800_000_000_000;

describe('the lease of the one active Otto', () => {
  it('goes to the first, and the second is told who holds it', async () => {
    const first = new Lease(a, 15_000, 101, 'host-a');
    const second = new Lease(b, 15_000, 202, 'host-b');
    expect(await first.acquire(T0)).toEqual({ active: true });
    const got = await second.acquire(T0 + 1_000);
    expect(got).toEqual({
      active: false,
      holder: { holder: first.me, hostname: 'host-a', pid: 101, since: T0, expiresAt: T0 + 15_000 },
    });
  });

  it('stays with a holder that renews, and keeps its since', async () => {
    const first = new Lease(a, 15_000, 101, 'host-a');
    const second = new Lease(b, 15_000, 202, 'host-b');
    await first.acquire(T0);
    expect(await first.renew(T0 + 10_000)).toBe(true);
    expect((await second.acquire(T0 + 20_000)).active).toBe(false);
    expect(await first.acquire(T0 + 21_000)).toEqual({ active: true });
    expect(await first.read()).toMatchObject({ since: T0, expiresAt: T0 + 36_000 });
  });

  it('is taken over once expired, naming the one before; the old holder learns it lost', async () => {
    const first = new Lease(a, 15_000, 101, 'host-a');
    const second = new Lease(b, 15_000, 202, 'host-b');
    await first.acquire(T0);
    const got = await second.acquire(T0 + 15_000);
    expect(got).toMatchObject({ active: true, previous: { hostname: 'host-a', pid: 101 } });
    expect(await first.renew(T0 + 15_001)).toBe(false);
    expect((await first.acquire(T0 + 15_002)).active).toBe(false);
  });

  it('is free at once after a release', async () => {
    const first = new Lease(a, 15_000, 101, 'host-a');
    const second = new Lease(b, 15_000, 202, 'host-b');
    await first.acquire(T0);
    await first.release();
    expect(await second.acquire(T0 + 1)).toEqual({ active: true });
  });

  it('lets exactly one of many standbys win an expired lease', async () => {
    const dead = new Lease(a, 15_000, 101, 'host-a');
    await dead.acquire(T0);
    const standbys = [a, b, a, b].map((db, i) => new Lease(db, 15_000, 300 + i, `host-${i}`));
    const results = await Promise.all(standbys.map((l) => l.acquire(T0 + 20_000)));
    expect(results.filter((r) => r.active)).toHaveLength(1);
  });
});

describe('taking over from a dead Otto on another machine', () => {
  it('marks its launch and operation interrupted and frees its launch lock; others stay', async () => {
    const gone = { hostname: 'host-gone', pid: 4242 };
    const deployments = new Deployments(a);
    const mine = await deployments.start({
      fleet: 'shop',
      actor: 'slack:U1',
      composeSnapshot: 'x',
    });
    const theirs = await deployments.start({
      fleet: 'blog',
      actor: 'slack:U1',
      composeSnapshot: 'x',
    });
    const elsewhere = await deployments.start({
      fleet: 'wiki',
      actor: 'slack:U1',
      composeSnapshot: 'x',
    });
    await a.updateTable('deployments').set(gone).where('id', '=', theirs.id).execute();
    await a
      .updateTable('deployments')
      .set({ hostname: 'host-alive', pid: 7 })
      .where('id', '=', elsewhere.id)
      .execute();
    const operations = new Operations(a);
    const op = await operations.start({
      fleet: 'blog',
      kind: 'restart',
      service: 'web',
      detail: '',
      actor: 'slack:U1',
    });
    await a.updateTable('operations').set(gone).where('id', '=', op.id).execute();
    const locks = new Locks(a);
    await locks.acquire('blog', 'slack:U1', 'launch');
    await a.updateTable('locks').set(gone).where('fleet', '=', 'blog').execute();
    await locks.acquire('wiki', 'slack:U1', 'launch');
    await a
      .updateTable('locks')
      .set({ hostname: 'host-alive', pid: 7 })
      .where('fleet', '=', 'wiki')
      .execute();

    const notices = await reapLeftovers({ deployments, operations, locks }, gone);
    expect(notices).toEqual([
      'Launch blog v1 was left unfinished by a stopped Otto; it is now marked interrupted.',
      'The restart of blog web was left unfinished by a stopped Otto; it is now marked interrupted.',
    ]);
    const status = async (id: number) =>
      (await a.selectFrom('deployments').select('status').where('id', '=', id).executeTakeFirst())
        ?.status;
    expect(await status(theirs.id)).toBe('interrupted');
    expect(await status(mine.id)).toBe('deploying'); // this process, alive
    expect(await status(elsewhere.id)).toBe('deploying'); // another host, not known dead
    expect(await locks.get('blog')).toBeUndefined();
    expect(await locks.get('wiki')).toBeDefined();
  });
});
