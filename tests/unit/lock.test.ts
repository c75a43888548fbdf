import { describe, expect, it } from 'vitest';
import { usePolicyFixture } from '../support/policy-fixture.js';

const f = usePolicyFixture();

describe('locks', () => {
  it('freezes launches and rollbacks until the holder or an admin unlocks', async () => {
    const locked = await f.say('lock shop database migration', 'console:alice');
    expect(locked.text).toMatch(
      /^🔒 shop is locked by console:alice at .* UTC: database migration\./,
    );
    expect((await f.say('lock shop', 'console:root')).text).toContain('locked by console:alice');
    const rollback = await f.say('rollback shop', 'console:alice');
    expect(rollback.outcome).toBe('failed');
    expect(rollback.text).toMatch(
      /Fleet shop is locked by console:alice since .*: database migration/,
    );
    const launch = await f.say('launch shop', 'console:root');
    expect(launch.text).toContain('Fleet shop is locked by console:alice');
    const status = await f.say('status shop', 'console:vera');
    expect(status.fields?.some((f) => f.label === '🔒 shop')).toBe(true);

    expect((await f.say('unlock shop', 'console:vera')).outcome).toBe('refused');
    const bob = await f.say('unlock shop', 'console:bob');
    expect(bob.outcome).toBe('refused');
    expect(bob.text).toContain('needs the admin role');
    expect((await f.say('unlock shop', 'console:alice')).text).toMatch(/^🔓 shop is unlocked/);
    expect((await f.say('unlock shop', 'console:alice')).text).toBe(
      'shop is not locked. Nothing to do.',
    );
    await f.say('lock shop', 'console:alice');
    expect((await f.say('unlock shop', 'console:root')).text).toMatch(/^🔓 shop is unlocked/);
  });
});
