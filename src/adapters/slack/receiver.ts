import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';

/**
 * The largest request body Otto reads, in bytes. A slash command is about 1 KB; a
 * button press carries the whole message it was pressed on. Otto's largest message
 * with buttons is an alert card with 10 log lines of up to 2000 characters each:
 * its press measures 25-55 KB with ordinary log lines, and about 185 KB when every
 * character takes 9 bytes once JSON- and form-encoded (`€` → %E2%82%AC). 256 KB
 * leaves room above that (tests/unit/slack-receiver.test.ts draws these presses),
 * and with MAX_CONNECTIONS bounds what requests can hold in memory to 16 MB.
 */
export const BODY_LIMIT = 256 * 1024;
/** Slack opens a few connections at a time; more than this are closed at once. */
export const MAX_CONNECTIONS = 64;
/** Slack sends a whole request in milliseconds and waits 3 s for the answer. */
export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node looks for connections past those timeouts (its default is 30 s). */
const TIMEOUT_CHECK_MS = 1_000;
/** A signed request is taken within 5 minutes of its timestamp, either way. */
export const MAX_CLOCK_SKEW_S = 300;
/** Bolt's wait for a listener to ack before answering 404. */
const ACK_TIMEOUT_MS = 3_001;
/** At most one log line per kind of refusal in this time. */
const LOG_EVERY_MS = 60_000;

export type Refusal = 'unsigned' | 'outside_window' | 'bad_signature';

const REFUSALS: Record<Refusal, string> = {
  unsigned: 'no signature or timestamp headers',
  outside_window: 'its timestamp is more than 5 minutes away from this clock',
  bad_signature: 'the signature does not match',
};

const one = (h: string | string[] | undefined) => (typeof h === 'string' ? h : undefined);

/**
 * Why Slack did not sign this request (answered 401), or undefined when it did:
 * `v0=` + HMAC-SHA256(secret, `v0:<timestamp>:<body>`), compared in constant time,
 * with a timestamp within MAX_CLOCK_SKEW_S of `nowMs` in either direction.
 */
export function checkSignature(
  secret: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  nowMs: number,
): Refusal | undefined {
  const ts = one(headers['x-slack-request-timestamp']);
  const signature = one(headers['x-slack-signature']);
  if (!ts || !signature || !/^\d{1,12}$/.test(ts)) return 'unsigned';
  if (Math.abs(Math.floor(nowMs / 1000) - Number(ts)) > MAX_CLOCK_SKEW_S) return 'outside_window';
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given)
    ? undefined
    : 'bad_signature';
}

const isForm = (contentType: string | undefined) =>
  contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';

/** Slack's `ssl_check=1` probe: answered 200 without a signature, and never run. */
export function isSslCheck(body: Buffer, contentType: string | undefined): boolean {
  return isForm(contentType) && new URLSearchParams(body.toString('utf8')).get('ssl_check') === '1';
}

/**
 * A request body as Bolt reads it: a form's `payload` field as JSON (button
 * presses), other forms as fields (slash commands), anything else as JSON (events).
 * Throws on a body that is none of these.
 */
export function parseBody(body: Buffer, contentType: string | undefined): Record<string, unknown> {
  const text = body.toString('utf8');
  let parsed: unknown;
  if (isForm(contentType)) {
    const form = Object.fromEntries(new URLSearchParams(text));
    parsed = typeof form['payload'] === 'string' ? JSON.parse(form['payload']) : form;
  } else parsed = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('the body is not an object');
  return parsed as Record<string, unknown>;
}

/**
 * Reads a request body of at most `limit` bytes: undefined as soon as it is longer
 * (a larger Content-Length is refused before reading anything), and what was read
 * so far is dropped. The rest of the body is discarded, never kept.
 */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(one(req.headers['content-length']) ?? NaN);
  if (declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    const done = (settle: () => void) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      chunks = [];
      done(() => resolve(undefined));
      req.resume(); // the rest flows into nothing
    };
    const onEnd = () => done(() => resolve(Buffer.concat(chunks, size)));
    const onError = (e: Error) => done(() => reject(e));
    const onClose = () => done(() => reject(new Error('the client closed the request')));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function answer(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status);
  res.end();
}

/** Bolt's ack over HTTP: the first call answers 200 (with the body, if any). */
function httpAck(res: ServerResponse, unacked: () => void): ReceiverEvent['ack'] {
  let acked = false;
  const timer = setTimeout(() => {
    if (acked) return;
    acked = true;
    unacked();
    answer(res, 404);
  }, ACK_TIMEOUT_MS);
  timer.unref();
  res.once('close', () => clearTimeout(timer));
  return async (response?: unknown) => {
    if (acked) return;
    acked = true;
    clearTimeout(timer);
    if (response === undefined || response === '') return answer(res, 200);
    const json = typeof response !== 'string';
    res.writeHead(200, json ? { 'content-type': 'application/json' } : {});
    res.end(json ? JSON.stringify(response) : response);
  };
}

