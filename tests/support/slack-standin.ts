import { createHmac } from 'node:crypto';
import { Agent, request, type IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { readBody, StandinServer, waitForCall, type Answer } from './standin-server.js';

/** One Web API call Otto made, with its arguments decoded (`blocks` parsed from JSON). */
export interface ApiCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  /** What the stand-in answered (a posted message's `ts` is here). */
  readonly result: Record<string, unknown>;
  readonly at: number;
}

interface Failure {
  readonly status: number;
  readonly retryAfter?: number;
  readonly error?: string;
}

function decode(body: string, type: string | undefined): Record<string, unknown> {
  const args: Record<string, unknown> = type?.includes('json')
    ? (JSON.parse(body || '{}') as Record<string, unknown>)
    : Object.fromEntries(new URLSearchParams(body));
  for (const k of ['blocks', 'attachments']) {
    if (typeof args[k] === 'string') args[k] = JSON.parse(args[k]);
  }
  return args;
}

/**
 * A local stand-in for Slack: the Web API (`/api/<method>`, form-encoded POSTs as
 * the Bolt client sends them), Socket Mode's WebSocket (`/socket`: hello, then
 * envelopes the client acks by envelope_id), and response URLs (`/respond/<n>`).
 */
export class SlackStandin {
  readonly calls: ApiCall[] = [];
  readonly responses: { readonly path: string; readonly args: Record<string, unknown> }[] = [];
  /** User group id → member user ids, for usergroups.list. */
  groups: Record<string, string[]> = {};
  /** Channels Otto is not in: chat.postMessage answers not_in_channel. */
  readonly outside = new Set<string>();
  private readonly failures = new Map<string, Failure[]>();
  private readonly server: StandinServer;
  private socket: WebSocket | undefined;
  private readonly acks = new Map<string, (at: number) => void>();
  private nextTs = 1_700_000_000;
  private nextEnvelope = 1;
  private pinger: NodeJS.Timeout | undefined;
  port = 0;
  /** The address it listens on (and hands out in URLs). */
  host = '127.0.0.1';

  constructor() {
    this.server = new StandinServer((req) => this.handle(req), '/socket');
    this.server.wss.on('connection', (ws) => {
      this.socket = ws;
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { envelope_id?: string };
        if (msg.envelope_id) this.acks.get(msg.envelope_id)?.(performance.now());
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info: { host: 'standin', approximate_connection_time: 18060 },
          connection_info: { app_id: 'A0OTTO' },
        }),
      );
    });
    // Slack pings its Socket Mode clients; the client reconnects when pings stop.
    this.pinger = setInterval(() => this.socket?.ping(), 5_000);
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<void> {
    this.host = host;
    await this.server.listen(port, host);
    this.port = this.server.port;
  }

  get apiUrl(): string {
    return `http://${this.host}:${this.port}/api/`;
  }

  /** The next `times` calls of `method` fail this way (a 429 with Retry-After, or a 500). */
  failNext(method: string, failure: Failure, times = 1): void {
    this.failures.set(method, [
      ...(this.failures.get(method) ?? []),
      ...Array<Failure>(times).fill(failure),
    ]);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves when a call matching `test` has been made (polls; gives up after `ms`). */
  waitFor(test: (c: ApiCall) => boolean, what: string, ms = 120_000): Promise<ApiCall> {
    return waitForCall(
      this.calls,
      test,
      what,
      ms,
      (c) => `${c.method} ${JSON.stringify(c.args).slice(0, 300)}`,
    );
  }

  /** True once a Socket Mode client is connected. */
  get connected(): boolean {
    return this.socket?.readyState === 1;
  }

  /** Sends an envelope over Socket Mode; resolves with the ms until the client acked it. */
  envelope(type: 'slash_commands' | 'interactive', payload: object): Promise<number> {
    const ws = this.socket;
    if (!ws) throw new Error('no Socket Mode client is connected');
    const id = `env-${this.nextEnvelope++}`;
    const sent = performance.now();
    return new Promise((resolve) => {
      this.acks.set(id, (at) => resolve(at - sent));
      ws.send(
        JSON.stringify({
          envelope_id: id,
          type,
          payload,
          accepts_response_payload: type === 'slash_commands',
        }),
      );
    });
  }

  /** Drops the Socket Mode connection, as Slack does when it refreshes one. */
  dropSocket(): void {
    this.socket?.terminate();
  }

  close(): Promise<void> {
    clearInterval(this.pinger);
    return this.server.close();
  }

  private async handle(req: IncomingMessage): Promise<Answer> {
    const body = (await readBody(req)).toString('utf8');
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path.startsWith('/respond/')) {
      this.responses.push({ path, args: decode(body, req.headers['content-type']) });
      return { status: 200, body: { ok: true } };
    }
    const method = path.replace(/^\/api\//, '');
    const args = decode(body, req.headers['content-type']);
    const failure = this.failures.get(method)?.shift();
    if (failure) {
      this.calls.push({ method: `${method}!${failure.status}`, args, result: {}, at: Date.now() });
      return {
        status: failure.status,
        body: { ok: false, error: failure.error ?? 'ratelimited' },
        headers:
          failure.retryAfter !== undefined
            ? { 'retry-after': String(failure.retryAfter) }
            : undefined,
      };
    }
    const result = this.answer(method, args) as Record<string, unknown>;
    this.calls.push({ method, args, result, at: Date.now() });
    return { status: 200, body: result };
  }

  private answer(method: string, args: Record<string, unknown>): object {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://otto.slack.test/',
          team: 'Otternauts',
          user: 'otto',
          team_id: 'T0OTTO',
          user_id: 'U0OTTO',
          bot_id: 'B0OTTO',
        };
      case 'apps.connections.open':
        return { ok: true, url: `ws://${this.host}:${this.port}/socket` };
      case 'chat.postMessage': {
        const channel = String(args['channel']);
        if (this.outside.has(channel)) return { ok: false, error: 'not_in_channel' };
        return { ok: true, channel, ts: `${this.nextTs++}.000100`, message: {} };
      }
      case 'chat.update':
        return { ok: true, channel: args['channel'], ts: args['ts'] };
      case 'usergroups.list':
        return {
          ok: true,
          usergroups: Object.entries(this.groups).map(([id, users]) => ({ id, users })),
        };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

/** Slack's request signature: `v0=` + HMAC-SHA256(secret, `v0:<ts>:<body>`). */
export function sign(secret: string, ts: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 50 });

