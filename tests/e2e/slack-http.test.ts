import { until } from '../support/standin-server.js';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { Conversation, textOf, tsOf } from '../support/slack-messages.js';
import {
  buttonPayload,
  postToOtto,
  sign,
  slashPayload,
  SlackStandin,
} from '../support/slack-standin.js';
import { docker, freePort } from '../support/testbed.js';
import { slowStack, webService, workspace, type Workspace } from '../support/workspace.js';

const bed = inject('testbed');
const SECRET = 'test-signing-secret-8f2a';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/**
 * Opens a connection, sends `data` and then nothing more. Resolves with what Otto
 * answered once it closes the connection; fails if it is still open after `ms`.
 */
function stall(port: number, data: string, ms = 40_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', () => {}); // a reset is a close too
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`Otto kept a stalled connection open for ${ms} ms`));
    }, ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

/**
 * POSTs an unsigned body of `bytes` in 16 KB chunks, announced by Content-Length or
 * not, and never ends it. Resolves with the status Otto answered meanwhile.
 */
function sendLarge(url: string, bytes: number, announce: boolean, ms = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`Otto did not answer a ${bytes}-byte body within ${ms} ms`));
    }, ms);
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
        'x-slack-signature': 'v0=unsigned',
        ...(announce ? { 'content-length': String(bytes) } : {}),
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      clearTimeout(timer);
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', () => {}); // Otto closing the connection mid-body is expected
    const chunk = 'text='.padEnd(16 * 1024, 'a');
    void (async () => {
      for (let sent = 0; sent + chunk.length <= bytes && !answered && !req.destroyed;) {
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r).once('close', r));
      }
    })();
  });
}

/** An IPv4 address of this machine other than loopback, if it has one. */
const otherAddress = () =>
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** Resolves with the error code of a connection to `host:port` (undefined if it connected). */
const tryConnect = (host: string, port: number) =>
  new Promise<string | undefined>((resolve) => {
    const s = connect(port, host, () => {
      s.destroy();
      resolve(undefined);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });

describe.skipIf(bed === null)('Slack over signed HTTP requests', () => {
  if (!bed) return;
  const slack = new SlackStandin();
  let otto: OttoProcess;
  let url = '';
  let port = 0;
  let ws: Workspace;
  const start = async () => {
    otto = startOtto(ws.config, ws.dir, {
      SLACK_BOT_TOKEN: 'xoxb-0000-secret-bot-token',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API: slack.apiUrl,
    });
    await otto.waitForLog('Slack connected (HTTP');
  };

  beforeAll(async () => {
    await slack.listen();
    port = await freePort();
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
          host: '127.0.0.1',
          api_url: '${SLACK_API}',
        },
      },
    );
    await start();
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

  it('listens on slack.host only', async () => {
    expect(otto.log()).toContain(`HTTP on 127.0.0.1 port ${port}`);
    expect(await tryConnect('127.0.0.1', port)).toBeUndefined();
    const other = otherAddress();
    if (other) expect(await tryConnect(other, port)).toBe('ECONNREFUSED');
  });

  it('answers an over-size body with 413 before reading it all, and stays up', async () => {
    // Announced by Content-Length: refused before Otto reads any of it.
    expect(await sendLarge(url, 1024 * 1024, true)).toBe(413);
    // Not announced: refused at the limit, while the body is still being sent.
    expect(await sendLarge(url, 1024 * 1024, false)).toBe(413);
    await otto.waitForLog('refused a Slack request larger than');
    const ok = await postToOtto(url, form({ ssl_check: '1' }), { secret: SECRET, signature: 'x' });
    expect(ok.status).toBe(200);
  });

  it('cuts off a client that never finishes its headers or its body', async () => {
    const [headers, body] = await Promise.all([
      stall(port, 'POST /slack/events HTTP/1.1\r\nHost: otto\r\nX-Slack-Signature: v0='),
      stall(port, 'POST /slack/events HTTP/1.1\r\nHost: otto\r\nContent-Length: 100\r\n\r\ntext='),
    ]);
    expect(headers).toMatch(/^HTTP\/1\.1 408|^$/);
    expect(body).toMatch(/^HTTP\/1\.1 408|^$/);
  });

  it('refuses a request with a bad signature, and one older than five minutes, with 401', async () => {
    const before = slack.calls.length;
    const talk = new Conversation(slack);
    const body = form(slashPayload(slack, 'launch bay', 'UALICE'));
    const forged = await postToOtto(url, body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await postToOtto(url, body, {
      secret: SECRET,
      ts: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(stale.status).toBe(401);
    const future = await postToOtto(url, body, {
      secret: SECRET,
      ts: Math.floor(Date.now() / 1000) + 6 * 60,
    });
    expect(future.status).toBe(401);
    // A signed command sent after them is drawn: by then a refused one would have been too.
    await postToOtto(url, form(slashPayload(slack, 'fleets', 'UALICE')), { secret: SECRET });
    await talk.posted('/otto fleets');
    const posts = slack.callsOf('chat.postMessage').filter((c) => slack.calls.indexOf(c) >= before);
    expect(posts.map((c) => textOf(c).split('\n')[0])).toEqual([
      expect.stringContaining('/otto fleets'),
    ]);
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

  it('runs a signed request once, even when it is replayed after a restart', async () => {
    const talk = new Conversation(slack);
    const fields = slashPayload(slack, 'history bay', 'UALICE');
    const body = form(fields);
    const ts = Math.floor(Date.now() / 1000);
    expect((await postToOtto(url, body, { secret: SECRET, ts })).status).toBe(200);
    await talk.posted('/otto history bay');

    expect(await otto.stop()).toBe(0);
    await start();
    // The same request, byte for byte: acked, and dropped.
    expect((await postToOtto(url, body, { secret: SECRET, ts })).status).toBe(200);
    await otto.waitForLog('dropped a signed Slack request that already ran');
    // Signed anew (as Slack's own redelivery would be): its trigger id ran already.
    expect((await postToOtto(url, body, { secret: SECRET, ts: ts + 1 })).status).toBe(200);
    expect(sign(SECRET, ts + 1, body)).not.toBe(sign(SECRET, ts, body));
    // A later command is drawn, and still the first one ran only once.
    await postToOtto(url, form(slashPayload(slack, 'status bay', 'UALICE')), { secret: SECRET });
    await talk.posted('/otto status bay');
    expect(
      slack.callsOf('chat.postMessage').filter((c) => textOf(c).includes('/otto history bay')),
    ).toHaveLength(1);
    expect(rows(ws.dir, "select count(*) as n from audit where command = 'history bay'")).toEqual([
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
      await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
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
      await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
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
