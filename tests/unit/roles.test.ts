import { describe, expect, it } from 'vitest';
import { usePolicyFixture } from '../support/policy-fixture.js';

const f = usePolicyFixture();

describe('roles and channels', () => {
  it('refuses chat users until access: names them, and says what to add', async () => {
    const r = await f.say('status', 'discord:1234');
    expect(r.outcome).toBe('refused');
    expect(r.text).toBe(
      "Otto doesn't know discord:1234 yet, so it can't run status. Nothing was changed.",
    );
    expect(r.fix).toContain('`discord:1234: viewer` under access:');
  });

  it('limits a fleet to its channels and uses platform groups', async () => {
    const elsewhere = await f.say('history shop', 'slack:U1', { channel: 'slack:CRANDOM' });
    expect(elsewhere.outcome).toBe('refused');
    expect(elsewhere.text).toContain('shop is not available from this channel');
    expect(`${elsewhere.text} ${elsewhere.fix}`).not.toContain('COPS');
    expect((await f.say('history shop', 'slack:U1', { channel: 'slack:COPS' })).outcome).toBe('ok');
    const viewer = await f.say('lock shop', 'slack:U1', { channel: 'slack:COPS' });
    expect(viewer.text).toContain('needs the deployer role for shop');
    const ops2 = await f.say('lock shop', 'slack:U1', {
      channel: 'slack:COPS',
      groups: ['slack-group:SOPS'],
    });
    expect(ops2.outcome).toBe('ok');
    await f.say('unlock shop', 'slack:U1', { channel: 'slack:COPS', groups: ['slack-group:SOPS'] });
    const fleets = await f.say('fleets', 'slack:U1', { channel: 'slack:CRANDOM' });
    expect(fleets.fields?.map((f) => f.label)).toEqual(['duo']);
  });

  it('lets a role granted on one fleet list that fleet, and nothing more', async () => {
    const fleets = await f.say('fleets', 'console:dana');
    expect(fleets.outcome).toBe('ok');
    expect(fleets.fields?.map((f) => f.label)).toEqual(['duo']);
    expect((await f.say('history duo', 'console:dana')).outcome).toBe('ok');
    expect((await f.say('history shop', 'console:dana')).outcome).toBe('refused');
    expect((await f.say('audit', 'console:dana')).outcome).toBe('refused');
  });
});