/** POSTs a request to Otto's HTTP endpoint the way Slack does; resolves with the status and ms to answer. */
export async function postToOtto(
  url: string,
  body: string,
  opts: { secret: string; ts?: number; signature?: string; retryNum?: number },
): Promise<{ status: number; ms: number; text: string }> {
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const started = performance.now();
  // node:http with a keep-alive agent: light on the CPU, so a load of requests measures
  // Otto rather than the client.
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: keepAlive,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': opts.signature ?? sign(opts.secret, ts, body),
          ...(opts.retryNum !== undefined
            ? { 'x-slack-retry-num': String(opts.retryNum), 'x-slack-retry-reason': 'http_timeout' }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let triggers = 0;

/** A slash command's fields, as Slack documents them. */
export function slashPayload(
  standin: SlackStandin,
  text: string,
  user: string,
  channel = 'C0OPS',
): Record<string, string> {
  const n = ++triggers;
  return {
    token: 'legacy-verification-token',
    team_id: 'T0OTTO',
    team_domain: 'otternauts',
    channel_id: channel,
    channel_name: 'ops',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/otto',
    text,
    api_app_id: 'A0OTTO',
    is_enterprise_install: 'false',
    response_url: `http://127.0.0.1:${standin.port}/respond/${n}`,
    trigger_id: `${n}.1.trigger${Date.now()}`,
  };
}

/** A block_actions payload for pressing a button of a message Otto posted. */
export function buttonPayload(
  standin: SlackStandin,
  message: ApiCall,
  label: string,
  user: string,
): Record<string, unknown> {
  const n = ++triggers;
  const blocks = (message.args['blocks'] ?? []) as {
    type: string;
    block_id?: string;
    elements?: { action_id: string; text: { text: string }; value: string }[];
  }[];
  const button = blocks
    .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
    .find((e) => e.text.text === label);
  if (!button) throw new Error(`no ${label} button on that message`);
  const channel = String(message.args['channel']);
  const ts = String(message.result['ts'] ?? message.args['ts'] ?? '');
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0OTTO' },
    api_app_id: 'A0OTTO',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
    trigger_id: `${n}.1.trigger${Date.now()}`,
    team: { id: 'T0OTTO', domain: 'otternauts' },
    channel: { id: channel, name: 'ops' },
    message: { type: 'message', ts, text: String(message.args['text'] ?? ''), blocks },
    response_url: `http://127.0.0.1:${standin.port}/respond/${n}`,
    actions: [
      {
        action_id: button.action_id,
        block_id: 'b1',
        text: { type: 'plain_text', text: label },
        value: button.value,
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}
