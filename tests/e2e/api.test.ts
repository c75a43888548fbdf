import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { docker, serviceImage, waitFor } from '../support/testbed.js';
import { webService, type Workspace, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/**
 * Otto's HTTP API for CI against `otto start` and the real Swarm: tokens made with
 * `otto token create` (shown once, stored as a hash), launches that answer at once
 * (202) or wait for convergence (`?wait=true`, 422 when the launch fails), images
 * given, roles and fleet limits, bad requests, revocation, the audit.
 */
describe.skipIf(bed === null)('the HTTP API for CI', () => {
  if (!bed) return;
  let ws: Workspace;
  let otto: OttoProcess;
  let base = '';
  let ci = '';
  let watcher = '';

  beforeAll(async () => {
    ws = workspace(
      bed,
      {
        api: {
          compose: { services: { web: webService(bed.images.v1) } },
          extra: { images: { web: 'otto-test:*' } },
        },
        crashy: {
          compose: { services: { web: { image: bed.images.v1, command: ['sh', '-c', 'exit 3'] } } },
          converge_timeout: 60,
        },
        gated: {
          compose: { services: { web: webService(bed.images.v1) } },
          extra: { approvals: { launch: 1 } },
        },
        other: { compose: { services: { web: webService(bed.images.v1) } } },
      },
      undefined,
      { http: { port: 0 } },
    );
    const made = await ws.otto([
      ...['token', 'create', 'ci', '--role', 'deployer'],
      ...['--fleet', 'api', '--fleet', 'crashy', '--fleet', 'gated'],
    ]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const lines = made.stdout.trimEnd().split('\n');
    ci = lines.at(-1)!;
    expect(ci).toMatch(/^otto_ci_[A-Za-z0-9_-]{43}$/);
    expect(lines[0]).toBe('🔑 Token ci made: token:ci acts as deployer on api, crashy, gated.');
    watcher = (await ws.otto(['token', 'create', 'watcher', '--role', 'viewer'])).stdout
      .trimEnd()
      .split('\n')
      .at(-1)!;
    // Only the hash is kept.
    const stored = rows(ws.dir, 'select name, hash from api_tokens order by name');
    expect(stored.map((r) => r['name'])).toEqual(['ci', 'watcher']);
    expect(JSON.stringify(stored)).not.toContain(ci.slice(8));
    otto = startOtto(ws.config, ws.dir);
    await otto.waitForLog("Otto's HTTP API listens on 127.0.0.1:");
    const port = /HTTP API listens on 127\.0\.0\.1:(\d+)/.exec(otto.log())?.[1];
    base = `http://127.0.0.1:${port}`;
  }, 120_000);

  afterAll(async () => {
    await otto?.stop();
    await docker(bed, ['stack', 'rm', 'api', 'crashy', 'gated']);
  });

  const call = async (
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; raw?: string } = {},
  ) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        'content-type': 'application/json',
      },
      ...(opts.raw !== undefined
        ? { body: opts.raw }
        : opts.body !== undefined
          ? { body: JSON.stringify(opts.body) }
          : {}),
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const image = (service: string) => serviceImage(bed, service);

  it('refuses a call without a valid token, and logs it', async () => {
    for (const token of [undefined, 'otto_ci_' + 'A'.repeat(43), 'nonsense']) {
      const r = await call('POST', '/api/v1/launch', {
        ...(token ? { token } : {}),
        body: { fleet: 'api' },
      });
      expect(r.status).toBe(401);
      expect(r.json['text']).toBe('Otto needs a valid API token: Authorization: Bearer <token>');
    }
    await otto.waitForLog('otto http: 401 POST /api/v1/launch');
    expect(rows(ws.dir, "select * from deployments where fleet = 'api'")).toEqual([]);
  });

  it('a launch answers once recorded (202), then converges in Otto', async () => {
    const r = await call('POST', '/api/v1/launch', { token: ci, body: { fleet: 'api' } });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    expect(r.json['deployment']).toMatchObject({ fleet: 'api', version: 1, status: 'deploying' });
    await waitFor(
      'api v1 to finish',
      async () =>
        rows(ws.dir, "select status from deployments where fleet = 'api'")[0]?.['status'] ===
        'succeeded',
      120_000,
    );
  }, 180_000);

  it('?wait=true answers when converged, with the images given', async () => {
    const r = await call('POST', '/api/v1/launch?wait=true', {
      token: ci,
      body: { fleet: 'api', images: { web: 'v2' } },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json['outcome']).toBe('ok');
    expect(String(r.json['text'])).toContain('Launch successful! api v2 is in orbit');
    expect(String(r.json['text'])).toContain('Images given: web=v2.');
    expect(r.json['deployment']).toMatchObject({ fleet: 'api', version: 2, status: 'succeeded' });
    expect(await image('api_web')).toBe('otto-test:v2');
  }, 180_000);

  it('?wait=true fails (422) when the launch fails: a crash-looping service', async () => {
    const r = await call('POST', '/api/v1/launch?wait=true', {
      token: ci,
      body: { fleet: 'crashy' },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(422);
    expect(r.json['outcome']).toBe('failed');
    expect(String(r.json['text'])).toContain('Launch of crashy v1 failed');
    expect(r.json['deployment']).toMatchObject({ fleet: 'crashy', version: 1, status: 'failed' });
  }, 180_000);

  it('a launch that needs approval is accepted (202) with its request', async () => {
    const r = await call('POST', '/api/v1/launch', { token: ci, body: { fleet: 'gated' } });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    expect(r.json['approval']).toEqual(expect.any(Number));
    expect(String(r.json['text'])).toMatch(/^Launch gated\? Otto holds the compose file/);
    // A return needs a second person by default: the same.
    const back = await call('POST', '/api/v1/rollback', {
      token: ci,
      body: { fleet: 'api', version: 1 },
    });
    expect(back.status, JSON.stringify(back.json)).toBe(202);
    expect(String(back.json['text'])).toMatch(/^Return to base\? api v2 → v1/);
  });

  it('roles and fleet limits: a viewer reads but may not launch; ci may not touch other fleets', async () => {
    const view = await call('GET', '/api/v1/status/api', { token: watcher });
    expect(view.status).toBe(200);
    expect(view.json['outcome']).toBe('ok');
    const launch = await call('POST', '/api/v1/launch', { token: watcher, body: { fleet: 'api' } });
    expect(launch.status).toBe(403);
    const other = await call('POST', '/api/v1/launch', { token: ci, body: { fleet: 'other' } });
    expect(other.status).toBe(403);
    expect(rows(ws.dir, "select * from deployments where fleet = 'other'")).toEqual([]);
  });

  it('bad requests: unknown keys, not JSON, too large, unknown routes, bad images', async () => {
    const extra = await call('POST', '/api/v1/launch', {
      token: ci,
      body: { fleet: 'api', command: 'rm -rf /' },
    });
    expect(extra.status).toBe(400);
    const notJson = await call('POST', '/api/v1/launch', { token: ci, raw: '{fleet: api' });
    expect(notJson.status).toBe(400);
    expect(notJson.json['text']).toBe('the body is not JSON');
    const big = await call('POST', '/api/v1/launch', {
      token: ci,
      raw: JSON.stringify({ fleet: 'api', pad: 'x'.repeat(1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    const route = await call('DELETE', '/api/v1/launch', { token: ci });
    expect(route.status).toBe(404);
    const evil = await call('POST', '/api/v1/launch', {
      token: ci,
      body: { fleet: 'api', images: { web: 'docker.io/evil/miner:1' } },
    });
    expect(evil.status).toBe(403);
    expect(String(evil.json['text'])).toContain('is not an image web of api may run');
  });

  it('every call is in the audit as token:<name>; a revoked token is refused', async () => {
    const audit = rows(
      ws.dir,
      "select actor, command, outcome from audit where actor like 'token:%'",
    );
    expect(audit).toContainEqual({ actor: 'token:ci', command: 'launch api', outcome: 'ok' });
    expect(audit).toContainEqual({
      actor: 'token:watcher',
      command: 'launch api',
      outcome: 'refused',
    });
    const revoked = await ws.otto(['token', 'revoke', 'watcher']);
    expect(revoked.code).toBe(0);
    const r = await call('GET', '/api/v1/status/api', { token: watcher });
    expect(r.status).toBe(401);
    const list = await ws.otto(['token', 'list']);
    expect(list.stdout).toContain('ci: deployer on api, crashy, gated');
    expect(list.stdout).not.toContain('watcher');
    expect(list.stdout).not.toContain(ci);
  });

  it('serves /healthz and /metrics without a token', async () => {
    const h = await fetch(`${base}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({
      status: expect.stringMatching(/^(ok|degraded)$/),
      checks: { database: { ok: true }, clusters: { swarm: { ok: expect.anything() } } },
    });
    const m = await fetch(`${base}/metrics`);
    expect(m.headers.get('content-type')).toContain('text/plain');
    const text = await m.text();
    expect(text).toMatch(/^otto_launches_total\{fleet="api",outcome="succeeded"\} [1-9]/m);
    expect(text).toMatch(/^otto_launches_total\{fleet="crashy",outcome="failed"\} [1-9]/m);
    expect(text).toMatch(/^otto_ssh_channels_in_use\{target="[^"]+"\} \d+$/m);
    expect(text).toContain('# HELP otto_open_incidents');
  });
});
