import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/types.js';
import { buildConfig } from '../../src/config/config.js';
import { openOps, type Ops } from '../../src/ops/ops.js';
import { composeHash } from '../../src/commands/held-compose.js';
import { BACKSLASHES, JSON_CREDENTIAL, PEM, TABS, UNICODE } from '../support/secret-values.js';
import { testKey } from '../support/keys.js';

// The policy around rollbacks (roles, approvals, locks, audit) on a real SQLite
// file. Nothing here reaches a Swarm: every path stops before a deploy. The
// deploys themselves are in tests/e2e/rollback.test.ts.

let ops: Ops;
const say = (text: string, actor: string, extra: { channel?: string; groups?: string[] } = {}) =>
  dispatch(ops, text, {
    actor,
    channel: extra.channel ?? 'cli',
    platform: 'cli',
    groups: extra.groups ?? [],
  });
const requestId = (r: Reply) => Number(/^#(\d+)/.exec(r.fields?.[0]?.value ?? '')?.[1]);

const V1 = 'services:\n  web:\n    image: otto-test:v1\n    environment:\n      TOKEN: ${TOKEN}\n';
const V2 = 'services:\n  web:\n    image: otto-test:v2\n    environment:\n      TOKEN: ${TOKEN}\n';

async function record(fleet: string, text: string, status: 'succeeded' | 'failed') {
  const d = await ops.deployments.start({ fleet, actor: 'console:alice', composeSnapshot: text });
  return ops.deployments.finish(d, status, status === 'failed' ? 'boom' : null);
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'otto-approvals-'));
  mkdirSync(join(dir, 'stacks'));
  writeFileSync(join(dir, 'stacks', 'shop.yml'), V2.replace('v2', 'v3'));
  writeFileSync(join(dir, 'stacks', 'duo.yml'), V1);
  const config = buildConfig(
    {
      clusters: { laptop: { local: true, docker_host: 'unix:///nonexistent.sock' } },
      access: {
        'console:alice': 'deployer',
        'console:bob': 'approver',
        'console:carol': 'approver',
        'console:vera': 'viewer',
        'console:root': 'admin',
        'slack:*': 'viewer',
        'slack-group:SOPS': 'deployer',
      },
      fleets: {
        shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml', channels: ['slack:COPS'] },
        duo: {
          cluster: 'laptop',
          compose_file: 'stacks/duo.yml',
          approvals: { rollback: 2, launch: 1 },
          access: { 'console:dana': 'viewer' },
        },
      },
    },
    dir,
    join(dir, 'otto.yml'),
  );
  ops = await openOps(config, { env: { OTTO_SECRET_KEY: testKey(3).toString('base64') } });
  await ops.secrets.set('shop', 'TOKEN', 'hunter2-very-secret');
  await ops.secrets.set('duo', 'TOKEN', 'hunter2-very-secret');
  await record('shop', V1, 'succeeded');
  await record('shop', V1.replace('v1', 'bad'), 'failed');
  await record('shop', V2, 'succeeded');
  await record('duo', V1, 'succeeded');
  await record('duo', V2, 'succeeded');
});
afterAll(async () => {
  await ops.close();
});

