import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import type { HttpConfig } from '../config/config.js';
import { dispatch } from '../commands/dispatch.js';
import { quoteWord } from '../commands/parse.js';
import { pushLaunches, type Push } from '../commands/webhook-push.js';
import { previewEvent, previewParents } from '../commands/previews.js';
import { previewFleetName } from '../swarm/preview.js';
import type { Ops } from '../ops/ops.js';
import type { Deployment } from '../store/db.js';
import { SeenRequests } from '../store/seen-requests.js';

/** How far a generic hook's timestamp may be from Otto's clock. */
export const GENERIC_WINDOW_MS = 5 * 60_000;
/** How long a delivery id is remembered (GitHub and GitLab retry within hours). */
const DELIVERY_TTL_MS = 7 * 24 * 3600_000;

export interface HookAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

const answer = (status: number, text: string, extra: Record<string, unknown> = {}): HookAnswer => ({
  status,
  json: { text, ...extra },
});

/** Constant-time equality of two strings (their SHA-256s, so lengths never leak). */
function same(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

const hmac = (secret: string, data: Buffer | string) =>
  createHmac('sha256', secret).update(data).digest('hex');

const header = (headers: IncomingHttpHeaders, name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

// The payload fields Otto reads, from each host's documentation; the rest is ignored.
const githubPush = z.object({
  ref: z.string().max(300),
  after: z.string().max(64).optional(),
  deleted: z.boolean().optional(),
  repository: z.object({
    clone_url: z.string().max(500).optional(),
    ssh_url: z.string().max(500).optional(),
    html_url: z.string().max(500).optional(),
    git_url: z.string().max(500).optional(),
    default_branch: z.string().max(200).optional(),
  }),
  pusher: z.object({ name: z.string().max(200).optional() }).optional(),
});
const githubPullRequest = z.object({
  action: z.string().max(40),
  number: z.number().int().min(1),
  pull_request: z.object({
    head: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/), ref: z.string().max(300) }),
    user: z.object({ login: z.string().max(200) }).optional(),
  }),
  repository: z.object({
    clone_url: z.string().max(500).optional(),
    ssh_url: z.string().max(500).optional(),
    html_url: z.string().max(500).optional(),
    git_url: z.string().max(500).optional(),
  }),
  sender: z.object({ login: z.string().max(200) }).optional(),
});
const gitlabPush = z.object({
  ref: z.string().max(300),
  after: z.string().max(64).optional(),
  checkout_sha: z.string().max(64).nullish(),
  user_username: z.string().max(200).optional(),
  project: z.object({
    git_http_url: z.string().max(500).optional(),
    git_ssh_url: z.string().max(500).optional(),
    web_url: z.string().max(500).optional(),
    default_branch: z.string().max(200).optional(),
  }),
});
const genericPush = z
  .object({
    repository: z.string().max(500),
    ref: z.string().max(300),
    sha: z.string().regex(/^[0-9a-f]{40}$/),
    /** The repository's default branch: what a fleet without git.ref tracks. */
    default_branch: z.string().max(200).optional(),
    pusher: z.string().max(200).optional(),
  })
  .strict();

