import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { FLEET_NAME, GIT_REF, SERVICE_NAME, type HttpConfig } from '../config/config.js';
import { dispatch, type Source } from '../commands/dispatch.js';
import { quoteWord } from '../commands/parse.js';
import type { Reply } from '../commands/types.js';
import type { Ops } from '../ops/ops.js';
import type { Deployment } from '../store/db.js';
import type { ChatAdapter } from './adapter-life.js';
import { Webhooks } from './webhooks.js';
import { healthz, metricsText, type AdapterStates } from './health.js';

/** The largest request body Otto reads: 1 MB. */
export const MAX_BODY_BYTES = 1024 * 1024;

const launchBody = z
  .object({
    fleet: z.string().regex(FLEET_NAME),
    ref: z.string().regex(GIT_REF).optional(),
    images: z.record(z.string().regex(SERVICE_NAME), z.string().min(1).max(300)).optional(),
  })
  .strict();
const rollbackBody = z
  .object({
    fleet: z.string().regex(FLEET_NAME),
    version: z.number().int().min(1).optional(),
  })
  .strict();

/** HTTP status of a reply: CI jobs fail on anything but 2xx. */
const STATUS: Readonly<Record<Reply['outcome'], number>> = {
  ok: 200,
  failed: 422,
  usage: 400,
  refused: 403,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The reply as JSON, and the deployment it recorded when there is one. */
function body(reply: Reply, deployment?: Deployment) {
  return {
    outcome: reply.outcome,
    text: reply.text,
    ...(reply.fix ? { fix: reply.fix } : {}),
    ...(reply.fields?.length ? { fields: reply.fields } : {}),
    ...(reply.approval ? { approval: reply.approval } : {}),
    ...(deployment
      ? {
          deployment: {
            id: deployment.id,
            fleet: deployment.fleet,
            version: deployment.version,
            status: deployment.status,
          },
        }
      : {}),
  };
}

/** The body as bytes, at most {@link MAX_BODY_BYTES} (a webhook's signature covers these). */
async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > MAX_BODY_BYTES) throw new HttpError(413, 'the body is larger than 1 MB');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'the body is larger than 1 MB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const text = (await readRaw(req)).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new HttpError(
      400,
      `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'not what Otto reads'}`,
    );
  }
  return r.data;
}

/** The command a request stands for, as text: every value checked above, then quoted. */
function commandOf(method: string, path: string, payload: unknown): string {
  if (method === 'POST' && path === '/api/v1/launch') {
    const b = parsed(launchBody, payload);
    const images = Object.entries(b.images ?? {}).map(([s, i]) => `${s}=${i}`);
    return ['launch', b.fleet, ...images, ...(b.ref !== undefined ? ['--ref', b.ref] : [])]
      .map(quoteWord)
      .join(' ');
  }
  if (method === 'POST' && path === '/api/v1/rollback') {
    const b = parsed(rollbackBody, payload);
    return ['rollback', b.fleet, ...(b.version ? [String(b.version)] : [])].join(' ');
  }
  const status = /^\/api\/v1\/status\/([^/]+)$/.exec(path);
  if (method === 'GET' && status) {
    const fleet = decodeURIComponent(status[1]!);
    if (!FLEET_NAME.test(fleet)) throw new HttpError(400, 'that is not a fleet name');
    return `status ${fleet}`;
  }
  throw new HttpError(404, `there is no ${method} ${path}`);
}

/**
 * Otto's HTTP API for CI (`http:` in otto.yml): `POST /api/v1/launch`, `POST
 * /api/v1/rollback`, `GET /api/v1/status/<fleet>`, with `Authorization: Bearer
 * <token>` (`otto token create`). Each call runs as the command a person would
 * type, as `token:<name>` with the token's role and fleets: the same roles,
 * approvals, locks and audit. A launch answers once its deployment is recorded
 * (202), or with `?wait=true` when it has converged or failed.
 */
