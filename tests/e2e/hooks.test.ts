import { createHmac, randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { testRepo, type TestRepo } from '../support/git-repo.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { docker, serviceImage, waitFor } from '../support/testbed.js';
import { webService, type Workspace, workspace } from '../support/workspace.js';

const bed = inject('testbed');

const GITHUB_SECRET = 'github-secret-for-tests-only';
const GITLAB_TOKEN = 'gitlab-token-for-tests-only';
const GENERIC_SECRET = 'generic-secret-for-tests-only';

/**
 * Webhooks against `otto start` and the real Swarm, with payloads shaped as GitHub's
 * and GitLab's documentation shows them (only the fields Otto reads are filled) and
 * Otto's own generic one: a push to the tracked branch launches the pushed commit,
 * a tag matching auto_launch_tags launches the tag; forged, stale, replayed and
 * oversized deliveries, an unknown repository and an untracked branch launch nothing.
 */
describe.skipIf(bed === null)('webhooks: pushes that launch', () => {
  if (!bed) return;
  let ws: Workspace;
  let otto: OttoProcess;
  let repo: TestRepo;
  /** The repository of the fleet with previews, and the commits of pull request #7. */
  let prRepo: TestRepo;
  let prFirst = '';
  let base = '';
  let first = '';
  let second = '';
  const compose = (image: string) => stringify({ services: { web: webService(image) } });

  beforeAll(async () => {
    repo = await testRepo();
    first = await repo.commit({ 'compose.yaml': compose(bed.images.v1) }, 'First');
    prRepo = await testRepo();
    const routed = (image: string) =>
      stringify({
        services: {
          web: webService(image, {
            'x-otternauts': { domains: ['prev.example.test'], port: 8080 },
          }),
        },
      });
    await prRepo.commit({ 'compose.yaml': routed(bed.images.v1) }, 'Main');
    await prRepo.git('checkout', '--quiet', '-b', 'feature');
    prFirst = await prRepo.commit({ 'compose.yaml': routed(bed.images.v2) }, 'Feature: v2');
    ws = workspace(
      bed,
      {
        hooked: {
          extra: {
            git: { repo: repo.url },
            auto_launch: true,
            auto_launch_tags: 'v*',
          },
        },
        prev: {
          extra: {
            git: { repo: prRepo.url },
            previews: { domain: 'pr-{number}.prev.example.test', services: ['web'] },
          },
        },
      },
      undefined,
      {
        http: {
          port: 0,
          hooks: {
            github: { secret: GITHUB_SECRET },
            gitlab: { token: GITLAB_TOKEN },
            generic: { secret: GENERIC_SECRET },
          },
        },
      },
    );
    otto = startOtto(ws.config, ws.dir);
    await otto.waitForLog("Otto's HTTP API listens on 127.0.0.1:");
    base = `http://127.0.0.1:${/HTTP API listens on 127\.0\.0\.1:(\d+)/.exec(otto.log())?.[1]}`;
  }, 120_000);

  afterAll(async () => {
    await otto?.stop();
    await docker(bed, ['stack', 'rm', 'hooked', 'prev-pr-7']);
  });

  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const r = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const github = (
    event: string,
    payload: object,
    opts: { delivery?: string; secret?: string } = {},
  ) => {
    const body = JSON.stringify(payload);
    const sig = createHmac('sha256', opts.secret ?? GITHUB_SECRET)
      .update(body)
      .digest('hex');
    return post('/hooks/github', body, {
      'x-github-event': event,
      'x-github-delivery': opts.delivery ?? randomUUID(),
      'x-hub-signature-256': `sha256=${sig}`,
    });
  };
  const githubPush = (ref: string, after: string, url = repo.url) => ({
    ref,
    before: '0'.repeat(40),
    after,
    deleted: false,
    repository: {
      full_name: 'acme/hooked',
      clone_url: url,
      ssh_url: 'git@github.invalid:acme/hooked.git',
      html_url: 'https://github.invalid/acme/hooked',
      default_branch: 'main',
    },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    head_commit: { id: after, message: 'pushed' },
  });
  const versions = () =>
    rows(
      ws.dir,
      "select version, status, actor, git_sha, git_ref from deployments where fleet = 'hooked' order by version",
    );
  const settled = (version: number) =>
    waitFor(
      `hooked v${version} to finish`,
      async () => versions().some((v) => v['version'] === version && v['status'] !== 'deploying'),
      120_000,
    );

  it('answers GitHub ping, refuses a forged signature', async () => {
    expect((await github('ping', { zen: 'Keep it logically awesome.' })).json['text']).toBe('pong');
    const forged = await github('push', githubPush('refs/heads/main', first), {
      secret: 'not-the-secret',
    });
    expect(forged.status).toBe(401);
    await otto.waitForLog('otto http: 401 POST /hooks/github');
    expect(versions()).toEqual([]);
  });

  it('a GitHub push to the tracked branch launches the pushed commit', async () => {
    const delivery = randomUUID();
    const r = await github('push', githubPush('refs/heads/main', first), { delivery });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    expect(r.json['launches']).toEqual([
      expect.objectContaining({
        fleet: 'hooked',
        ref: first,
        reason: 'main pushed',
        deployment: expect.objectContaining({ version: 1, status: 'deploying' }),
      }),
    ]);
    await settled(1);
    expect(versions()[0]).toMatchObject({
      version: 1,
      status: 'succeeded',
      actor: 'webhook:github',
      git_sha: first,
    });
    // The same delivery again: seen, nothing launched.
    const again = await github('push', githubPush('refs/heads/main', first), { delivery });
    expect(again.status).toBe(409);
    expect(versions()).toHaveLength(1);
  }, 180_000);

  it('an untracked branch, a deleted ref and an unknown repository launch nothing', async () => {
    const other = await github('push', githubPush('refs/heads/feature', first));
    expect(other.status).toBe(200);
    expect(other.json['text']).toBe('no fleet launches refs/heads/feature');
    const gone = await github('push', {
      ...githubPush('refs/heads/main', '0'.repeat(40)),
      deleted: true,
    });
    expect(gone.status).toBe(200);
    const unknown = await github(
      'push',
      githubPush('refs/heads/main', first, 'https://github.invalid/acme/other.git'),
    );
    expect(unknown.status).toBe(404);
    const big = await post('/hooks/github', 'x'.repeat(1024 * 1024 + 10), {
      'x-github-event': 'push',
    });
    expect(big.status).toBe(413);
    expect(versions()).toHaveLength(1);
  });

  it('a GitLab tag push matching auto_launch_tags launches the tag', async () => {
    second = await repo.commit({ 'compose.yaml': compose(bed.images.v2) }, 'Second');
    await repo.git('tag', 'v2.0.0');
    await repo.git('push', '--quiet', 'origin', 'v2.0.0');
    const body = JSON.stringify({
      object_kind: 'tag_push',
      ref: 'refs/tags/v2.0.0',
      before: '0'.repeat(40),
      after: second,
      checkout_sha: second,
      user_username: 'jsmith',
      project: {
        git_http_url: repo.url,
        git_ssh_url: 'git@gitlab.invalid:acme/hooked.git',
        web_url: 'https://gitlab.invalid/acme/hooked',
        default_branch: 'main',
      },
    });
    const wrong = await post('/hooks/gitlab', body, {
      'x-gitlab-event': 'Tag Push Hook',
      'x-gitlab-token': 'wrong-token-wrong-token',
    });
    expect(wrong.status).toBe(401);
    const r = await post('/hooks/gitlab', body, {
      'x-gitlab-event': 'Tag Push Hook',
      'x-gitlab-token': GITLAB_TOKEN,
      'x-gitlab-event-uuid': randomUUID(),
    });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    await settled(2);
    expect(versions()[1]).toMatchObject({
      version: 2,
      status: 'succeeded',
      actor: 'webhook:gitlab',
      git_sha: second,
      git_ref: 'v2.0.0',
    });
    expect(await serviceImage(bed, 'hooked_web')).toBe(bed.images.v2);
  }, 180_000);

  it('the generic hook: signed with a timestamp, refused when stale or replayed', async () => {
    const sign = (body: string, stamp: number) => ({
      'x-otto-timestamp': String(stamp),
      'x-otto-signature': `sha256=${createHmac('sha256', GENERIC_SECRET).update(`${stamp}.${body}`).digest('hex')}`,
    });
    const body = JSON.stringify({
      repository: repo.url,
      ref: 'refs/heads/main',
      sha: first,
      default_branch: 'main',
      pusher: 'ci',
    });
    const now = Math.floor(Date.now() / 1000);
    const stale = await post('/hooks/generic', body, sign(body, now - 600));
    expect(stale.status).toBe(401);
    expect(stale.json['text']).toContain('more than 5 minutes off');
    const headers = sign(body, now);
    const r = await post('/hooks/generic', body, headers);
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    await settled(3);
    expect(versions()[2]).toMatchObject({
      version: 3,
      status: 'succeeded',
      actor: 'webhook:generic',
    });
    const replay = await post('/hooks/generic', body, headers);
    expect(replay.status).toBe(409);
    expect(versions()).toHaveLength(3);
    const h = await ws.say('history hooked');
    expect(h.stdout).toContain('· webhook:generic ·');
    expect(h.stdout).toContain('· webhook:gitlab ·');
    expect(h.stdout).toContain('· webhook:github ·');
  }, 180_000);

  it('pull request previews: opened, pushed to, closed', async () => {
    const pr = (action: string, sha: string) => ({
      action,
      number: 7,
      pull_request: {
        number: 7,
        state: action === 'closed' ? 'closed' : 'open',
        head: { ref: 'feature', sha, repo: { clone_url: prRepo.url } },
        base: { ref: 'main', repo: { clone_url: prRepo.url } },
        user: { login: 'octocat' },
      },
      repository: { clone_url: prRepo.url, html_url: 'https://github.invalid/acme/prev' },
      sender: { login: 'octocat' },
    });
    const previewRuns = () =>
      rows(
        ws.dir,
        "select version, status, actor, git_sha, git_ref from deployments where fleet = 'prev-pr-7' order by version",
      );
    const opened = await github('pull_request', pr('opened', prFirst));
    expect(opened.status, JSON.stringify(opened.json)).toBe(202);
    expect(opened.json['previews']).toEqual(['prev-pr-7']);
    await waitFor(
      'the preview to launch',
      async () => previewRuns()[0]?.['status'] === 'succeeded',
      120_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${otto.log().slice(-2000)}`);
    });
    expect(previewRuns()[0]).toMatchObject({
      actor: 'webhook:github',
      git_sha: prFirst,
      git_ref: 'feature',
    });
    const labels = JSON.parse(
      (
        await docker(bed, [
          'service',
          'inspect',
          'prev-pr-7_web',
          '--format',
          '{{json .Spec.Labels}}',
        ])
      ).stdout,
    ) as Record<string, string>;
    expect(labels['traefik.http.routers.prev-pr-7-web.rule']).toBe(
      'Host(`pr-7.prev.example.test`)',
    );
    expect(JSON.stringify(labels)).not.toContain('`prev.example.test`');
    expect(await serviceImage(bed, 'prev-pr-7_web')).toBe(bed.images.v2);
    const list = await ws.say('previews prev');
    expect(list.stdout).toContain('prev-pr-7: #7 (feature) at');
    expect(list.stdout).toContain('https://pr-7.prev.example.test');

    // A push to the pull request: launched again at the new head.
    const next = await prRepo.commit(
      {
        'compose.yaml': (await import('yaml')).stringify({
          services: {
            web: webService(bed.images.v1, {
              'x-otternauts': { domains: ['prev.example.test'], port: 8080 },
            }),
          },
        }),
      },
      'Feature: back to v1',
    );
    const pushed = await github('pull_request', pr('synchronize', next));
    expect(pushed.status).toBe(202);
    await waitFor(
      'the preview to launch again',
      async () => previewRuns()[1]?.['status'] === 'succeeded',
      120_000,
    );
    expect(previewRuns()[1]).toMatchObject({ version: 2, git_sha: next });
    expect(await serviceImage(bed, 'prev-pr-7_web')).toBe(bed.images.v1);

    // Closed: the stack and the record go.
    const closed = await github('pull_request', pr('closed', next));
    expect(closed.status).toBe(202);
    await waitFor(
      'the preview to be removed',
      async () => rows(ws.dir, 'select fleet from previews').length === 0,
      120_000,
    );
    const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}}']);
    expect(ls.stdout).not.toContain('prev-pr-7_web');
    expect((await ws.say('previews')).stdout).toContain('No previews in orbit.');
    const audit = rows(
      ws.dir,
      "select command, outcome from audit where actor = 'webhook:github' and command like 'preview%'",
    );
    expect(audit.map((a) => a['command'])).toEqual([
      `preview open prev #7 ${prFirst.slice(0, 7)}`,
      `preview open prev #7 ${next.slice(0, 7)}`,
      `preview close prev #7 ${next.slice(0, 7)}`,
    ]);
  }, 400_000);
});