describe('rollback requests', () => {
  it('asks for approval with Approve and Deny buttons', async () => {
    const r = await say('rollback shop', 'console:alice');
    expect(r.outcome).toBe('ok');
    expect(r.text).toBe(
      "Return to base? shop v3 → v1 (launched just now by console:alice). Needs a flight director's approval.",
    );
    const id = requestId(r);
    expect(r.buttons).toEqual([
      { label: 'Approve', command: `approve ${id}`, style: 'primary' },
      { label: 'Deny', command: `deny ${id}`, style: 'danger' },
      { label: 'Diff', command: `diff #${id}` },
    ]);
    expect(r.fields?.[1]).toEqual({
      label: 'Holds',
      value: `compose ${composeHash(V1)} · web otto-test:v1`,
    });
  });

  it('refuses versions that do not exist, never succeeded or are current, listing good ones', async () => {
    const missing = await say('rollback shop 9', 'console:alice');
    expect(missing.outcome).toBe('failed');
    expect(missing.text).toBe('shop has no v9. Nothing was changed.');
    expect(missing.fix).toContain('Recent good versions: v3 (just now by console:alice), v1');
    const failed = await say('rollback shop v2', 'console:alice');
    expect(failed.text).toContain('v2 never reached orbit (failed)');
    const current = await say('rollback shop 3', 'console:alice');
    expect(current.text).toContain('v3 is the current version already');
    expect((await say('rollback shop latest', 'console:alice')).outcome).toBe('usage');
  });

  it('refuses self-approval, a viewer, and an unknown id', async () => {
    const id = requestId(await say('rollback shop 1', 'console:carol'));
    const self = await say(`approve ${id}`, 'console:carol');
    expect(self.outcome).toBe('refused');
    expect(self.text).toContain('a second person must approve it');
    const viewer = await say(`approve ${id}`, 'console:vera');
    expect(viewer.outcome).toBe('refused');
    expect(viewer.text).toContain('needs the approver role');
    const unknown = await say('approve 999', 'console:bob');
    expect(unknown).toMatchObject({
      outcome: 'failed',
      text: expect.stringContaining('no approval request 999'),
    });
    expect((await ops.approvals.get(id))?.status).toBe('pending');
  });

  it('answers deny twice and approve after deny without changing anything', async () => {
    const id = requestId(await say('rollback shop', 'console:alice'));
    const denied = await say(`deny ${id} wrong version`, 'console:bob');
    expect(denied.outcome).toBe('ok');
    expect(denied.text).toBe(
      `🚫 Request ${id} denied by console:bob (wrong version): return shop v3 → v1 will not run. Nothing was changed.`,
    );
    const again = await say(`deny ${id}`, 'console:carol');
    expect(again.outcome).toBe('failed');
    expect(again.text).toContain(`was denied by console:bob`);
    const approve = await say(`approve ${id}`, 'console:carol');
    expect(approve.text).toContain('was denied by console:bob');
    expect(approve.fix).toBe('To ask again: rollback shop 1');
  });

  it("lets the requester withdraw, and only approvers deny other people's requests", async () => {
    const id = requestId(await say('rollback shop', 'console:alice'));
    const other = await say(`deny ${id}`, 'console:vera');
    expect(other.outcome).toBe('refused');
    const deployer = await say(`deny ${id}`, 'slack:U2', {
      channel: 'slack:COPS',
      groups: ['slack-group:SOPS'],
    });
    expect(deployer.outcome).toBe('refused');
    expect(deployer.text).toContain(`can't deny request ${id}: that needs the approver role`);
    const own = await say(`deny ${id} wrong target`, 'console:alice');
    expect(own.text).toBe(
      `🚫 Request ${id} withdrawn by console:alice (wrong target): return shop v3 → v1 will not run. Nothing was changed.`,
    );
    expect((await say(`approve ${id}`, 'console:bob')).text).toContain(
      'was withdrawn by console:alice',
    );
  });

  it('expires requests', async () => {
    const id = requestId(await say('rollback shop', 'console:alice'));
    await ops.db
      .updateTable('approvals')
      .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', id)
      .execute();
    const r = await say(`approve ${id}`, 'console:bob');
    expect(r.outcome).toBe('failed');
    expect(r.text).toMatch(
      new RegExp(`Request ${id} \\(return shop v3 → v1\\) expired at .* without enough approvals`),
    );
    expect((await ops.approvals.get(id))?.status).toBe('expired');
  });

  it('counts votes towards the number of approvals needed, once per person', async () => {
    const r = await say('rollback duo', 'console:alice');
    expect(r.text).toContain("Needs 2 flight directors' approvals.");
    const id = requestId(r);
    const first = await say(`approve ${id}`, 'console:bob');
    expect(first.text).toBe(
      `Approval recorded from console:bob: 1 of 2 for return duo v2 → v1. Needs 1 more approval.`,
    );
    const twice = await say(`approve ${id}`, 'console:bob');
    expect(twice.outcome).toBe('failed');
    expect(twice.text).toContain('console:bob has already approved');
    expect(await ops.approvals.approvers(id)).toEqual(['console:bob']);
  });

  it('refuses a request made before the fleet moved on', async () => {
    const id = requestId(await say('rollback duo', 'console:alice'));
    await record('duo', V2, 'succeeded');
    const r = await say(`approve ${id}`, 'console:bob');
    expect(r.text).toContain('is out of date: duo changed after it was asked');
    expect((await ops.approvals.get(id))?.status).toBe('stale');
  });

  it('asks for approval before a launch when the fleet says so', async () => {
    const r = await say('launch duo', 'console:alice');
    expect(r.text).toContain(
      "Launch duo? Otto holds the compose file as read now for approval. Needs a flight director's approval.",
    );
    const id = requestId(r);
    const row = await ops.approvals.get(id);
    expect(row).toMatchObject({ action: 'launch', status: 'pending', composeSnapshot: V1 });
  });

  it('shows an approver the compose the request holds, not the file as it is now', async () => {
    const r = await say('launch duo', 'console:alice');
    const id = requestId(r);
    expect(r.fields?.find((f) => f.label === 'Holds')?.value).toBe(
      `compose ${composeHash(V1)} · web otto-test:v1`,
    );
    expect(r.buttons?.find((b) => b.label === 'Diff')?.command).toBe(`diff #${id}`);
    // The file changes after the request: the Diff button still shows what approval runs.
    const file = join(ops.config.fleets.get('duo')!.composeFile);
    writeFileSync(file, V2.replace('v2', 'edited-later'));
    try {
      const d = await say(`diff #${id}`, 'console:vera');
      expect(d.outcome).toBe('ok');
      expect(d.text).toContain(`to request #${id} (compose ${composeHash(V1)}`);
      expect(d.block).toContain('+    image: otto-test:v1');
      expect(d.block?.join('\n')).not.toContain('edited-later');
      expect(d.block?.join('\n')).not.toContain('hunter2');
      // Request numbers are checked like fleets: an unknown one is not found, and the
      // request's fleet rules apply to who may see it.
      expect((await say('diff #9999', 'console:vera')).outcome).toBe('failed');
      expect((await say(`diff #${id}`, 'console:nobody')).outcome).toBe('refused');
      expect((await say(`diff #${id} 2`, 'console:vera')).outcome).toBe('usage');
    } finally {
      writeFileSync(file, V1);
    }
  });
});