export function startHttpApi(
  ops: Ops,
  cfg: HttpConfig,
  log: (line: string) => void,
  adapters: AdapterStates = () => ({}),
): ChatAdapter & { readonly listening: Promise<number> } {
  const stopping = new AbortController();
  const running = new Set<Promise<unknown>>();
  const send = (res: ServerResponse, status: number, json: unknown) => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(`${JSON.stringify(json)}\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://otto.invalid');
    const method = req.method ?? 'GET';
    const refuse = (status: number, why: string) => {
      log(`otto http: ${status} ${method} ${url.pathname}: ${why}`);
      send(res, status, { outcome: status === 401 ? 'refused' : 'usage', text: why });
    };
    try {
      // For supervisors and scrapers: no token (README, "Health, metrics and logs").
      if (method === 'GET' && url.pathname === '/healthz') {
        const h = await healthz(ops, adapters);
        return send(res, h.status, h.body);
      }
      if (method === 'GET' && url.pathname === '/metrics') return await metricsText(ops, res);
      // Webhooks sign their bodies instead of carrying a token.
      const hook = /^\/hooks\/([a-z]+)$/.exec(url.pathname)?.[1];
      if (hook && method === 'POST') {
        const a = await hooks.handle(hook, req.headers, await readRaw(req));
        if (a) {
          if (a.status >= 400)
            log(`otto http: ${a.status} POST ${url.pathname}: ${String(a.json['text'])}`);
          return send(res, a.status, a.json);
        }
      }
      const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      const token = auth ? await ops.tokens.verify(auth[1]!) : undefined;
      if (!token) {
        // Nothing about the request is read before its token is.
        req.resume();
        return refuse(401, 'Otto needs a valid API token: Authorization: Bearer <token>');
      }
      const payload = method === 'POST' ? await readBody(req) : {};
      const text = commandOf(method, url.pathname, payload);
      const wait = url.searchParams.get('wait') === 'true';
      const source: Source = {
        actor: `token:${token.name}`,
        channel: 'api',
        platform: 'api',
        grant: { role: token.role, fleets: token.fleets },
      };
      let recorded: Deployment | undefined;
      let answered = false;
      const done = dispatch(ops, text, source, {
        signal: stopping.signal,
        onDeployment: (d) => {
          recorded ??= d;
          // Without ?wait, the caller learns the deployment and Otto goes on.
          if (!wait && !answered) {
            answered = true;
            send(res, 202, {
              outcome: 'ok',
              text: `Launch of ${d.fleet} v${d.version} started.`,
              deployment: { id: d.id, fleet: d.fleet, version: d.version, status: d.status },
            });
          }
        },
      });
      running.add(done);
      const reply = await done.finally(() => running.delete(done));
      if (answered) return;
      const final = recorded
        ? await ops.deployments.get(recorded.fleet, recorded.version)
        : undefined;
      // A request waiting for approval has not launched yet: accepted, not done.
      const status = reply.outcome === 'ok' && reply.approval ? 202 : STATUS[reply.outcome];
      send(res, status, body(reply, final ?? recorded));
    } catch (e) {
      if (e instanceof HttpError) return refuse(e.status, e.message);
      log(
        `otto http: 500 ${method} ${url.pathname}: ${e instanceof Error ? e.message : String(e)}`,
      );
      send(res, 500, { outcome: 'failed', text: 'Otto could not answer; its log says why.' });
    }
  };

  const hooks = new Webhooks(ops, cfg, log, stopping.signal, running);
  const server = createServer((req, res) => void handle(req, res));
  // A launch with ?wait=true lasts as long as its convergence: no request timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  const listening = new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : cfg.port;
      log(
        `🛰️  Otto's HTTP API listens on ${cfg.host}:${port}${cfg.publicUrl ? ` (${cfg.publicUrl})` : ''}.`,
      );
      resolve(port);
    });
  });
  listening.catch((e: Error) =>
    log(`otto http: can't listen on ${cfg.host}:${cfg.port}: ${e.message}`),
  );

  return {
    listening,
    async stop(reason?: unknown) {
      stopping.abort(reason);
      server.close();
      server.closeIdleConnections();
      await Promise.allSettled([...running]);
      server.closeAllConnections();
    },
  };
}
