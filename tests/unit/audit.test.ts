import { describe, expect, it } from 'vitest';
import { usePolicyFixture } from '../support/policy-fixture.js';
import { sql } from 'kysely';

const f = usePolicyFixture();

describe('audit', () => {
  it('records every command with who, where, outcome and duration, append-only', async () => {
    await f.say('diff shop 1', 'console:vera');
    await f.say('rollback shop 1', 'console:alice');
    await f.say('history shop --limit 1', 'slack:U9', { channel: 'slack:COPS' });
    const rows = await f.ops.audit.list({ fleet: 'shop', limit: 1 });
    expect(rows[0]).toMatchObject({
      actor: 'slack:U9',
      platform: 'cli',
      channel: 'slack:COPS',
      command: 'history shop --limit 1',
      fleet: 'shop',
      outcome: 'ok',
    });
    expect((await f.say('audit', 'console:bob')).outcome).toBe('refused');
    const r = await f.say('audit shop --limit 3', 'console:vera');
    expect(r.block).toHaveLength(3);
    expect(r.block?.[0]).toMatch(
      /refused · console:bob in cli · audit|ok · slack:U9 in slack:COPS · history shop --limit 1/,
    );
    expect((await f.say('audit', 'console:root')).outcome).toBe('ok');
    await expect(sql`UPDATE audit SET actor = 'x'`.execute(f.ops.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`DELETE FROM audit`.execute(f.ops.db)).rejects.toThrow(/append-only/);
  });
});
