import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { Conversation, textOf, tsOf } from '../support/slack-messages.js';
import { buttonPayload, postToOtto, slashPayload, SlackStandin } from '../support/slack-standin.js';
import { docker, freePort } from '../support/testbed.js';
import { slowStack, webService, workspace, type Workspace } from '../support/workspace.js';

const bed = inject('testbed');
const SECRET = 'test-signing-secret-8f2a';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe.skipIf(bed === null)('Slack over signed HTTP requests', () => {
  if (!bed) return;
  const slack = new SlackStandin();
  let otto: OttoProcess;
  let url = '';
  let ws: Workspace;

  beforeAll(async () => {
    await slack.listen();
    const port = await freePort();
    url = `http://127.0.0.1:${port}/slack/events`;
    ws = workspace(
      bed,
      {
        bay: { compose: { services: { web: webService(bed.images.v1) } } },
        gate: {
          compose: { services: { web: webService(bed.images.v1) } },
          extra: { approvals: { launch: 1 } },
        },
      },
      undefined,
      {
        access: { 'slack:UALICE': 'deployer', 'slack:UBOB': 'approver' },
        slack: {
          mode: 'http',
          bot_token: '${SLACK_BOT_TOKEN}',
          signing_secret: '${SLACK_SIGNING_SECRET}',
          port,
          api_url: '${SLACK_API}',
        },
      },
    );
    otto = startOtto(ws.config, ws.dir, {
      SLACK_BOT_TOKEN: 'xoxb-0000-secret-bot-token',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API: slack.apiUrl,
    });
    await otto.waitForLog('Slack connected (HTTP');
  });

  afterAll(async () => {
    expect(await otto.stop()).toBe(0);
    await slack.close();
    for (const s of ['bay', 'gate']) await docker(bed, ['stack', 'rm', s]);
  });

  it("answers Slack's ssl_check", async () => {
    const r = await postToOtto(url, form({ ssl_check: '1', token: 'x' }), {
      secret: SECRET,
      signature: 'v0=none',
    });
    expect(r.status).toBe(200);
  });

  it('refuses a request with a bad signature, and one older than five minutes, with 401', async () => {
    const before = slack.calls.length;
    const body = form(slashPayload(slack, 'launch bay', 'UALICE'));
    const forged = await postToOtto(url, body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await postToOtto(url, body, {
      secret: SECRET,
      ts: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 1500));
    expect(slack.calls.slice(before).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
  });

  it('acks a launch before it runs, and runs a retried delivery only once', async () => {
    const talk = new Conversation(slack);
    const body = form(slashPayload(slack, 'launch bay', 'UALICE'));
    const acked = await postToOtto(url, body, { secret: SECRET });
    expect(acked.status).toBe(200);
    // The ack came back before the launch had even reached the Swarm.
    expect(slack.calls.some((c) => textOf(c).includes('bay v1 is in orbit'))).toBe(false);
    const retried = await postToOtto(url, body, { secret: SECRET, retryNum: 1 });
    expect(retried.status).toBe(200);
    const first = await talk.posted('/otto launch bay');
    await talk.drawn(tsOf(first), 'bay v1 is in orbit');
    expect(
      slack.callsOf('chat.postMessage').filter((c) => textOf(c).includes('/otto launch bay')),
    ).toHaveLength(1);
    expect(rows(ws.dir, "select count(*) as n from deployments where fleet = 'bay'")).toEqual([
      { n: 1 },
    ]);
  });

  it('takes Deny and Approve as block_actions, and draws each decision on its request', async () => {
    const talk = new Conversation(slack);
    await postToOtto(url, form(slashPayload(slack, 'launch gate', 'UALICE')), { secret: SECRET });
    const denied = await talk.posted('Launch gate?');
    const press = (msg: typeof denied, label: string, user: string) =>
      postToOtto(url, form({ payload: JSON.stringify(buttonPayload(slack, msg, label, user)) }), {
        secret: SECRET,
      });
    expect((await press(denied, 'Deny', 'UBOB')).status).toBe(200);
    await talk.drawn(tsOf(denied), 'Denied by <@UBOB>');

    talk.mark();
    await postToOtto(url, form(slashPayload(slack, 'launch gate', 'UALICE')), { secret: SECRET });
    const request = await talk.posted('Launch gate?');
    expect((await press(request, 'Approve', 'UBOB')).status).toBe(200);
    await talk.drawn(tsOf(request), 'Approved by <@UBOB>');
    const rollout = await talk.posted('pressed Approve');
    await talk.drawn(tsOf(rollout), 'gate v1 is in orbit');
    expect(
      rows(ws.dir, "select status, decided_by from approvals where fleet = 'gate' order by id"),
    ).toEqual([
      { status: 'denied', decided_by: 'slack:UBOB' },
      { status: 'approved', decided_by: 'slack:UBOB' },
    ]);
  });
});

describe.skipIf(bed === null)('Slack that cannot be reached at start', () => {
  if (!bed) return;

  it('keeps trying with backoff, says so in the log, and serves once Slack answers', async () => {
    const apiPort = await freePort();
    const ws = workspace(bed, {}, undefined, {
      access: { 'slack:UALICE': 'viewer' },
      slack: {
        bot_token: 'xoxb-1-late',
        app_token: 'xapp-1-late',
        api_url: `http://127.0.0.1:${apiPort}/api/`,
      },
    });
    const otto = startOtto(ws.config, ws.dir);
    const slack = new SlackStandin();
    try {
      await otto.waitForLog("Slack can't be reached yet");
      await slack.listen(apiPort);
      await otto.waitForLog('Slack connected (Socket Mode)', 90_000);
      while (!slack.connected) await new Promise((r) => setTimeout(r, 20));
      const talk = new Conversation(slack);
      await slack.envelope('slash_commands', slashPayload(slack, 'help', 'UALICE'));
      expect(textOf(await talk.posted('/otto help'))).toContain('launch');
    } finally {
      expect(await otto.stop()).toBe(0);
      await slack.close();
    }
    expect(otto.log()).not.toContain('xoxb-1-late');
  });
});

describe.skipIf(bed === null)('Otto stopped while a Slack launch runs', () => {
  if (!bed) return;

  it('says so in the launch message, records the launch interrupted and leaves no lock', async () => {
    const ws = workspace(
      bed,
      { drift: { compose: slowStack(bed.images.v1), converge_timeout: 120 } },
      undefined,
      {
        access: { 'slack:UALICE': 'deployer' },
        slack: { bot_token: 'xoxb-1-stop', app_token: 'xapp-1-stop', api_url: '${SLACK_API}' },
      },
    );
    const slack = new SlackStandin();
    await slack.listen();
    const otto = startOtto(ws.config, ws.dir, { SLACK_API: slack.apiUrl });
    try {
      await otto.waitForLog('Slack connected');
      while (!slack.connected) await new Promise((r) => setTimeout(r, 20));
      const talk = new Conversation(slack);
      await slack.envelope('slash_commands', slashPayload(slack, 'launch drift', 'UALICE'));
      const message = await talk.posted('/otto launch drift');
      await talk.drawn(tsOf(message), 'Waiting for every service');
      expect(await otto.stop()).toBe(0);
      const last = talk.history(tsOf(message)).at(-1)!;
      expect(textOf(last)).toContain('Otto received SIGTERM and stopped');
      expect(rows(ws.dir, "select status from deployments where fleet = 'drift'")).toEqual([
        { status: 'interrupted' },
      ]);
      expect(rows(ws.dir, 'select * from locks')).toEqual([]);
    } finally {
      await slack.close();
      await docker(bed, ['stack', 'rm', 'drift']);
    }
  });
});