describe('a request being carried out', () => {
  it('tells a second approver so from the lock row, whatever the lock says in words', async () => {
    const r = await say('rollback shop 1', 'console:alice');
    const id = requestId(r);
    // The first approval's launch holds the fleet: the lock names the request.
    await ops.locks.acquire('shop', 'console:alice', 'any words at all', { requestId: id });
    try {
      const second = await say(`approve ${id}`, 'console:carol');
      expect(second.outcome).toBe('failed');
      expect(second.text).toContain(
        `Request ${id} (return shop v3 → v1) is already being carried out`,
      );
      // Another request meets the same lock as a busy fleet, not as its own run.
      const other = await say('rollback shop 1', 'console:alice');
      const otherId = requestId(other);
      const blocked = await say(`approve ${otherId}`, 'console:carol');
      expect(blocked.text).toContain('Fleet shop is busy: any words at all');
      expect(blocked.fix).toContain('Your approval is recorded');
      await say(`deny ${otherId}`, 'console:alice');
    } finally {
      await ops.locks.release('shop');
      await say(`deny ${id}`, 'console:alice');
    }
  });
});

describe('locks', () => {
  it('freezes launches and rollbacks until the holder or an admin unlocks', async () => {
    const locked = await say('lock shop database migration', 'console:alice');
    expect(locked.text).toMatch(
      /^🔒 shop is locked by console:alice at .* UTC: database migration\./,
    );
    expect((await say('lock shop', 'console:root')).text).toContain('locked by console:alice');
    const rollback = await say('rollback shop', 'console:alice');
    expect(rollback.outcome).toBe('failed');
    expect(rollback.text).toMatch(
      /Fleet shop is locked by console:alice since .*: database migration/,
    );
    const launch = await say('launch shop', 'console:root');
    expect(launch.text).toContain('Fleet shop is locked by console:alice');
    const status = await say('status shop', 'console:vera');
    expect(status.fields?.some((f) => f.label === '🔒 shop')).toBe(true);

    expect((await say('unlock shop', 'console:vera')).outcome).toBe('refused');
    const bob = await say('unlock shop', 'console:bob');
    expect(bob.outcome).toBe('refused');
    expect(bob.text).toContain('needs the admin role');
    expect((await say('unlock shop', 'console:alice')).text).toMatch(/^🔓 shop is unlocked/);
    expect((await say('unlock shop', 'console:alice')).text).toBe(
      'shop is not locked. Nothing to do.',
    );
    await say('lock shop', 'console:alice');
    expect((await say('unlock shop', 'console:root')).text).toMatch(/^🔓 shop is unlocked/);
  });
});

