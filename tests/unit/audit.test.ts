import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ops } from '../../src/ops/ops.js';
import { policyFixture, type PolicyFixture } from '../support/policy-fixture.js';
import { sql } from 'kysely';

let ops: Ops;
let say: PolicyFixture['say'];
beforeAll(async () => {
  const f = await policyFixture();
  ops = f.ops;
  say = f.say;
});
afterAll(async () => {
  await ops.close();
});

describe('audit', () => {
  it('records every command with who, where, outcome and duration, append-only', async () => {
    await say('diff shop 1', 'console:vera');
    await say('rollback shop 1', 'console:alice');
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