/** What the receiver needs to refuse replays: true the first time an id is recorded. */
export interface SeenIds {
  first(id: string): Promise<boolean>;
}

export interface SlackReceiverOptions {
  readonly signingSecret: string;
  readonly host: string;
  readonly port: number;
  /** Signatures already taken, kept longer than a signature is valid (10 minutes). */
  readonly seen: SeenIds;
  readonly log: (msg: string) => void;
  readonly now?: () => number;
}

/**
 * Slack's signed HTTP requests at POST /slack/events, fed to Bolt's processEvent.
 * Unlike Bolt's HTTPReceiver it reads at most BODY_LIMIT bytes (413 beyond, before
 * buffering the rest), cuts off slow clients, caps connections, binds to one
 * address, refuses timestamps from the future as well as the past, and runs a
 * signed request once: its signature is recorded in SQLite, so a replay after a
 * restart is acked and dropped too.
 */
export class SlackReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;
  private readonly loggedAt = new Map<string, { at: number; since: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: SlackReceiverOptions) {
    this.now = opts.now ?? Date.now;
  }

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<Server> {
    const { host, port } = this.opts;
    const server = createServer(
      {
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        connectionsCheckingInterval: TIMEOUT_CHECK_MS,
      },
      (req, res) => void this.handle(req, res),
    );
    server.maxConnections = MAX_CONNECTIONS;
    server.on('drop', () =>
      this.note(
        'drop',
        `otto: Slack's HTTP endpoint has ${MAX_CONNECTIONS} connections open; closed further ones until some end.`,
      ),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `Otto could not listen on ${host}:${port} for Slack (${e.code ?? e.message}); set slack.host and slack.port in otto.yml to a free address of this machine`,
            { cause: e },
          ),
        ),
      );
      server.listen({ host, port }, resolve);
    });
    this.server = server;
    return server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/slack/events')
        return answer(res, 404);
      const raw = await readLimited(req, BODY_LIMIT).catch(() => null);
      if (raw === null) return; // the client went away
      if (raw === undefined) {
        this.note('413', `otto: refused a Slack request larger than ${BODY_LIMIT} bytes (413).`);
        // The connection stays open while the rest is discarded (until REQUEST_TIMEOUT_MS):
        // closing it under a client still sending can lose the 413 in a reset.
        return answer(res, 413);
      }
      const type = one(req.headers['content-type']);
      if (isSslCheck(raw, type)) return answer(res, 200);
      const refusal = checkSignature(this.opts.signingSecret, req.headers, raw, this.now());
      if (refusal) {
        this.note(
          refusal,
          `otto: refused a Slack request (401): ${REFUSALS[refusal]}. If Slack's own requests are refused, check slack.signing_secret in otto.yml and this machine's clock.`,
        );
        return answer(res, 401);
      }
      // A repeat of a signature already taken is acked, so that Slack sees no error, and dropped.
      if (!(await this.opts.seen.first(`slack-sig:${one(req.headers['x-slack-signature'])}`))) {
        this.note('replay', 'otto: dropped a signed Slack request that already ran (a replay).');
        return answer(res, 200);
      }
      let body: Record<string, unknown>;
      try {
        body = parseBody(raw, type);
      } catch {
        return answer(res, 400);
      }
      const retry = one(req.headers['x-slack-retry-num']);
      const reason = one(req.headers['x-slack-retry-reason']);
      const event: ReceiverEvent = {
        body,
        ack: httpAck(res, () =>
          this.note('unacked', 'otto: a Slack request had no listener to ack it (404).'),
        ),
        ...(retry !== undefined ? { retryNum: Number.parseInt(retry, 10) } : {}),
        ...(reason !== undefined ? { retryReason: reason } : {}),
      };
      if (!this.app) throw new Error('the receiver was started before Bolt initialised it');
      await this.app.processEvent(event);
    } catch (e) {
      this.opts.log(
        `otto: a Slack request failed: ${e instanceof Error ? e.message : String(e)} (answered 500)`,
      );
      answer(res, 500);
    }
  }

  /** Logs `line` at most once a minute per `kind`, with how many more happened meanwhile. */
  private note(kind: string, line: string): void {
    const now = this.now();
    const last = this.loggedAt.get(kind);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.since++;
      return;
    }
    const more = last?.since ? ` (${last.since} more since the last such line)` : '';
    this.loggedAt.set(kind, { at: now, since: 0 });
    this.opts.log(`${line}${more}`);
  }
}
