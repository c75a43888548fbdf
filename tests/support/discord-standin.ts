import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { readBody, StandinServer, waitForCall, type Answer } from './standin-server.js';

export const APP_ID = '100000000000000001';
export const BOT_ID = '100000000000000002';
export const GUILD_ID = '100000000000000003';
export const CHANNEL_ID = '100000000000000004';
/** A server Otto was invited to that is not its home (`discord.guild_id`). */
export const OTHER_GUILD_ID = '100000000000000005';
const DM_CHANNEL_ID = '100000000000000006';

const BOT_USER = {
  id: BOT_ID,
  username: 'otto',
  discriminator: '0',
  global_name: null,
  avatar: null,
  bot: true,
};

/** One REST call Otto made: method, path (after /api/v10) and JSON body (payload_json for uploads). */
export interface RestCall {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** Names and text of attached files. */
  readonly files: { name: string; text: string }[];
  readonly at: number;
}

interface Message {
  id: string;
  channel_id: string;
  content: string;
  components: unknown[];
  attachments: { id: string; filename: string }[];
}

/** Snowflakes as Discord makes them: milliseconds since 2015 in the high bits, then a counter. */
let counter = 0n;
const nextId = () => String(((BigInt(Date.now()) - 1420070400000n) << 22n) + (++counter % 4096n));

/**
 * A local stand-in for Discord: the REST API under `/api/v10` (gateway/bot,
 * interaction callbacks, webhook edits of `@original`, channel message edits,
 * command registration) and the gateway WebSocket (HELLO, heartbeat ACKs, READY
 * after IDENTIFY, RESUMED after RESUME, then dispatches with increasing `s`).
 */
export class DiscordStandin {
  readonly calls: RestCall[] = [];
  /** Every gateway opcode Otto sent, in order (2 IDENTIFY, 6 RESUME, 1 heartbeat). */
  readonly gatewayOps: number[] = [];
  readonly messages = new Map<string, Message>();
  private readonly originals = new Map<string, string>();
  private readonly server: StandinServer;
  private socket: WebSocket | undefined;
  private seq = 0;
  private readonly sessionId = 'standin-session';
  private readonly callbacks = new Map<string, (at: number) => void>();
  private readonly failures: { test: RegExp; retryAfter: number }[] = [];
  port = 0;

  /** The next call whose `METHOD path` matches `test` gets a 429 asking to wait `retryAfter` seconds. */
  rateLimitNext(test: RegExp, retryAfter: number): void {
    this.failures.push({ test, retryAfter });
  }