function json(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The webhooks of the HTTP API: `POST /hooks/github` (HMAC `X-Hub-Signature-256`,
 * `X-GitHub-Delivery` seen once), `POST /hooks/gitlab` (`X-Gitlab-Token`, the
 * event UUID seen once), `POST /hooks/generic` (HMAC-SHA256 of
 * `<X-Otto-Timestamp>.<body>` in `X-Otto-Signature: sha256=…`, within 5 minutes,
 * each signature once). A push becomes `launch <fleet> --ref <sha|tag>` as
 * `webhook:<host>`, with the deployer role on that fleet alone: fleets opt in with
 * `auto_launch` / `auto_launch_tags`, and the launch has the same approvals, locks
 * and audit as any other.
 */
export class Webhooks {
  private readonly seen: SeenRequests;

  constructor(
    private readonly ops: Ops,
    private readonly cfg: HttpConfig,
    private readonly log: (line: string) => void,
    private readonly signal: AbortSignal,
    private readonly running: Set<Promise<unknown>>,
    private readonly now: () => number = Date.now,
  ) {
    this.seen = new SeenRequests(ops.db, DELIVERY_TTL_MS);
  }

  /** The answer to `POST /hooks/<host>`; undefined for a path that is not a hook. */
  async handle(
    host: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<HookAnswer | undefined> {
    switch (host) {
      case 'github':
        return this.github(headers, body);
      case 'gitlab':
        return this.gitlab(headers, body);
      case 'generic':
        return this.generic(headers, body);
      default:
        return undefined;
    }
  }

  private async github(headers: IncomingHttpHeaders, body: Buffer): Promise<HookAnswer> {
    const secret = this.cfg.hooks.github;
    if (!secret) return answer(404, 'the github hook is off: set http.hooks.github.secret');
    const sig = header(headers, 'x-hub-signature-256') ?? '';
    if (!same(sig, `sha256=${hmac(secret, body)}`))
      return answer(401, 'the signature (X-Hub-Signature-256) does not match');
    const event = header(headers, 'x-github-event') ?? '';
    if (event === 'ping') return answer(200, 'pong');
    if (event !== 'push' && event !== 'pull_request')
      return answer(202, `Otto acts on push and pull_request only; ${event.slice(0, 40)} ignored`);
    const delivery = header(headers, 'x-github-delivery') ?? '';
    if (!delivery || !(await this.seen.first(`github:${delivery.slice(0, 100)}`)))
      return answer(409, 'this delivery was seen already (X-GitHub-Delivery)');
    if (event === 'pull_request') return this.pullRequest(body);
    const p = githubPush.safeParse(json(body));
    if (!p.success) return answer(400, 'not a GitHub push payload');
    const r = p.data.repository;
    return this.launch({
      via: 'github',
      repoUrls: [r.clone_url, r.ssh_url, r.html_url, r.git_url].filter((u) => !!u) as string[],
      ref: p.data.ref,
      sha: p.data.deleted ? undefined : p.data.after,
      defaultBranch: r.default_branch,
      pusher: p.data.pusher?.name,
    });
  }

  /** A pull request opened, reopened or pushed to launches its previews; closed removes them. */
  private async pullRequest(body: Buffer): Promise<HookAnswer> {
    const p = githubPullRequest.safeParse(json(body));
    if (!p.success) return answer(400, 'not a GitHub pull_request payload');
    const { action, number, pull_request: pr, repository: r } = p.data;
    const urls = [r.clone_url, r.ssh_url, r.html_url, r.git_url].filter((u) => !!u) as string[];
    const parents = previewParents(this.ops.config, urls);
    if (parents.length === 0)
      return answer(
        404,
        `no fleet has previews of that repository (${urls[0]?.slice(0, 200) ?? '?'})`,
      );
    const what = ['opened', 'reopened', 'synchronize'].includes(action)
      ? 'open'
      : action === 'closed'
        ? 'close'
        : undefined;
    if (!what) return answer(202, `pull request ${action.slice(0, 40)}: nothing to do`);
    const fleets = parents.map((f) => previewFleetName(f.name, number));
    this.log(`otto hooks: github pull request #${number} ${action}: ${what} ${fleets.join(', ')}`);
    const job = previewEvent(
      this.ops,
      parents,
      what,
      {
        number,
        sha: pr.head.sha,
        branch: pr.head.ref,
        by: pr.user?.login ?? p.data.sender?.login ?? 'someone',
      },
      'webhook:github',
      this.signal,
    ).then(
      (results) => {
        for (const x of results) this.log(`otto hooks: ${x.fleet}: ${x.outcome}: ${x.text}`);
      },
      (e: unknown) =>
        this.log(
          `otto hooks: preview of #${number} failed: ${e instanceof Error ? e.message : String(e)}`,
        ),
    );
    this.running.add(job);
    void job.finally(() => this.running.delete(job));
    return answer(202, `preview ${what === 'open' ? 'launch' : 'removal'} started`, {
      previews: fleets,
    });
  }

  private async gitlab(headers: IncomingHttpHeaders, body: Buffer): Promise<HookAnswer> {
    const token = this.cfg.hooks.gitlab;
    if (!token) return answer(404, 'the gitlab hook is off: set http.hooks.gitlab.token');
    if (!same(header(headers, 'x-gitlab-token') ?? '', token))
      return answer(401, 'the token (X-Gitlab-Token) does not match');
    const event = header(headers, 'x-gitlab-event') ?? '';
    if (event !== 'Push Hook' && event !== 'Tag Push Hook')
      return answer(202, `Otto launches on push only; ${event.slice(0, 40)} ignored`);
    // GitLab names each delivery in X-Gitlab-Event-UUID (older ones do not): seen once.
    const uuid = header(headers, 'x-gitlab-event-uuid');
    if (uuid && !(await this.seen.first(`gitlab:${uuid.slice(0, 100)}`)))
      return answer(409, 'this delivery was seen already (X-Gitlab-Event-UUID)');
    const p = gitlabPush.safeParse(json(body));
    if (!p.success) return answer(400, 'not a GitLab push payload');
    const pr = p.data.project;
    return this.launch({
      via: 'gitlab',
      repoUrls: [pr.git_http_url, pr.git_ssh_url, pr.web_url].filter((u) => !!u) as string[],
      ref: p.data.ref,
      sha: p.data.checkout_sha ?? p.data.after,
      defaultBranch: pr.default_branch,
      pusher: p.data.user_username,
    });
  }

  private async generic(headers: IncomingHttpHeaders, body: Buffer): Promise<HookAnswer> {
    const secret = this.cfg.hooks.generic;
    if (!secret) return answer(404, 'the generic hook is off: set http.hooks.generic.secret');
    const stamp = header(headers, 'x-otto-timestamp') ?? '';
    const sig = header(headers, 'x-otto-signature') ?? '';
    const signed = Buffer.concat([Buffer.from(`${stamp}.`), body]);
    if (!/^\d{1,13}$/.test(stamp) || !same(sig, `sha256=${hmac(secret, signed)}`))
      return answer(
        401,
        'the signature (X-Otto-Signature of "<X-Otto-Timestamp>.<body>") does not match',
      );
    if (Math.abs(this.now() - Number(stamp) * 1000) > GENERIC_WINDOW_MS)
      return answer(
        401,
        'the timestamp (X-Otto-Timestamp, Unix seconds) is more than 5 minutes off',
      );
    if (!(await this.seen.first(`generic:${sig.slice(7, 71)}`)))
      return answer(409, 'this delivery was seen already (the same signature)');
    const p = genericPush.safeParse(json(body));
    if (!p.success)
      return answer(
        400,
        'the body is { "repository", "ref", "sha", "default_branch"?, "pusher"? }',
      );
    return this.launch({
      via: 'generic',
      repoUrls: [p.data.repository],
      ref: p.data.ref,
      sha: p.data.sha,
      defaultBranch: p.data.default_branch,
      pusher: p.data.pusher,
    });
  }

  /** Starts each launch the push asks for; answers once each is recorded or decided. */
  private async launch(push: Push): Promise<HookAnswer> {
    const { known, launches } = pushLaunches(this.ops.config, push);
    const what = `${push.ref.slice(0, 120)} of ${push.repoUrls[0]?.slice(0, 200) ?? '?'}`;
    if (!known) return answer(404, `no fleet launches from that repository (${what})`);
    if (launches.length === 0) {
      this.log(`otto hooks: ${push.via} push of ${what}: no fleet launches it`);
      return answer(200, `no fleet launches ${push.ref.slice(0, 120)}`, { launches: [] });
    }
    const started = await Promise.all(
      launches.map(async (l) => {
        const text = ['launch', l.fleet.name, '--ref', l.ref].map(quoteWord).join(' ');
        this.log(
          `otto hooks: ${push.via} push of ${what} by ${push.pusher ?? 'someone'}: ${text} (${l.reason})`,
        );
        const result = await this.start(text, push, l.fleet.name);
        return { fleet: l.fleet.name, ref: l.ref, reason: l.reason, ...result };
      }),
    );
    return answer(202, `${started.length} launch${started.length === 1 ? '' : 'es'} started`, {
      launches: started,
    });
  }

  /** Runs one launch in the background; resolves with its deployment once recorded, or its reply. */
  private start(text: string, push: Push, fleet: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      let told = false;
      const tell = (r: Record<string, unknown>) => {
        if (!told) resolve(r);
        told = true;
      };
      const done = dispatch(
        this.ops,
        text,
        {
          actor: `webhook:${push.via}`,
          channel: 'webhook',
          platform: 'api',
          // The fleet opted in to launches on push: the deployer role, on it alone.
          grant: { role: 'deployer', fleets: [fleet] },
        },
        {
          signal: this.signal,
          onDeployment: (d: Deployment) =>
            tell({
              deployment: { id: d.id, fleet: d.fleet, version: d.version, status: d.status },
            }),
        },
      ).then((reply) => {
        tell({
          outcome: reply.outcome,
          text: reply.text,
          ...(reply.approval ? { approval: reply.approval } : {}),
        });
        this.log(`otto hooks: ${text}: ${reply.outcome}: ${reply.text.split('\n')[0]}`);
      });
      this.running.add(done);
      void done.finally(() => this.running.delete(done));
    });
  }
}
