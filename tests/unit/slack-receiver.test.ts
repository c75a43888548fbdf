import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { App, ReceiverEvent } from '@slack/bolt';
import {
  BODY_LIMIT,
  checkSignature,
  HEADERS_TIMEOUT_MS,
  isSslCheck,
  MAX_CONNECTIONS,
  parseBody,
  readLimited,
  REQUEST_TIMEOUT_MS,
  SlackReceiver,
} from '../../src/adapters/slack/receiver.js';
import { toBlocks } from '../../src/adapters/slack/blocks.js';
import { alertMessage } from '../../src/commands/alert-text.js';
import type { Incident } from '../../src/store/db.js';

const SECRET = 'test-signing-secret';
const NOW = Date.parse('2025-01-01T10:00:00Z');
const FORM = 'application/x-www-form-urlencoded';

function signed(body: string, ts = Math.floor(NOW / 1000), secret = SECRET) {
  return {
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`,
  };
}

describe('Slack request signatures', () => {
  const body = 'command=%2Fotto&text=status';
  const check = (headers: Record<string, string>, b = body) =>
    checkSignature(SECRET, headers, Buffer.from(b), NOW);

  it('takes a request Slack signed within five minutes either way', () => {
    expect(check(signed(body))).toBeUndefined();
    expect(check(signed(body, NOW / 1000 - 299))).toBeUndefined();
    expect(check(signed(body, NOW / 1000 + 299))).toBeUndefined();
  });

  it('refuses timestamps more than five minutes away, in the past and in the future', () => {
    expect(check(signed(body, NOW / 1000 - 6 * 60))).toBe('outside_window');
    expect(check(signed(body, NOW / 1000 + 6 * 60))).toBe('outside_window');
  });

  it('refuses a wrong secret, a changed body, and missing or odd headers', () => {
    expect(check(signed(body, NOW / 1000, 'another-secret'))).toBe('bad_signature');
    expect(check(signed(body), `${body}&user_id=UADMIN`)).toBe('bad_signature');
    expect(check({ ...signed(body), 'x-slack-signature': 'v0=short' })).toBe('bad_signature');
    expect(check({})).toBe('unsigned');
    expect(check({ ...signed(body), 'x-slack-request-timestamp': '1e9' })).toBe('unsigned');
  });
});

describe('Slack request bodies', () => {
  it('reads slash commands, button presses and events as Bolt does', () => {
    expect(parseBody(Buffer.from('command=%2Fotto&text=launch+web'), FORM)).toMatchObject({
      command: '/otto',
      text: 'launch web',
    });
    const payload = encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [] }));
    expect(parseBody(Buffer.from(`payload=${payload}`), `${FORM}; charset=utf-8`)).toEqual({
      type: 'block_actions',
      actions: [],
    });
    expect(parseBody(Buffer.from('{"type":"event_callback"}'), 'application/json')).toEqual({
      type: 'event_callback',
    });
    expect(() => parseBody(Buffer.from('payload=%7Bnope'), FORM)).toThrow();
    expect(() => parseBody(Buffer.from('[1]'), 'application/json')).toThrow();
  });

  it("knows Slack's ssl_check, which is not signed", () => {
    expect(isSslCheck(Buffer.from('ssl_check=1&token=x'), FORM)).toBe(true);
    expect(isSslCheck(Buffer.from('ssl_check=1'), 'application/json')).toBe(false);
    expect(isSslCheck(Buffer.from('text=ssl_check%3D1'), FORM)).toBe(false);
  });
});

function request(headers: Record<string, string> = {}) {
  const stream = new PassThrough();
  return { stream, req: Object.assign(stream, { headers }) as unknown as IncomingMessage };
}

describe('reading a body up to the limit', () => {
  it('reads a body within the limit', async () => {
    const { stream, req } = request();
    const read = readLimited(req, 10);
    stream.end(Buffer.from('0123456789'));
    expect((await read)?.toString()).toBe('0123456789');
  });

  it('refuses a larger Content-Length before reading anything', async () => {
    const { stream, req } = request({ 'content-length': String(BODY_LIMIT + 1) });
    expect(await readLimited(req, BODY_LIMIT)).toBeUndefined();
    expect(stream.readableFlowing).toBeNull();
  });

  it('stops at the limit when the body is longer than announced, or not announced', async () => {
    const { stream, req } = request();
    const read = readLimited(req, 10);
    stream.write(Buffer.from('0123456'));
    stream.write(Buffer.from('789ab'));
    // Resolved although the body never ended: nothing waits for (or keeps) the rest.
    expect(await read).toBeUndefined();
  });

  it('fails when the client goes away mid-body', async () => {
    const { stream, req } = request();
    const read = readLimited(req, 10);
    stream.write(Buffer.from('01'));
    stream.destroy();
    await expect(read).rejects.toThrow();
  });
});

/** The block_actions request Slack sends when a button of `message` is pressed, form-encoded. */
function pressOn(message: ReturnType<typeof toBlocks>): number {
  const payload = {
    type: 'block_actions',
    user: { id: 'U0123456789', username: 'someone', name: 'someone', team_id: 'T0123456' },
    api_app_id: 'A0123456',
    token: 'x'.repeat(24),
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0123456' },
    trigger_id: '1234567890.123456789.0123456789abcdef0123456789abcdef',
    team: { id: 'T0123456', domain: 'otternauts' },
    channel: { id: 'C0123456', name: 'ops' },
    message: {
      type: 'message',
      ts: '1700000000.000100',
      text: message.text,
      blocks: message.blocks.map((b, i) => ({ ...b, block_id: `b${i}XyZ1` })),
    },
    response_url: 'https://hooks.slack.com/actions/T0123456/1234567890/abcdefabcdefabcdefabcdef',
    actions: [{ action_id: 'otto:1', block_id: 'b9XyZ1', value: 'rollback web', type: 'button' }],
  };
  return Buffer.byteLength(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
}

describe('the body limit', () => {
  const incident: Incident = {
    id: 1,
    subject: 'service:prod/web_api',
    kind: 'service',
    cluster: 'production-eu-west',
    fleet: 'web',
    service: 'api',
    state: 'crash_looping',
    reason: `exits with code 1: ${'x'.repeat(500)}`,
    openedAt: '2025-01-01T09:00:00Z',
    updatedAt: '2025-01-01T09:55:00Z',
    remindedAt: '2025-01-01T09:55:00Z',
    resolvedAt: null,
    refs: '{}',
  };
  const alertWith = (line: string) =>
    toBlocks(
      alertMessage(
        { incident, replicas: '0/2 running', kind: 'exit_code', logs: Array(10).fill(line) },
        NOW,
      ),
    );
  const long = (unit: string) => unit.repeat(Math.ceil(2000 / unit.length)).slice(0, 2000);

  it("holds a press on Otto's largest message with buttons: an alert with 10 long log lines", () => {
    const plain = pressOn(alertWith(long('connection refused ')));
    const json = pressOn(alertWith(long('{"level":"error","msg":"upstream","path":"/v1/x"} ')));
    // Every character 9 bytes once encoded: the most any log line can cost.
    const worst = pressOn(alertWith(long('€')));
    expect(plain).toBeLessThan(40 * 1024);
    expect(json).toBeLessThan(80 * 1024);
    expect(worst).toBeGreaterThan(json);
    expect(worst).toBeLessThan(BODY_LIMIT * 0.8);
  });
});

describe('the receiver', () => {
  it('caps connections and times, refuses the future, and hands a signed request to Bolt once', async () => {
    const events: ReceiverEvent[] = [];
    const ids = new Set<string>();
    const log: string[] = [];
    const receiver = new SlackReceiver({
      signingSecret: SECRET,
      host: '127.0.0.1',
      port: 0,
      seen: { first: async (id) => !ids.has(id) && !!ids.add(id) },
      log: (m) => log.push(m),
      now: () => NOW,
    });
    const app = {
      processEvent: async (e: ReceiverEvent) => {
        events.push(e);
        await e.ack();
      },
    };
    receiver.init(app as unknown as App);
    const server = await receiver.start();
    try {
      expect(server.maxConnections).toBe(MAX_CONNECTIONS);
      expect(server.headersTimeout).toBe(HEADERS_TIMEOUT_MS);
      expect(server.requestTimeout).toBe(REQUEST_TIMEOUT_MS);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
      const body = 'command=%2Fotto&text=status&trigger_id=1.2';
      const post = (headers: Record<string, string>, path = url) =>
        fetch(path, { method: 'POST', body, headers: { 'content-type': FORM, ...headers } });

      expect((await post(signed(body))).status).toBe(200);
      expect(events.map((e) => e.body['text'])).toEqual(['status']);
      expect((await post(signed(body))).status).toBe(200);
      expect(events).toHaveLength(1);
      expect(log).toEqual(['otto: dropped a signed Slack request that already ran (a replay).']);
      expect((await post(signed(body, NOW / 1000 + 6 * 60))).status).toBe(401);
      expect((await post(signed(body), url.replace('/slack/events', '/other'))).status).toBe(404);
      expect(events).toHaveLength(1);
    } finally {
      await receiver.stop();
    }
  });
});