describe('roles and channels', () => {
  it('refuses chat users until access: names them, and says what to add', async () => {
    const r = await say('status', 'discord:1234');
    expect(r.outcome).toBe('refused');
    expect(r.text).toBe(
      "Otto doesn't know discord:1234 yet, so it can't run status. Nothing was changed.",
    );
    expect(r.fix).toContain('`discord:1234: viewer` under access:');
  });

  it('limits a fleet to its channels and uses platform groups', async () => {
    const elsewhere = await say('history shop', 'slack:U1', { channel: 'slack:CRANDOM' });
    expect(elsewhere.outcome).toBe('refused');
    expect(elsewhere.text).toContain('shop is not available from this channel');
    expect(`${elsewhere.text} ${elsewhere.fix}`).not.toContain('COPS');
    expect((await say('history shop', 'slack:U1', { channel: 'slack:COPS' })).outcome).toBe('ok');
    const viewer = await say('lock shop', 'slack:U1', { channel: 'slack:COPS' });
    expect(viewer.text).toContain('needs the deployer role for shop');
    const ops2 = await say('lock shop', 'slack:U1', {
      channel: 'slack:COPS',
      groups: ['slack-group:SOPS'],
    });
    expect(ops2.outcome).toBe('ok');
    await say('unlock shop', 'slack:U1', { channel: 'slack:COPS', groups: ['slack-group:SOPS'] });
    const fleets = await say('fleets', 'slack:U1', { channel: 'slack:CRANDOM' });
    expect(fleets.fields?.map((f) => f.label)).toEqual(['duo']);
  });

  it('lets a role granted on one fleet list that fleet, and nothing more', async () => {
    const fleets = await say('fleets', 'console:dana');
    expect(fleets.outcome).toBe('ok');
    expect(fleets.fields?.map((f) => f.label)).toEqual(['duo']);
    expect((await say('history duo', 'console:dana')).outcome).toBe('ok');
    expect((await say('history shop', 'console:dana')).outcome).toBe('refused');
    expect((await say('audit', 'console:dana')).outcome).toBe('refused');
  });
});

describe('diff', () => {
  it('shows a unified diff of the rendered compose with secret values masked', async () => {
    const r = await say('diff shop 1', 'console:vera');
    expect(r.text).toBe(
      'Changes from shop v3 (running, succeeded) to shop v1 (secret values masked):',
    );
    expect(r.block).toContain('-    image: otto-test:v2');
    expect(r.block).toContain('+    image: otto-test:v1');
    expect(r.block?.join('\n')).not.toContain('hunter2');
    expect(r.block?.join('\n')).toContain('TOKEN: ••••••(TOKEN)');
    const file = await say('diff shop', 'console:vera');
    expect(file.block).toContain('+    image: otto-test:v3');
    expect((await say('diff shop 1 1', 'console:vera')).text).toBe(
      'No changes: shop v1 renders the same as shop v1.',
    );
  });

  it('masks multi-line and escaped secret values on the data, before YAML serializes them', async () => {
    for (const [i, value] of [PEM, JSON_CREDENTIAL, BACKSLASHES, TABS, UNICODE].entries()) {
      await ops.secrets.set('duo', 'TOKEN', value);
      const r = await say(`diff duo ${i % 2 ? '1 2' : '2 1'}`, 'console:root');
      const shown = [r.text, ...(r.block ?? [])].join('\n');
      for (const leak of ['MIIEvQ', 'MzEfYy', 'f3c9a1b2c3d4e5f6', 'vault', 'separated', 'ñandú'])
        expect(shown).not.toContain(leak);
      expect(shown).toContain('TOKEN: ••••••(TOKEN)');
    }
    await ops.secrets.set('duo', 'TOKEN', 'hunter2-very-secret');
  });
});

describe('audit', () => {
  it('records every command with who, where, outcome and duration, append-only', async () => {
    await say('history shop --limit 1', 'slack:U9', { channel: 'slack:COPS' });
    const rows = await ops.audit.list({ fleet: 'shop', limit: 1 });
    expect(rows[0]).toMatchObject({
      actor: 'slack:U9',
      platform: 'cli',
      channel: 'slack:COPS',
      command: 'history shop --limit 1',
      fleet: 'shop',
      outcome: 'ok',
    });
    expect((await say('audit', 'console:bob')).outcome).toBe('refused');
    const r = await say('audit shop --limit 3', 'console:vera');
    expect(r.block).toHaveLength(3);
    expect(r.block?.[0]).toMatch(
      /refused · console:bob in cli · audit|ok · slack:U9 in slack:COPS · history shop --limit 1/,
    );
    expect((await say('audit', 'console:root')).outcome).toBe('ok');
    await expect(sql`UPDATE audit SET actor = 'x'`.execute(ops.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit`.execute(ops.db)).rejects.toThrow(/append-only/);
  });
});
