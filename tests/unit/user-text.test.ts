import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDiscord } from '../../src/adapters/discord/render.js';
import { toBlocks } from '../../src/adapters/slack/blocks.js';
import { dispatch, errorReply } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/types.js';
import { userText } from '../../src/user-text.js';
import type { Ops } from '../../src/ops/ops.js';
import { NGINX, testOps } from '../support/test-ops.js';

// Text a person typed (lock and deny reasons, commands in the audit log) must never
// become a mention: only identities Otto itself inserts may ping. Each reply is
// drawn by both chat adapters, as they would post it.

const BOB = 'U0BOB'; // a Slack user someone wants to ping
const DAVE = '300000000000000009'; // a Discord user someone wants to ping
const TYPED = `ask slack:${BOB} or discord:${DAVE}`;

let ops: Ops;
const say = (text: string, actor: string) =>
  dispatch(ops, text, { actor, channel: 'cli', platform: 'cli' });

/** The reply as Slack and Discord would post it. */
const drawn = (r: Reply) => ({
  slack: JSON.stringify(toBlocks(r).blocks),
  discord: toDiscord(r).content,
});

beforeAll(async () => {
  ops = await testOps(
    {
      clusters: { laptop: { local: true, docker_host: 'unix:///nonexistent.sock' } },
      access: { 'slack:UALICE': 'deployer', 'slack:UCAROL': 'approver' },
      fleets: {
        shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml' },
        gate: {
          cluster: 'laptop',
          compose_file: 'stacks/shop.yml',
          approvals: { launch: 1 },
        },
      },
    },
    { files: { 'stacks/shop.yml': NGINX }, key: 5 },
  );
});
afterAll(async () => {
  await ops.close();
});

describe('user text in replies', () => {
  it('keeps the words but not the mention pattern', () => {
    expect(userText(TYPED)).toBe(`ask slack:\u2060${BOB} or discord:\u2060${DAVE}`);
    expect(userText(TYPED).replace(/\u2060/g, '')).toBe(TYPED);
  });

  it('draws a lock reason without pinging anyone, and still names the holder', async () => {
    const locked = await say(`lock shop ${TYPED}`, 'slack:UALICE');
    expect(locked.outcome).toBe('ok');
    const { slack, discord } = drawn(locked);
    expect(slack).toContain('<@UALICE>');
    expect(slack).not.toContain(`<@${BOB}>`);
    expect(discord).not.toContain(`<@${DAVE}>`);
    expect(discord).toContain(`discord:\u2060${DAVE}`);

    // The same reason as a refusal: the held lock stops a second one.
    const held = await ops.locks.acquire('shop', 'slack:UCAROL', 'launch').catch((e) => e);
    const refusal = drawn(errorReply(held));
    expect(refusal.slack).toContain('locked by <@UALICE>');
    expect(refusal.slack).not.toContain(`<@${BOB}>`);
    expect(refusal.discord).not.toContain(`<@${DAVE}>`);

    // And in the audit log, where the command is echoed with its reason.
    const audit = await say('audit shop', 'slack:UALICE');
    expect(audit.block?.join('\n')).toContain(`lock shop ask slack:\u2060${BOB}`);
    expect(drawn(audit).slack).not.toContain(`<@${BOB}>`);

    const unlocked = await say('unlock shop', 'slack:UALICE');
    expect(unlocked.outcome).toBe('ok');
    expect(drawn(unlocked).slack).not.toContain(`<@${BOB}>`);
    expect(drawn(unlocked).discord).not.toContain(`<@${DAVE}>`);
  });

  it('draws a deny reason without pinging anyone, and still names who denied', async () => {
    const asked = await say('launch gate', 'slack:UALICE');
    expect(asked.approval).toBeTypeOf('number');
    const denied = await say(`deny ${asked.approval} ${TYPED}`, 'slack:UCAROL');
    expect(denied.outcome).toBe('ok');
    const { slack, discord } = drawn(denied);
    expect(slack).toContain('denied by <@UCAROL>');
    expect(slack).not.toContain(`<@${BOB}>`);
    expect(discord).not.toContain(`<@${DAVE}>`);
  });

  it('draws a failed launch reason in the history without pinging anyone', async () => {
    const d = await ops.deployments.start({
      fleet: 'shop',
      actor: 'slack:UALICE',
      composeSnapshot: 'services: {}\n',
    });
    await ops.deployments.finish(d, 'failed', `Fleet shop is locked: ${TYPED}`);
    const history = await say('history shop', 'slack:UALICE');
    const { slack, discord } = drawn(history);
    expect(slack).not.toContain(`<@${BOB}>`);
    expect(discord).not.toContain(`<@${DAVE}>`);
  });

  it("keeps Discord's raw mention syntax typed by a person from drawing as a mention", async () => {
    await say(`lock shop see <@${DAVE}> and <@&${DAVE}> in <#${DAVE}>`, 'slack:UALICE');
    const status = await say('status shop', 'slack:UALICE');
    await say('unlock shop', 'slack:UALICE');
    const { discord } = drawn(status);
    expect(discord).toContain('see <\u2060@');
    expect(discord).not.toMatch(new RegExp(`<[@#]&?${DAVE}>`));
  });
});
