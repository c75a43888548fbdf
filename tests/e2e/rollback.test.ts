import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { docker, waitFor } from '../support/testbed.js';
import { OTTO_BIN, TEST_KEY, webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/** The request number in a reply's `Request: #42 by ...` line. */
function requestId(stdout: string): number {
  const m = /Request: #(\d+) by/.exec(stdout);
  if (!m) throw new Error(`no request in: ${stdout}`);
  return Number(m[1]);
}

describe.skipIf(bed === null)('return to base on a real Swarm, behind approvals', () => {
  if (!bed) return;
  const stack = (image: string, color: string) => ({
    services: { web: webService(image, { environment: { COLOR: color } }) },
  });
  const crashing = {
    services: { web: { image: bed.images.v2, command: ['sh', '-c', 'exit 7'] } },
  };
  const ws = workspace(
    bed,
    {
      base: { compose: stack(bed.images.v1, 'blue') },
      brief: { compose: stack(bed.images.v1, 'red'), extra: { approvals: { timeout: 1 } } },
      gated: { compose: stack(bed.images.v1, 'teal'), extra: { approvals: { launch: 1 } } },
      phoenix: {
        compose: stack(bed.images.v1, 'gold'),
        extra: { on_failure: 'rollback', approvals: { rollback: 0 } },
      },
    },
    undefined,
    {
      access: {
        'console:alice': 'deployer',
        'console:bob': 'approver',
        'console:carol': 'approver',
        'console:vera': 'viewer',
        'console:root': 'admin',
      },
    },
  );
  const spec = async (service: string) => {
    const r = await docker(bed, [
      'service',
      'inspect',
      service,
      '--format',
      '{{json .Spec.TaskTemplate.ContainerSpec}}',
    ]);
    return JSON.parse(r.stdout) as { Image: string; Env?: string[]; Args?: string[] };
  };

  afterAll(async () => {
    for (const s of ['base', 'brief', 'phoenix', 'gated']) await docker(bed, ['stack', 'rm', s]);
  });

  it('launches v1 and v2', async () => {
    expect((await ws.say('launch base', { as: 'console:alice' })).stdout).toContain(
      'base v1 is in orbit',
    );
    ws.writeStack('base', stack(bed.images.v2, 'green'));
    expect((await ws.say('launch base', { as: 'console:alice' })).stdout).toContain(
      'base v2 is in orbit',
    );
    expect((await spec('base_web')).Image).toMatch(/^otto-test:v2/);
  });

  it('refuses a viewer, with the role it needs', async () => {
    const r = await ws.say('launch base', { as: 'console:vera' });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      'that needs the deployer role for base, and console:vera has viewer',
    );
  });

  it('asks for approval, refuses self-approval, and returns to v1 once an approver agrees', async () => {
    const ask = await ws.say('rollback base', { as: 'console:carol' });
    expect(ask.code).toBe(0);
    expect(ask.stdout).toContain(
      "Return to base? base v2 → v1 (launched just now by console:alice). Needs a flight director's approval.",
    );
    const id = requestId(ask.stdout);
    expect(ask.stdout).toContain(`[Approve: approve ${id}] [Deny: deny ${id}] [Diff: diff #${id}]`);
    expect((await spec('base_web')).Image).toMatch(/^otto-test:v2/);

    const self = await ws.say(`approve ${id}`, { as: 'console:carol' });
    expect(self.code).toBe(3);
    expect(self.stdout).toContain('so a second person must approve it');

    const ok = await ws.say(`approve ${id}`, { as: 'console:bob' });
    expect(ok.stdout).toContain(`✅ Request ${id} approved by console:bob: return base v2 → v1.`);
    expect(ok.stdout).toContain("Back at base! base runs v1's configuration again, launched as v3");
    expect(ok.code).toBe(0);
    const web = await spec('base_web');
    expect(web.Image).toMatch(/^otto-test:v1/);
    expect(web.Env).toContain('COLOR=blue');

    const again = await ws.say(`approve ${id}`, { as: 'console:root' });
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('was already approved by console:bob');
    expect(again.stdout).toContain('it launched v3');
  });

  it('records the return in history and every command in the audit log', async () => {
    const history = await ws.say('history base', { as: 'console:vera' });
    expect(history.stdout).toMatch(
      /v3 succeeded in [\d.]+ s · console:carol, approved by console:bob · .* UTC \(return to v1\)/,
    );
    expect(history.stdout).toContain('rollback base (to v2)');
    const d = rows(
      ws.dir,
      "select version, status, rollback_of from deployments where fleet = 'base'",
    );
    expect(d).toEqual([
      { version: 1, status: 'succeeded', rollback_of: null },
      { version: 2, status: 'succeeded', rollback_of: null },
      { version: 3, status: 'succeeded', rollback_of: 1 },
    ]);
    const audit = rows(ws.dir, "select actor, command, outcome from audit where fleet = 'base'");
    expect(audit).toEqual(
      expect.arrayContaining([
        { actor: 'console:carol', command: 'rollback base', outcome: 'ok' },
        {
          actor: 'console:carol',
          command: expect.stringMatching(/^approve \d+$/),
          outcome: 'refused',
        },
        { actor: 'console:bob', command: expect.stringMatching(/^approve \d+$/), outcome: 'ok' },
        { actor: 'console:vera', command: 'launch base', outcome: 'refused' },
      ]),
    );
    const r = await ws.say('audit base --limit 2', { as: 'console:vera' });
    expect(r.stdout).toContain('console:vera in cli · history base');
  });

  it('runs a rollback exactly once when two approvals arrive at the same moment', async () => {
    const id = requestId((await ws.say('rollback base 2', { as: 'console:alice' })).stdout);
    const [b, c] = await Promise.all([
      ws.say(`approve ${id}`, { as: 'console:bob' }),
      ws.say(`approve ${id}`, { as: 'console:carol' }),
    ]);
    const winners = [b, c].filter((r) => r.stdout.includes('Back at base!'));
    expect(winners).toHaveLength(1);
    const loser = winners[0] === b ? c : b;
    expect(loser.code).toBe(1);
    expect(loser.stdout).toMatch(/already being carried out|already approved by/);
    const d = rows(
      ws.dir,
      "select version, rollback_of from deployments where fleet = 'base' and version > 3",
    );
    expect(d).toEqual([{ version: 4, rollback_of: 2 }]);
    expect((await spec('base_web')).Image).toMatch(/^otto-test:v2/);
    expect(rows(ws.dir, 'select * from locks')).toHaveLength(0);
  });

  it('denies, and keeps a denied request from running', async () => {
    const id = requestId((await ws.say('rollback base', { as: 'console:alice' })).stdout);
    const deny = await ws.say(`deny ${id} not during the sale`, { as: 'console:bob' });
    expect(deny.code).toBe(0);
    expect(deny.stdout).toContain(`🚫 Request ${id} denied by console:bob (not during the sale)`);
    const late = await ws.say(`approve ${id}`, { as: 'console:carol' });
    expect(late.code).toBe(1);
    expect(late.stdout).toContain('was denied by console:bob');
    expect(rows(ws.dir, "select count(*) as n from deployments where fleet = 'base'")).toEqual([
      { n: 4 },
    ]);
  });

  it('lets a request expire', async () => {
    await ws.say('launch brief', { as: 'console:alice' });
    ws.writeStack('brief', stack(bed.images.v2, 'red'));
    await ws.say('launch brief', { as: 'console:alice' });
    const id = requestId((await ws.say('rollback brief', { as: 'console:alice' })).stdout);
    // Until the request's own expiry time has passed, not for a guessed while.
    await waitFor(
      'the request to run out of time',
      async () => {
        const [row] = rows(ws.dir, `select expires_at from approvals where id = ${id}`);
        return Date.now() > Date.parse(String(row?.['expires_at']));
      },
      60_000,
    );
    const r = await ws.say(`approve ${id}`, { as: 'console:bob' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/expired at .* without enough approvals\. Nothing was changed\./);
    expect(r.stdout).toContain('To ask again: rollback brief 1');
    expect((await spec('brief_web')).Image).toMatch(/^otto-test:v2/);
  });

  it('says in the console when a request expires', async () => {
    const child = execa(
      'node',
      [OTTO_BIN, 'console', '--config', ws.config, '--as', 'console:alice'],
      {
        reject: false,
        env: { OTTO_SECRET_KEY: TEST_KEY },
      },
    );
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stdin?.write('rollback brief\n');
    const deadline = Date.now() + 20_000;
    while (!out.includes('⌛') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    child.stdin?.end('exit\n');
    await child;
    expect(out).toMatch(
      /⌛ Request \d+ \(return brief v2 → v1\) expired at .* without enough approvals/,
    );
  });

  it('keeps a locked fleet still: launch, rollback and approvals wait', async () => {
    const id = requestId((await ws.say('rollback base 1', { as: 'console:alice' })).stdout);
    const lock = await ws.say('lock base load test', { as: 'console:alice' });
    expect(lock.stdout).toContain('🔒 base is locked by console:alice');
    const launch = await ws.say('launch base', { as: 'console:root' });
    expect(launch.code).toBe(1);
    expect(launch.stdout).toContain('Fleet base is locked by console:alice');
    const approve = await ws.say(`approve ${id}`, { as: 'console:bob' });
    expect(approve.code).toBe(1);
    expect(approve.stdout).toContain('Your approval is recorded');
    expect((await ws.say('unlock base', { as: 'console:bob' })).code).toBe(3);
    expect((await ws.say('unlock base', { as: 'console:alice' })).code).toBe(0);
    const after = await ws.say(`approve ${id}`, { as: 'console:bob' });
    expect(after.stdout).toContain('Back at base!');
    expect((await spec('base_web')).Image).toMatch(/^otto-test:v1/);
  });

  it('launches what was approved when launches need approval, not a later edit', async () => {
    const ask = await ws.say('launch gated', { as: 'console:alice' });
    expect(ask.stdout).toContain(
      "Launch gated? Otto holds the compose file as read now for approval. Needs a flight director's approval.",
    );
    ws.writeStack('gated', stack(bed.images.v2, 'pink'));
    const ok = await ws.say(`approve ${requestId(ask.stdout)}`, { as: 'console:bob' });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Launch successful! gated v1 is in orbit');
    const web = await spec('gated_web');
    expect(web.Image).toMatch(/^otto-test:v1/);
    expect(web.Env).toContain('COLOR=teal');
  });

  it('returns to the last good version by itself when on_failure is rollback', async () => {
    await ws.say('launch phoenix', { as: 'console:alice' });
    ws.writeStack('phoenix', crashing);
    const r = await ws.say('launch phoenix', { as: 'console:alice' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Launch of phoenix v2 failed');
    expect(r.stderr).toContain('returning phoenix to base (v1)');
    expect(r.stdout).toContain(
      "on_failure is rollback: Otto returned phoenix to base. v1's configuration is in orbit again as v3.",
    );
    const web = await spec('phoenix_web');
    expect(web.Image).toMatch(/^otto-test:v1/);
    expect(web.Env).toContain('COLOR=gold');
    expect(
      rows(ws.dir, "select version, status, rollback_of from deployments where fleet = 'phoenix'"),
    ).toEqual([
      { version: 1, status: 'succeeded', rollback_of: null },
      { version: 2, status: 'failed', rollback_of: null },
      { version: 3, status: 'succeeded', rollback_of: 1 },
    ]);
  });

  it('returns at once when the fleet needs no approval for rollbacks', async () => {
    const r = await ws.say('rollback phoenix 1', { as: 'console:alice' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "Back at base! phoenix runs v1's configuration again, launched as v4",
    );
    expect(rows(ws.dir, "select count(*) as n from approvals where fleet = 'phoenix'")).toEqual([
      { n: 0 },
    ]);
  });
});
