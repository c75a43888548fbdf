import { describe, expect, it } from 'vitest';
import type { FleetConfig } from '../../src/config/config.js';
import { requestId, V1, V2, usePolicyFixture } from '../support/policy-fixture.js';
import { writeFileSync } from 'node:fs';
import { composeHash } from '../../src/commands/held-compose.js';

const f = usePolicyFixture();

/** The compose file of a fleet read from a file. */
const fileOf = (fleet: FleetConfig) => {
  if (fleet.source.kind !== 'file') throw new Error(`${fleet.name} is not a file fleet`);
  return fleet.source.path;
};

describe('rollback requests', () => {
  it('asks for approval with Approve and Deny buttons', async () => {
    const r = await f.say('rollback shop', 'console:alice');
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
      // The fixture's versions were recorded without images: the return runs the tags.
      value: `compose ${composeHash(V1)} · web otto-test:v1 (no digests recorded: a return runs the tags)`,
    });
  });

  it('refuses versions that do not exist, never succeeded or are current, listing good ones', async () => {
    const missing = await f.say('rollback shop 9', 'console:alice');
    expect(missing.outcome).toBe('failed');
    expect(missing.text).toBe('shop has no v9. Nothing was changed.');
    expect(missing.fix).toContain('Recent good versions: v3 (just now by console:alice), v1');
    const failed = await f.say('rollback shop v2', 'console:alice');
    expect(failed.text).toContain('v2 never reached orbit (failed)');
    const current = await f.say('rollback shop 3', 'console:alice');
    expect(current.text).toContain('v3 is the current version already');
    expect((await f.say('rollback shop latest', 'console:alice')).outcome).toBe('usage');
  });

  it('refuses self-approval, a viewer, and an unknown id', async () => {
    const id = requestId(await f.say('rollback shop 1', 'console:carol'));
    const self = await f.say(`approve ${id}`, 'console:carol');
    expect(self.outcome).toBe('refused');
    expect(self.text).toContain('a second person must approve it');
    const viewer = await f.say(`approve ${id}`, 'console:vera');
    expect(viewer.outcome).toBe('refused');
    expect(viewer.text).toContain('needs the approver role');
    const unknown = await f.say('approve 999', 'console:bob');
    expect(unknown).toMatchObject({
      outcome: 'failed',
      text: expect.stringContaining('no approval request 999'),
    });
    expect((await f.ops.approvals.get(id))?.status).toBe('pending');
  });

  it('answers deny twice and approve after deny without changing anything', async () => {
    const id = requestId(await f.say('rollback shop', 'console:alice'));
    const denied = await f.say(`deny ${id} wrong version`, 'console:bob');
    expect(denied.outcome).toBe('ok');
    expect(denied.text).toBe(
      `🚫 Request ${id} denied by console:bob (wrong version): return shop v3 → v1 will not run. Nothing was changed.`,
    );
    const again = await f.say(`deny ${id}`, 'console:carol');
    expect(again.outcome).toBe('failed');
    expect(again.text).toContain(`was denied by console:bob`);
    const approve = await f.say(`approve ${id}`, 'console:carol');
    expect(approve.text).toContain('was denied by console:bob');
    expect(approve.fix).toBe('To ask again: rollback shop 1');
  });

  it("lets the requester withdraw, and only approvers deny other people's requests", async () => {
    const id = requestId(await f.say('rollback shop', 'console:alice'));
    const other = await f.say(`deny ${id}`, 'console:vera');
    expect(other.outcome).toBe('refused');
    const deployer = await f.say(`deny ${id}`, 'slack:U2', {
      channel: 'slack:COPS',
      groups: ['slack-group:SOPS'],
    });
    expect(deployer.outcome).toBe('refused');
    expect(deployer.text).toContain(`can't deny request ${id}: that needs the approver role`);
    const own = await f.say(`deny ${id} wrong target`, 'console:alice');
    expect(own.text).toBe(
      `🚫 Request ${id} withdrawn by console:alice (wrong target): return shop v3 → v1 will not run. Nothing was changed.`,
    );
    expect((await f.say(`approve ${id}`, 'console:bob')).text).toContain(
      'was withdrawn by console:alice',
    );
  });

  it('expires requests', async () => {
    const id = requestId(await f.say('rollback shop', 'console:alice'));
    await f.ops.db
      .updateTable('approvals')
      .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', id)
      .execute();
    const r = await f.say(`approve ${id}`, 'console:bob');
    expect(r.outcome).toBe('failed');
    expect(r.text).toMatch(
      new RegExp(`Request ${id} \\(return shop v3 → v1\\) expired at .* without enough approvals`),
    );
    expect((await f.ops.approvals.get(id))?.status).toBe('expired');
  });

  it('counts votes towards the number of approvals needed, once per person', async () => {
    const r = await f.say('rollback duo', 'console:alice');
    expect(r.text).toContain("Needs 2 flight directors' approvals.");
    const id = requestId(r);
    const first = await f.say(`approve ${id}`, 'console:bob');
    expect(first.text).toBe(
      `Approval recorded from console:bob: 1 of 2 for return duo v2 → v1. Needs 1 more approval.`,
    );
    const twice = await f.say(`approve ${id}`, 'console:bob');
    expect(twice.outcome).toBe('failed');
    expect(twice.text).toContain('console:bob has already approved');
    expect(await f.ops.approvals.approvers(id)).toEqual(['console:bob']);
  });

  it('refuses a request made before the fleet moved on', async () => {
    const id = requestId(await f.say('rollback duo', 'console:alice'));
    await f.record('duo', V2, 'succeeded');
    const r = await f.say(`approve ${id}`, 'console:bob');
    expect(r.text).toContain('is out of date: duo changed after it was asked');
    expect((await f.ops.approvals.get(id))?.status).toBe('stale');
  });

  it('asks for approval before a launch when the fleet says so', async () => {
    const r = await f.say('launch duo', 'console:alice');
    expect(r.text).toContain(
      "Launch duo? Otto holds the compose file as read now for approval. Needs a flight director's approval.",
    );
    const id = requestId(r);
    const row = await f.ops.approvals.get(id);
    expect(row).toMatchObject({ action: 'launch', status: 'pending', composeSnapshot: V1 });
  });

  it('shows an approver the compose the request holds, not the file as it is now', async () => {
    const r = await f.say('launch duo', 'console:alice');
    const id = requestId(r);
    expect(r.fields?.find((f) => f.label === 'Holds')?.value).toBe(
      `compose ${composeHash(V1)} · web otto-test:v1`,
    );
    expect(r.buttons?.find((b) => b.label === 'Diff')?.command).toBe(`diff #${id}`);
    // The file changes after the request: the Diff button still shows what approval runs.
    const file = fileOf(f.ops.config.fleets.get('duo')!);
    writeFileSync(file, V2.replace('v2', 'edited-later'));
    try {
      const d = await f.say(`diff #${id}`, 'console:vera');
      expect(d.outcome).toBe('ok');
      expect(d.text).toContain(`to request #${id} (compose ${composeHash(V1)}`);
      expect(d.block).toContain('+    image: otto-test:v1');
      expect(d.block?.join('\n')).not.toContain('edited-later');
      expect(d.block?.join('\n')).not.toContain('hunter2');
      // Request numbers are checked like fleets: an unknown one is not found, and the
      // request's fleet rules apply to who may see it.
      expect((await f.say('diff #9999', 'console:vera')).outcome).toBe('failed');
      expect((await f.say(`diff #${id}`, 'console:nobody')).outcome).toBe('refused');
      expect((await f.say(`diff #${id} 2`, 'console:vera')).outcome).toBe('usage');
    } finally {
      writeFileSync(file, V1);
    }
  });
});
describe('a request being carried out', () => {
  it('tells a second approver so from the lock row, whatever the lock says in words', async () => {
    const r = await f.say('rollback shop 1', 'console:alice');
    const id = requestId(r);
    // The first approval's launch holds the fleet: the lock names the request.
    await f.ops.locks.acquire('shop', 'console:alice', 'any words at all', { requestId: id });
    try {
      const second = await f.say(`approve ${id}`, 'console:carol');
      expect(second.outcome).toBe('failed');
      expect(second.text).toContain(
        `Request ${id} (return shop v3 → v1) is already being carried out`,
      );
      // Another request meets the same lock as a busy fleet, not as its own run.
      const other = await f.say('rollback shop 1', 'console:alice');
      const otherId = requestId(other);
      const blocked = await f.say(`approve ${otherId}`, 'console:carol');
      expect(blocked.text).toContain('Fleet shop is busy: any words at all');
      expect(blocked.fix).toContain('Your approval is recorded');
      await f.say(`deny ${otherId}`, 'console:alice');
    } finally {
      await f.ops.locks.release('shop');
      await f.say(`deny ${id}`, 'console:alice');
    }
  });
});
