import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import {
  APP_ID,
  DiscordStandin,
  GUILD_ID,
  OTHER_GUILD_ID,
  inDirectMessage,
  inOtherGuild,
  member,
  slash,
  type RestCall,
} from '../support/discord-standin.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { docker, freePort } from '../support/testbed.js';
import { webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

const ALICE = '300000000000000001'; // deployer
const BOB = '300000000000000002'; // approver
const EVE = '300000000000000003'; // viewer
const CAROL = '300000000000000004'; // approver through a role
const APPROVERS_ROLE = '400000000000000001';
const ALERTS = '100000000000000077'; // the alert channel of fleet mast

interface Row {
  components: { custom_id: string; label: string }[];
}

/** A call's message text with its buttons as [Label]. */
function textOf(call: RestCall): string {
  const rowsOf = (call.body['components'] ?? []) as Row[];
  const labels = rowsOf.flatMap((r) => r.components.map((c) => `[${c.label}]`));
  return [String(call.body['content'] ?? ''), ...labels].join('\n');
}

describe.skipIf(bed === null)('Discord with the real discord.js client', () => {
  if (!bed) return;
  const discord = new DiscordStandin();
  const stack = (image: string, color: string) => ({
    services: { web: webService(image, { environment: { COLOR: color } }) },
  });
  const ws = workspace(
    bed,
    {
      helm: { compose: stack(bed.images.v1, 'blue') },
      // Heard only in another channel: the stand-in's interactions come from CHANNEL_ID.
      vault: {
        compose: { services: { web: webService(bed.images.v1) } },
        extra: { channels: ['discord:100000000000000099'] },
      },
      chatty: {
        compose: {
          services: {
            talker: {
              image: bed.images.v1,
              command: [
                'sh',
                '-c',
                'i=1; while [ $$i -le 300 ]; do echo "transmission $$i from the far side"; i=$$((i+1)); done; sleep 3600',
              ],
            },
          },
        },
      },
      // Not launched: its service is made by hand to fail, for the alert test.
      mast: {
        compose: { services: { web: webService(bed.images.v1) } },
        extra: { alerts: [`discord:${ALERTS}`] },
      },
    },
    undefined,
    {
      telemetry: { poll: '2s', grace: '5s' },
      access: {
        [`discord:${ALICE}`]: 'deployer',
        [`discord:${BOB}`]: 'approver',
        [`discord:${EVE}`]: 'viewer',
        [`discord-role:${APPROVERS_ROLE}`]: 'approver',
      },
      discord: {
        token: '${DISCORD_TOKEN}',
        application_id: APP_ID,
        guild_id: GUILD_ID,
        api_url: '${DISCORD_API}',
      },
    },
  );
  let otto: OttoProcess;

  beforeAll(async () => {
    await discord.listen();
    otto = startOtto(ws.config, ws.dir, {
      DISCORD_TOKEN: 'MTAwMDAw.secret-discord-token.abcdefghijkl',
      DISCORD_API: discord.apiUrl,
    });
    await otto.waitForLog('Discord connected');
    await discord.waitReady();
  });

  afterAll(async () => {
    const code = await otto.stop();
    if (process.env['DEBUG_DISCORD'])
      console.log(
        otto.log(),
        discord.calls
          .map((c) => `${c.method} ${c.path} ${JSON.stringify(c.body).slice(0, 200)}`)
          .join('\n'),
      );
    await discord.close();
    for (const s of ['helm', 'chatty', 'mast']) await docker(bed, ['stack', 'rm', s]);
    expect(code).toBe(0);
    expect(otto.log()).not.toContain('secret-discord-token');
  });

  /** Sends `/otto <sub>` as `user`; resolves with the interaction's token once Otto deferred it. */
  const command = async (
    sub: string,
    options: Record<string, string | number>,
    user: string,
    roles: string[] = [],
  ) => {
    const i = discord.interaction({ ...slash(sub, options), member: member(user, roles) });
    await i.deferred;
    return i.token;
  };

  /** The first edit of the reply to interaction `token` whose text contains `text`. */
  const reply = (token: string, text: string, ms?: number) =>
    discord.waitFor(
      (c) =>
        c.method === 'PATCH' && c.path.includes(`/${token}/messages/`) && textOf(c).includes(text),
      `reply ${token} showing "${text}"`,
      ms,
    );

  const edits = (token: string) =>
    discord.calls.filter((c) => c.method === 'PATCH' && c.path.includes(`/${token}/messages/`));

  /** Presses the button labelled `label` on the message behind interaction `token`. */
  const press = async (token: string, label: string, user: string, roles: string[] = []) => {
    const id = discord.originalOf(token)!;
    const message = discord.messages.get(id)!;
    const button = (message.components as Row[])
      .flatMap((r) => r.components)
      .find((c) => c.label === label);
    if (!button) throw new Error(`no ${label} button on ${message.content}`);
    const i = discord.interaction({
      type: 3,
      member: member(user, roles),
      data: { custom_id: button.custom_id, component_type: 2 },
      message: discord.apiMessage(message),
    });
    await i.deferred;
    return { token: i.token, messageId: id };
  };

  it('defers /otto launch at once, then edits the same reply through the rollout to success', async () => {
    const token = await command('launch', { fleet: 'helm' }, ALICE);
    await reply(token, 'helm v1 is in orbit');
    const all = edits(token);
    expect(all.length).toBeGreaterThan(1);
    expect(all.some((c) => textOf(c).includes('Waiting for every service'))).toBe(true);
    for (let i = 1; i < all.length; i++)
      expect(all[i]!.at - all[i - 1]!.at).toBeGreaterThanOrEqual(900);
    expect(rows(ws.dir, "select actor, platform from audit where command = 'launch helm'")).toEqual(
      [{ actor: `discord:${ALICE}`, platform: 'discord' }],
    );
  });

  it('autocompletes fleets from the config and services from the cluster', async () => {
    const ask = async (
      sub: string,
      options: { name: string; value: string; focused?: boolean }[],
    ) => {
      const i = discord.interaction({
        type: 4,
        member: member(ALICE),
        data: {
          id: '100000000000000010',
          name: 'otto',
          type: 1,
          options: [{ type: 1, name: sub, options: options.map((o) => ({ type: 3, ...o })) }],
        },
      });
      await i.deferred;
      const answer = discord.calls.find((c) => c.path.startsWith(`/interactions/${i.id}/`))!;
      expect(answer.body['type']).toBe(8);
      return (answer.body['data'] as { choices: { name: string }[] }).choices.map((c) => c.name);
    };
    expect(await ask('launch', [{ name: 'fleet', value: 'he', focused: true }])).toEqual(['helm']);
    // vault is heard only in another channel, so it is not offered here.
    expect(await ask('launch', [{ name: 'fleet', value: '', focused: true }])).toEqual([
      'chatty',
      'helm',
      'mast',
    ]);
    expect(
      await ask('logs', [
        { name: 'fleet', value: 'helm' },
        { name: 'service', value: 'w', focused: true },
      ]),
    ).toEqual(['web']);
  });

  it('answers another server and direct messages with a private refusal, and runs nothing', async () => {
    /** Sends an interaction and resolves with Otto's callback to it. */
    const answer = async (d: Record<string, unknown>) => {
      const i = discord.interaction(d);
      await i.deferred;
      return discord.calls.find((c) => c.path.startsWith(`/interactions/${i.id}/`))!;
    };
    const lock = (where: string) => slash('lock', { fleet: 'helm', reason: `from ${where}` });
    const button = {
      type: 3,
      data: { custom_id: 'otto:lock helm from a button', component_type: 2 },
      message: discord.apiMessage({
        id: '100000000000000088',
        channel_id: '100000000000000006',
        content: 'a message with a button',
        components: [],
        attachments: [],
      }),
    };
    const refusals = [
      await answer({ ...lock('another server'), ...inOtherGuild(ALICE) }),
      await answer({ ...lock('a direct message'), ...inDirectMessage(ALICE) }),
      await answer({ ...button, ...inOtherGuild(ALICE) }),
      await answer({ ...button, ...inDirectMessage(ALICE) }),
    ];
    for (const r of refusals) {
      // 4 is a reply (not 5, a deferral: nothing runs behind it); flag 64, only they see it.
      expect(r.body['type']).toBe(4);
      const data = r.body['data'] as { content: string; flags: number };
      expect(data.flags).toBe(64);
      expect(data.content).toContain("Otto doesn't take commands here");
      expect(data.content).not.toContain(GUILD_ID);
    }
    const completion = await answer({
      type: 4,
      ...inOtherGuild(ALICE),
      data: {
        id: '100000000000000010',
        name: 'otto',
        type: 1,
        options: [
          {
            type: 1,
            name: 'launch',
            options: [{ type: 3, name: 'fleet', value: '', focused: true }],
          },
        ],
      },
    });
    expect(completion.body).toEqual({ type: 8, data: { choices: [] } });
    await otto.waitForLog(
      `dropped an interaction from discord:${ALICE} in server ${OTHER_GUILD_ID}: only ${GUILD_ID}`,
    );
    await otto.waitForLog(`dropped an interaction from discord:${ALICE} in a direct message`);
    expect(rows(ws.dir, "select command from audit where command like 'lock helm%'")).toEqual([]);
    expect(rows(ws.dir, 'select fleet from locks')).toEqual([]);
  });

  it("draws a pressed button's command as text, so it pings nobody", async () => {
    const help = await command('help', {}, EVE);
    await reply(help, 'launch');
    const i = discord.interaction({
      type: 3,
      member: member(EVE),
      data: { custom_id: `otto:help discord:${ALICE}`, component_type: 2 },
      message: discord.apiMessage(discord.messages.get(discord.originalOf(help)!)!),
    });
    await i.deferred;
    const drawn = await reply(i.token, 'pressed');
    expect(textOf(drawn)).toContain(`<@${EVE}> pressed`);
    expect(textOf(drawn)).not.toContain(`<@${ALICE}>`);
  });

  it('refuses a viewer, saying which role it takes', async () => {
    const token = await command('launch', { fleet: 'helm' }, EVE);
    const refused = await reply(token, '⛔');
    expect(textOf(refused)).toContain('deployer');
  });

  it("refuses a fleet's commands outside its channels, without naming its channels", async () => {
    const token = await command('status', { fleet: 'vault' }, EVE);
    const refused = await reply(token, '⛔');
    expect(textOf(refused)).toContain(
      'vault is not available from this channel (<#100000000000000004>)',
    );
    expect(textOf(refused)).toContain('Ask an admin');
    expect(textOf(refused)).not.toContain('100000000000000099');
  });

  it('asks for approval with buttons, and draws who approved and who denied on the request', async () => {
    ws.writeStack('helm', stack(bed.images.v2, 'green'));
    await reply(await command('launch', { fleet: 'helm' }, ALICE), 'helm v2 is in orbit');

    const asked = await command('rollback', { fleet: 'helm' }, ALICE);
    await reply(asked, 'Return to base?');
    const self = await press(asked, 'Approve', ALICE);
    expect(textOf(await reply(self.token, '⛔'))).toContain('approver');

    const approved = await press(asked, 'Approve', BOB);
    const card = await discord.waitFor(
      (c) =>
        c.method === 'PATCH' &&
        c.path.endsWith(`/messages/${approved.messageId}`) &&
        textOf(c).includes(`Approved by <@${BOB}>`),
      'the request redrawn as approved',
    );
    expect(textOf(card)).not.toContain('[Approve]');
    await reply(approved.token, "Back at base! helm runs v1's configuration again, launched as v3");

    const again = await command('rollback', { fleet: 'helm', version: 2 }, ALICE);
    await reply(again, 'Return to base?');
    const denied = await press(again, 'Deny', CAROL, [APPROVERS_ROLE]);
    await discord.waitFor(
      (c) =>
        c.method === 'PATCH' &&
        c.path.endsWith(`/messages/${denied.messageId}`) &&
        textOf(c).includes(`Denied by <@${CAROL}>`),
      'the request redrawn as denied',
    );
    expect(
      rows(ws.dir, "select status, decided_by from approvals where fleet = 'helm' order by id"),
    ).toEqual([
      { status: 'approved', decided_by: `discord:${BOB}` },
      { status: 'denied', decided_by: `discord:${CAROL}` },
    ]);
  });

  it('sends long logs as an attached file instead of cutting them', async () => {
    await reply(await command('launch', { fleet: 'chatty' }, ALICE), 'chatty v1 is in orbit');
    const token = await command('logs', { fleet: 'chatty', tail: 300 }, EVE);
    const logs = await reply(token, 'attached file');
    expect(logs.files.map((f) => f.name)).toEqual(['otto-output.txt']);
    const text = logs.files[0]!.text;
    if (process.env['DEBUG_DISCORD'])
      console.log(text.split('\n').slice(0, 3), text.split('\n').length);
    expect(text).toContain('transmission 1 from the far side');
    expect(text).toContain('transmission 300 from the far side');
    expect(String(logs.body['content']).length).toBeLessThanOrEqual(2000);
  });

  it('waits out a 429 on an edit and still writes the final state, with no second message', async () => {
    discord.rateLimitNext(/^PATCH \/webhooks\/.*%40original$/, 1);
    const token = await command('status', { fleet: 'helm' }, EVE);
    await reply(token, 'helm');
    const limited = discord.calls.find((c) => c.method === 'PATCH!429')!;
    expect(limited.path).toContain(token);
    const written = edits(token);
    expect(written).toHaveLength(1);
    expect(written[0]!.at - limited.at).toBeGreaterThanOrEqual(900);
  });

  it('registers /otto in a guild with otto discord register', async () => {
    // otto.yml names ${DISCORD_TOKEN} and ${DISCORD_API}; the CLI inherits this environment.
    process.env['DISCORD_TOKEN'] = 'MTAwMDAw.secret-discord-token.abcdefghijkl';
    process.env['DISCORD_API'] = discord.apiUrl;
    const r = await ws.otto(['discord', 'register', '--guild', '500000000000000001']);
    delete process.env['DISCORD_TOKEN'];
    delete process.env['DISCORD_API'];
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('/otto is registered in guild 500000000000000001');
    expect(r.stdout).toContain(`discord.guild_id is ${GUILD_ID}, so Otto answers /otto only there`);
    const put = discord.calls.find(
      (c) =>
        c.method === 'PUT' &&
        c.path === `/applications/${APP_ID}/guilds/500000000000000001/commands`,
    )!;
    const [cmd] = put.body as unknown as {
      name: string;
      options: { name: string }[];
      contexts: number[];
      integration_types: number[];
      dm_permission: boolean;
    }[];
    expect(cmd!.name).toBe('otto');
    // Offered in servers (context 0, installed to a server) only, never in direct messages.
    expect(cmd!.contexts).toEqual([0]);
    expect(cmd!.integration_types).toEqual([0]);
    expect(cmd!.dm_permission).toBe(false);
    // Every chat command of the catalog, in its order (audit included).
    expect(cmd!.options.map((o) => o.name)).toEqual([
      'help',
      'fleets',
      'status',
      'logs',
      // logs stop is a button (and a text command), not a slash command.
      'top',
      'restart',
      'scale',
      'history',
      'diff',
      'launch',
      'rollback',
      'approve',
      'deny',
      'lock',
      'unlock',
      'alerts',
      'silence',
      'audit',
      'outposts',
      // Two-word commands are subcommands of a group: /otto outpost add.
      'outpost',
      'doctor',
      'previews',
      'token',
    ]);
  });

  it('resumes the gateway session after a reconnect request and after a dropped connection', async () => {
    discord.askReconnect();
    await discord.waitReady();
    expect(
      await command('status', { fleet: 'helm' }, EVE).then((t) => reply(t, 'helm')),
    ).toBeDefined();
    discord.dropGateway();
    await discord.waitReady();
    expect(await command('fleets', {}, EVE).then((t) => reply(t, 'helm'))).toBeDefined();
    const identifies = discord.gatewayOps.filter((op) => op === 2).length;
    const resumes = discord.gatewayOps.filter((op) => op === 6).length;
    expect(identifies).toBe(1);
    expect(resumes).toBe(2);
  });

  it('posts an alert into its channel with buttons, threads the recovery and marks it resolved', async () => {
    await docker(bed, [
      'service',
      'create',
      '--detach',
      '--name',
      'mast_web',
      bed.images.v1,
      'sh',
      '-c',
      'echo mast snapped; exit 3',
    ]);
    const alert = await discord.waitFor(
      (c) =>
        c.method === 'POST' &&
        c.path === `/channels/${ALERTS}/messages` &&
        textOf(c).includes('mast web is down'),
      'the alert',
      60_000,
    );
    expect(textOf(alert)).toContain('exits with code 3');
    expect(textOf(alert)).toContain('[Logs]');
    expect(textOf(alert)).toContain('[Silence 1h]');
    expect(alert.body['allowed_mentions']).toEqual({ parse: [] });

    await docker(bed, ['service', 'update', '--detach', '--args', 'sleep 3600', 'mast_web']);
    const thread = await discord.waitFor(
      (c) => c.method === 'POST' && /^\/channels\/\d+\/messages\/\d+\/threads$/.test(c.path),
      'a thread on the alert',
      60_000,
    );
    const alertId = thread.path.split('/')[4]!;
    expect(thread.path).toBe(`/channels/${ALERTS}/messages/${alertId}/threads`);
    // The thread has the alert's id: the recovery is posted into it.
    await discord.waitFor(
      (c) =>
        c.method === 'POST' &&
        c.path === `/channels/${alertId}/messages` &&
        textOf(c).includes('mast web has recovered'),
      'the recovery in the thread',
      30_000,
    );
    const resolved = await discord.waitFor(
      (c) =>
        c.method === 'PATCH' &&
        c.path === `/channels/${ALERTS}/messages/${alertId}` &&
        textOf(c).includes('Resolved'),
      'the alert marked resolved',
      30_000,
    );
    expect(textOf(resolved)).not.toContain('[Roll back]');
    expect(
      discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${ALERTS}/messages`),
    ).toHaveLength(1);
    await docker(bed, ['service', 'rm', 'mast_web']);
  });
});

describe.skipIf(bed === null)('Discord that cannot be reached at start', () => {
  if (!bed) return;

  it('keeps trying with backoff, says so in the log, and serves once Discord answers', async () => {
    const apiPort = await freePort();
    const ws = workspace(bed, {}, undefined, {
      access: { [`discord:${EVE}`]: 'viewer' },
      discord: {
        token: 'MTAwMDAw.late-discord-token.abcdefghijkl',
        application_id: APP_ID,
        api_url: `http://127.0.0.1:${apiPort}/api`,
      },
    });
    const otto = startOtto(ws.config, ws.dir);
    const discord = new DiscordStandin();
    try {
      await otto.waitForLog("Discord can't be reached yet");
      await discord.listen(apiPort);
      await otto.waitForLog('Discord connected', 90_000);
      await discord.waitReady();
      const i = discord.interaction({ ...slash('help'), member: member(EVE) });
      await i.deferred;
      await discord.waitFor(
        (c) =>
          c.method === 'PATCH' &&
          c.path.includes(i.token) &&
          String(c.body['content']).includes('launch'),
        'the help reply',
      );
    } finally {
      expect(await otto.stop()).toBe(0);
      await discord.close();
    }
    expect(otto.log()).not.toContain('late-discord-token');
  });
});
