import { until } from '../support/standin-server.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { Conversation, textOf, tsOf } from '../support/slack-messages.js';
import {
  buttonPayload,
  slashPayload,
  SlackStandin,
  type ApiCall,
} from '../support/slack-standin.js';
import { docker } from '../support/testbed.js';
import { webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/** The first block of a message Otto posted for a command: who ran it, and what. */
const header = (call: ApiCall): string =>
  String((call.args['blocks'] as { elements?: { text: string }[] }[])[0]?.elements?.[0]?.text);

const ACCESS = {
  'slack:UALICE': 'deployer',
  'slack:UBOB': 'approver',
  'slack:UEVE': 'viewer',
  'slack-group:S0OPS': 'approver',
};

describe.skipIf(bed === null)('Slack over Socket Mode, with the real Bolt client', () => {
  if (!bed) return;
  const slack = new SlackStandin();
  const stack = (image: string, color: string) => ({
    services: { web: webService(image, { environment: { COLOR: color } }) },
  });
  const ws = workspace(
    bed,
    {
      deck: { compose: stack(bed.images.v1, 'blue') },
      hull: { compose: stack(bed.images.v1, 'grey') },
      hatch: {
        compose: stack(bed.images.v1, 'white'),
        extra: { approvals: { launch: 1, timeout: 1 } },
      },
    },
    undefined,
    {
      access: ACCESS,
      slack: {
        mode: 'socket',
        bot_token: '${SLACK_BOT_TOKEN}',
        app_token: '${SLACK_APP_TOKEN}',
        api_url: '${SLACK_API}',
      },
    },
  );
  let otto: OttoProcess;

  beforeAll(async () => {
    await slack.listen();
    slack.groups = { S0OPS: ['UCAROL'] };
    otto = startOtto(ws.config, ws.dir, {
      SLACK_BOT_TOKEN: 'xoxb-0000-secret-bot-token',
      SLACK_APP_TOKEN: 'xapp-1-secret-app-token',
      SLACK_API: slack.apiUrl,
    });
    await otto.waitForLog('Slack connected (Socket Mode)');
    await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
  });

  afterAll(async () => {
    const code = await otto.stop();
    await slack.close();
    for (const s of ['deck', 'hull']) await docker(bed, ['stack', 'rm', s]);
    expect(code).toBe(0);
    expect(otto.log()).not.toMatch(/xoxb-0000|xapp-1-secret/);
  });

  const slash = (text: string, user: string) =>
    slack.envelope('slash_commands', slashPayload(slack, text, user));

  it('acks /otto launch at once, then edits one message through the rollout to success', async () => {
    const talk = new Conversation(slack);
    const before = slack.callsOf('chat.postMessage').length;
    await slash('launch deck', 'UALICE');
    // Acked before anything was posted: the ack does not wait for the command's work.
    const postsAtAck = slack.callsOf('chat.postMessage').length;
    expect(postsAtAck).toBe(before);
    const first = await talk.posted('/otto launch deck');
    expect(slack.callsOf('chat.postMessage').indexOf(first)).toBeGreaterThanOrEqual(postsAtAck);
    const ts = tsOf(first);
    const done = await talk.drawn(ts, 'deck v1 is in orbit');
    expect(textOf(done)).toContain('web');
    expect(textOf(done)).toContain('2/2 running');
    // One message for the whole rollout: every later state is an edit of it.
    const mine = slack
      .callsOf('chat.postMessage')
      .filter((c) => textOf(c).includes('/otto launch deck'));
    expect(mine).toHaveLength(1);
    const history = talk.history(ts);
    expect(history.length).toBeGreaterThan(1);
    expect(history.slice(1).every((c) => c.method === 'chat.update')).toBe(true);
    // Coalesced: edits of one message are about a second apart, at least.
    for (let i = 1; i < history.length; i++) {
      expect(history[i]!.at - history[i - 1]!.at).toBeGreaterThanOrEqual(900);
    }
    // Progress showed the stages before the result.
    expect(history.some((c) => textOf(c).includes('Waiting for every service'))).toBe(true);
    expect(
      rows(ws.dir, "select actor, platform, channel from audit where command = 'launch deck'"),
    ).toEqual([{ actor: 'slack:UALICE', platform: 'slack', channel: 'slack:C0OPS' }]);
  });

  it('puts a failed launch and its last log lines in the message and its thread', async () => {
    const talk = new Conversation(slack);
    await slash('launch hull', 'UALICE');
    await talk.drawn(tsOf(await talk.posted('/otto launch hull')), 'hull v1 is in orbit');
    ws.writeStack('hull', {
      services: {
        web: { image: bed.images.v2, command: ['sh', '-c', 'echo hull breach; exit 3'] },
      },
    });
    talk.mark();
    await slash('launch hull', 'UALICE');
    const first = await talk.posted('/otto launch hull');
    const ts = tsOf(first);
    const failed = await talk.drawn(ts, 'Launch of hull v2 failed');
    expect(textOf(failed)).toContain('[Logs]');
    expect(textOf(failed)).toContain('[Roll back]');
    await slack.waitFor(
      (c) => c.method === 'chat.postMessage' && c.args['thread_ts'] === ts,
      'thread details',
    );
    const details = talk.thread(ts);
    expect(details).toHaveLength(1);
    expect(textOf(details[0]!)).toContain('Last log lines');
    expect(textOf(details[0]!)).toContain('hull breach');
  });

  it('refuses a viewer, in words that say what to ask for', async () => {
    const talk = new Conversation(slack);
    await slash('launch deck', 'UEVE');
    const refused = await talk.posted('/otto launch deck');
    expect(textOf(refused)).toContain('⛔');
    expect(textOf(refused)).toMatch(/deployer/);
  });

  it('asks for approval with buttons, refuses self-approval, and marks the request approved by the presser', async () => {
    ws.writeStack('deck', stack(bed.images.v2, 'green'));
    const talk = new Conversation(slack);
    await slash('launch deck', 'UALICE');
    await talk.drawn(tsOf(await talk.posted('/otto launch deck')), 'deck v2 is in orbit');
    talk.mark();
    await slash('rollback deck', 'UALICE');
    const request = await talk.posted('Return to base?');
    expect(textOf(request)).toContain('[Approve]');
    expect(textOf(request)).toContain('[Deny]');
    const ts = tsOf(request);

    await slack.envelope('interactive', buttonPayload(slack, request, 'Approve', 'UALICE'));
    const self = await talk.posted('pressed Approve');
    expect(textOf(self)).toContain('⛔');

    talk.mark();
    await slack.envelope('interactive', buttonPayload(slack, request, 'Approve', 'UBOB'));
    const card = await talk.drawn(ts, 'Approved by <@UBOB>');
    expect(textOf(card)).not.toContain('[Approve]');
    const rollout = await talk.posted('pressed Approve');
    await talk.drawn(
      tsOf(rollout),
      "Back at base! deck runs v1's configuration again, launched as v3",
    );
    expect(
      rows(
        ws.dir,
        "select version, status, rollback_of, actor from deployments where fleet = 'deck' order by version",
      ),
    ).toEqual([
      { version: 1, status: 'succeeded', rollback_of: null, actor: 'slack:UALICE' },
      { version: 2, status: 'succeeded', rollback_of: null, actor: 'slack:UALICE' },
      { version: 3, status: 'succeeded', rollback_of: 1, actor: 'slack:UALICE' },
    ]);
  });

  it('lets a member of an approver user group deny a request, and draws who denied it', async () => {
    const talk = new Conversation(slack);
    await slash('rollback deck 2', 'UALICE');
    const request = await talk.posted('Return to base?');
    await slack.envelope('interactive', buttonPayload(slack, request, 'Deny', 'UCAROL'));
    const card = await talk.drawn(tsOf(request), 'Denied by <@UCAROL>');
    expect(textOf(card)).toContain('[Ask again]');
    expect(
      rows(ws.dir, 'select status, decided_by from approvals order by id desc limit 1'),
    ).toEqual([{ status: 'denied', decided_by: 'slack:UCAROL' }]);
  });

  it('marks a request expired on its message, with a button to ask again', async () => {
    const talk = new Conversation(slack);
    await slash('launch hatch', 'UALICE');
    const request = await talk.posted('Launch hatch?');
    const card = await talk.drawn(tsOf(request), 'expired at');
    expect(textOf(card)).not.toContain('[Approve]');
    expect(textOf(card)).toContain('[Ask again]');
  });

  it('draws a request approved by a typed command onto the request message', async () => {
    const talk = new Conversation(slack);
    await slash('rollback deck 2', 'UALICE');
    const request = await talk.posted('Return to base?');
    const id = /#(\d+) by/.exec(textOf(request))?.[1];
    expect(id).toBeDefined();
    await slash(`approve ${id}`, 'UBOB');
    await talk.drawn(tsOf(request), 'Approved by <@UBOB>');
    const rollout = await talk.posted(`/otto approve ${id}`);
    await talk.drawn(tsOf(rollout), 'Back at base!');
  });

  it('waits out a 429 during a rollout and still writes every state once', async () => {
    ws.writeStack('deck', stack(bed.images.v1, 'violet'));
    slack.failNext('chat.update', { status: 429, retryAfter: 1 });
    const talk = new Conversation(slack);
    await slash('launch deck', 'UALICE');
    const first = await talk.posted('/otto launch deck');
    await talk.drawn(tsOf(first), 'is in orbit');
    expect(slack.calls.some((c) => c.method === 'chat.update!429')).toBe(true);
    const posts = slack
      .callsOf('chat.postMessage')
      .filter(
        (c) =>
          slack.calls.indexOf(c) >= slack.calls.indexOf(first) &&
          textOf(c).includes('/otto launch deck'),
      );
    expect(posts).toHaveLength(1);
    const limited = slack.calls.find((c) => c.method === 'chat.update!429')!;
    const next = slack.calls.find((c) => c.method === 'chat.update' && c.at >= limited.at);
    expect(next!.at - limited.at).toBeGreaterThanOrEqual(950);
  });

  it('answers privately, with a hint to invite Otto, in a channel Otto is not in', async () => {
    slack.outside.add('C0LOUNGE');
    const before = slack.responses.length;
    await slack.envelope('slash_commands', slashPayload(slack, 'fleets', 'UEVE', 'C0LOUNGE'));
    for (let i = 0; i < 200 && slack.responses.length === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [answer] = slack.responses.slice(before);
    expect(answer?.args['response_type']).toBe('ephemeral');
    expect(JSON.stringify(answer?.args['blocks'])).toContain('/invite @Otto');
    expect(JSON.stringify(answer?.args['blocks'])).toContain('deck');
  });

  it('answers an over-long or unreadable command with the usage', async () => {
    const talk = new Conversation(slack);
    await slash(`status ${'x'.repeat(2100)}`, 'UEVE');
    const long = await talk.posted('Otto reads at most 2000');
    expect(header(long)).toMatch(/^<@UEVE> · \/otto status x{190,200}…$/);

    const before = slack.responses.length;
    await slack.envelope('slash_commands', {
      ...slashPayload(slack, 'status', 'UEVE'),
      user_id: 'not a user id',
    });
    const end = Date.now() + 60_000;
    while (slack.responses.length === before && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const [answer] = slack.responses.slice(before);
    expect(answer?.args['response_type']).toBe('ephemeral');
    expect(JSON.stringify(answer?.args['blocks'])).toContain(
      'Otto could not read that command. Usage: /otto',
    );
  });

  it('echoes typed text in the header without pinging anyone it names', async () => {
    const talk = new Conversation(slack);
    await slash('status deck slack:UBOB slack:C0SECRET', 'UEVE');
    const echoed = header(await talk.posted('/otto status deck'));
    expect(echoed).toMatch(/^<@UEVE> · /);
    expect(echoed).not.toMatch(/<@UBOB>|<#C0SECRET>/);
    expect(echoed.replace(/\u2060/g, '')).toContain('status deck slack:UBOB slack:C0SECRET');
  });

  it('reconnects by itself when the Socket Mode connection drops', async () => {
    slack.dropSocket();
    await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
    const talk = new Conversation(slack);
    await slash('status deck', 'UEVE');
    expect(textOf(await talk.posted('/otto status deck'))).toContain('deck');
  });

  it('never shows tokens or stack traces in Slack', () => {
    // Only the Web API's own auth carries a token (auth.test sends it as Slack asks).
    const all = JSON.stringify(slack.calls.map(({ args: { token: _token, ...rest } }) => rest));
    expect(all).not.toMatch(/xoxb-0000|xapp-1-secret|at .*\.m?js:\d+/);
  });
});