  constructor() {
    this.server = new StandinServer((req) => this.handle(req), '/gateway');
    this.server.wss.on('connection', (ws) => {
      this.socket = ws;
      ws.on('message', (data) =>
        this.onGateway(ws, JSON.parse(String(data)) as { op: number; d: unknown }),
      );
      ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41250 } }));
    });
  }

  async listen(port = 0): Promise<void> {
    await this.server.listen(port);
    this.port = this.server.port;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** True once a client has identified (or resumed) on the current connection. */
  ready = false;

  async waitReady(ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.ready) {
      if (Date.now() > end) throw new Error('Discord stand-in: no client became ready');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves when a call matching `test` has been made. */
  waitFor(test: (c: RestCall) => boolean, what: string, ms = 120_000): Promise<RestCall> {
    return waitForCall(
      this.calls,
      test,
      what,
      ms,
      (c) => `${c.method} ${c.path} ${JSON.stringify(c.body).slice(0, 300)}`,
    );
  }

  /**
   * Sends an INTERACTION_CREATE. Resolves with the interaction's id and token, and
   * `deferred`: the ms from sending it to Otto's callback (defer or autocomplete answer).
   */
  interaction(d: Record<string, unknown>): {
    id: string;
    token: string;
    deferred: Promise<number>;
  } {
    const ws = this.socket;
    if (!ws || !this.ready) throw new Error('no gateway client is ready');
    const id = nextId();
    const token = `itoken-${id}`;
    const sent = performance.now();
    const deferred = new Promise<number>((resolve) =>
      this.callbacks.set(id, (at) => resolve(at - sent)),
    );
    ws.send(
      JSON.stringify({
        op: 0,
        t: 'INTERACTION_CREATE',
        s: ++this.seq,
        d: {
          id,
          token,
          application_id: APP_ID,
          version: 1,
          guild_id: GUILD_ID,
          channel_id: CHANNEL_ID,
          channel: { id: CHANNEL_ID, type: 0, guild_id: GUILD_ID, name: 'ops' },
          locale: 'en-US',
          guild_locale: 'en-US',
          app_permissions: '0',
          entitlements: [],
          authorizing_integration_owners: {},
          context: 0,
          ...d,
        },
      }),
    );
    return { id, token, deferred };
  }

  /** Asks the client to reconnect (op 7), as Discord does before it moves a session. */
  askReconnect(): void {
    this.ready = false;
    this.socket?.send(JSON.stringify({ op: 7, d: null }));
  }

  /** Drops the gateway connection without a word. */
  dropGateway(): void {
    this.ready = false;
    this.socket?.terminate();
  }

  /** The message a call edited or created, by its `@original` or channel route. */
  messageOf(call: RestCall): Message | undefined {
    const original = /^\/webhooks\/\d+\/([^/]+)\/messages\/(?:@|%40)original$/.exec(call.path);
    if (original) return this.messages.get(this.originals.get(original[1]!) ?? '');
    const channel = /^\/channels\/\d+\/messages\/(\d+)$/.exec(call.path);
    return channel ? this.messages.get(channel[1]!) : undefined;
  }

  /** The message id behind an interaction's reply. */
  originalOf(token: string): string | undefined {
    return this.originals.get(token);
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private onGateway(ws: WebSocket, msg: { op: number; d: unknown }): void {
    this.gatewayOps.push(msg.op);
    const dispatch = (t: string, d: unknown) =>
      ws.send(JSON.stringify({ op: 0, t, s: ++this.seq, d }));
    switch (msg.op) {
      case 1:
        ws.send(JSON.stringify({ op: 11 }));
        return;
      case 2:
        dispatch('READY', {
          v: 10,
          user: { ...BOT_USER, flags: 0 },
          guilds: [],
          session_id: this.sessionId,
          resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
          shard: [0, 1],
          application: { id: APP_ID, flags: 0 },
        });
        this.ready = true;
        return;
      case 6:
        dispatch('RESUMED', {});
        this.ready = true;
        return;
      default:
        return;
    }
  }

  private message(
    channel: string,
    body: Record<string, unknown>,
    files: RestCall['files'],
    id = nextId(),
  ): Message {
    const m: Message = {
      id,
      channel_id: channel,
      content: String(body['content'] ?? ''),
      components: (body['components'] as unknown[]) ?? [],
      attachments: files.map((f) => ({ id: nextId(), filename: f.name })),
    };
    this.messages.set(id, m);
    return m;
  }

  /** A message as the API returns it (buttons pressed on it carry this). */
  apiMessage(m: Message) {
    return {
      ...m,
      guild_id: GUILD_ID,
      type: 0,
      author: BOT_USER,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      embeds: [],
      pinned: false,
      flags: 0,
      attachments: m.attachments.map((a) => ({
        ...a,
        size: 1,
        url: `http://127.0.0.1/${a.filename}`,
        proxy_url: `http://127.0.0.1/${a.filename}`,
      })),
    };
  }

  private async handle(req: IncomingMessage): Promise<Answer> {
    const raw = await readBody(req);
    const path = (req.url ?? '').split('?')[0]!.replace(/^\/api\/v\d+/, '');
    const type = req.headers['content-type'] ?? '';
    let body: Record<string, unknown> = {};
    const files: RestCall['files'] = [];
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), {
        headers: { 'content-type': type },
      }).formData();
      for (const [key, value] of form) {
        if (key === 'payload_json') body = JSON.parse(String(value)) as Record<string, unknown>;
        else if (typeof value !== 'string')
          files.push({ name: value.name, text: await value.text() });
      }
    } else if (raw.length) body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const method = req.method ?? 'GET';
    const limited = this.failures.findIndex((f) => f.test.test(`${method} ${path}`));
    if (limited >= 0) {
      const [f] = this.failures.splice(limited, 1);
      this.calls.push({ method: `${method}!429`, path, body, files, at: Date.now() });
      return {
        status: 429,
        headers: { 'retry-after': String(f!.retryAfter), 'x-ratelimit-scope': 'user' },
        body: { message: 'You are being rate limited.', retry_after: f!.retryAfter, global: false },
      };
    }
    const call: RestCall = { method, path, body, files, at: Date.now() };
    this.calls.push(call);

    if (method === 'GET' && path === '/gateway/bot') {
      return {
        status: 200,
        body: {
          url: `ws://127.0.0.1:${this.port}/gateway`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 },
        },
      };
    }
    const callback = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (method === 'POST' && callback) {
      this.callbacks.get(callback[1]!)?.(performance.now());
      if (body['type'] === 5) {
        this.originals.set(callback[2]!, this.message(CHANNEL_ID, { content: '' }, []).id);
      }
      return { status: 204 };
    }
    const original = /^\/webhooks\/\d+\/([^/]+)\/messages\/(?:@|%40)original$/.exec(path);
    if (method === 'PATCH' && original) {
      const id = this.originals.get(original[1]!);
      if (!id) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
      return { status: 200, body: this.apiMessage(this.message(CHANNEL_ID, body, files, id)) };
    }
    const channelPost = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (method === 'POST' && channelPost) {
      return { status: 200, body: this.apiMessage(this.message(channelPost[1]!, body, files)) };
    }
    const thread = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path);
    if (method === 'POST' && thread) {
      // A thread started from a message has that message's id.
      return {
        status: 201,
        body: {
          id: thread[2],
          type: 11,
          guild_id: GUILD_ID,
          parent_id: thread[1],
          name: String(body['name'] ?? ''),
          owner_id: BOT_ID,
        },
      };
    }
    const channelMessage = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    if (method === 'PATCH' && channelMessage) {
      return {
        status: 200,
        body: this.apiMessage(this.message(channelMessage[1]!, body, files, channelMessage[2]!)),
      };
    }
    if (method === 'PUT' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) {
      return {
        status: 200,
        body: (body as unknown as unknown[]).map((c) => ({
          ...(c as object),
          id: nextId(),
          application_id: APP_ID,
          version: nextId(),
        })),
      };
    }
    return { status: 404, body: { message: '404: Not Found', code: 0 } };
  }
}

