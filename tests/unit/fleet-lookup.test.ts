import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetChoices } from '../../src/commands/choices.js';
import { dispatch } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/types.js';
import type { Ops } from '../../src/ops/ops.js';
import { NGINX, testOps } from '../support/test-ops.js';

// A fleet's name is news to whoever may not view it: suggestions and lists name only
// the fleets the asker may view from the channel they ask in, and a channel refusal
// does not name the channels a fleet is heard in.

let ops: Ops;
const OUTSIDER = { actor: 'slack:UBOB', groups: [] };
/** Deploys shop, and may not view payroll. */
const DEPLOYER = 'slack:UDEP';
/** Knows only vault, which is not heard on Discord. */
const VAULT_KEEPER = 'discord:100000000000000001';
const say = (text: string, actor: string, channel: string) =>
  dispatch(ops, text, {
    actor,
    channel,
    platform: actor.startsWith('discord:') ? 'discord' : 'slack',
  });
const words = (r: Reply) => `${r.text}\n${r.fix ?? ''}`;

const fleet = (extra: object = {}) => ({
  cluster: 'laptop',
  compose_file: 'stacks/a.yml',
  ...extra,
});

beforeAll(async () => {
  ops = await testOps(
    {
      clusters: { laptop: { local: true, docker_host: 'unix:///nonexistent.sock' } },
      access: { 'slack:*': 'viewer', [DEPLOYER]: 'deployer', 'slack:UROOT': 'admin' },
      fleets: {
        shop: fleet(),
        // Hidden from slack:* by its own access.
        payroll: fleet({ access: { 'slack:*': 'none', [DEPLOYER]: 'none' } }),
        // Heard only in the private channel slack:CVAULT.
        vault: fleet({ channels: ['slack:CVAULT'], access: { [VAULT_KEEPER]: 'viewer' } }),
      },
    },
    { files: { 'stacks/a.yml': NGINX }, key: 7 },
  );
});
afterAll(async () => {
  await ops.close();
});

describe('unknown fleet names', () => {
  it('suggests and lists only the fleets the asker may view from this channel', async () => {
    const typo = await say('history shpo', OUTSIDER.actor, 'slack:CRANDOM');
    expect(typo.outcome).toBe('failed');
    expect(typo.text).toBe('There is no fleet named shpo. Did you mean shop?');
    expect(typo.fix).toBe('Fleets you can see from here: shop.');

    for (const [text, actor] of [
      ['history payrol', OUTSIDER.actor],
      ['logs payrol', OUTSIDER.actor],
      ['audit vaul', OUTSIDER.actor],
      ['silence payrol 1h', DEPLOYER],
      ['lock payrol', DEPLOYER],
      ['launch payrol', DEPLOYER],
      ['rollback payrol', DEPLOYER],
      ['diff payrol', OUTSIDER.actor],
      ['status payrol', OUTSIDER.actor],
    ] as const) {
      const r = await say(text, actor, 'slack:CRANDOM');
      expect(words(r), text).not.toMatch(/payroll|vault/);
      expect(r.fix, text).toBe('Fleets you can see from here: shop.');
    }
  });

  it('suggests a channel-bound fleet in its own channel, and every fleet to an admin', async () => {
    const there = await say('history vaul', OUTSIDER.actor, 'slack:CVAULT');
    expect(there.text).toContain('Did you mean vault?');
    expect(there.fix).toBe('Fleets you can see from here: shop, vault.');
    const admin = await say('history payrol', 'slack:UROOT', 'slack:CRANDOM');
    expect(admin.text).toContain('Did you mean payroll?');
    expect(admin.fix).toBe('Fleets you can see from here: shop, payroll.');
  });

  it('says whom to ask when no fleet is open to the asker here', async () => {
    const r = await say('history shpo', VAULT_KEEPER, 'discord:100000000000000042');
    expect(r.text).toBe('There is no fleet named shpo.');
    expect(r.fix).toBe(
      'No fleet is open to you from this channel: ask an admin which fleets and channels you may use.',
    );
  });

  it('completes only the fleets the asker may view from this channel', () => {
    expect(fleetChoices(ops, OUTSIDER, 'slack:CRANDOM', '')).toEqual(['shop']);
    expect(fleetChoices(ops, OUTSIDER, 'slack:CVAULT', '')).toEqual(['shop', 'vault']);
  });
});

describe('channel refusals', () => {
  it("say the fleet is not available here and whom to ask, without naming the fleet's channels", async () => {
    const r = await say('history vault', OUTSIDER.actor, 'slack:CRANDOM');
    expect(r.outcome).toBe('refused');
    expect(r.text).toBe(
      'vault is not available from this channel (slack:CRANDOM). Nothing was changed.',
    );
    expect(r.fix).toContain('Ask an admin which channel takes commands for vault');
    expect(words(r)).not.toContain('CVAULT');
  });
});