/** A guild member as interactions carry it. */
export function member(userId: string, roles: string[] = []) {
  return {
    user: {
      id: userId,
      username: `user${userId.slice(-4)}`,
      discriminator: '0',
      global_name: null,
      avatar: null,
    },
    roles,
    permissions: '0',
    joined_at: '2026-01-01T00:00:00.000Z',
    deaf: false,
    mute: false,
    flags: 0,
  };
}

/** Interaction fields for a channel of another server than GUILD_ID. */
export function inOtherGuild(userId: string) {
  return {
    guild_id: OTHER_GUILD_ID,
    channel: { id: CHANNEL_ID, type: 0, guild_id: OTHER_GUILD_ID, name: 'ops' },
    member: member(userId),
  };
}

/** Interaction fields for a direct message: no guild and no member, only the user. */
export function inDirectMessage(userId: string) {
  const { user } = member(userId);
  return {
    guild_id: undefined,
    channel_id: DM_CHANNEL_ID,
    channel: { id: DM_CHANNEL_ID, type: 1, recipients: [user] },
    context: 1,
    user,
  };
}

/**
 * The `data` of `/otto <sub> <options>`. A two-word command (`outpost add`) is a
 * subcommand of a group, as `otto discord register` offers it: `/otto outpost add`.
 */
export function slash(sub: string, options: Record<string, string | number | boolean> = {}) {
  const values = Object.entries(options).map(([name, value]) => ({
    type: typeof value === 'number' ? 4 : typeof value === 'boolean' ? 5 : 3,
    name,
    value,
  }));
  const [first, second] = sub.split(' ');
  const command =
    second === undefined
      ? { type: 1, name: sub, options: values }
      : { type: 2, name: first, options: [{ type: 1, name: second, options: values }] };
  return {
    type: 2,
    data: { id: '100000000000000010', name: 'otto', type: 1, options: [command] },
  };
}
