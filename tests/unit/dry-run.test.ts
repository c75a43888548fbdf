import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { neededRole } from '../../src/commands/access.js';
import { COMMANDS } from '../../src/commands/catalog.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { MAX_RENDER_LINES, renderFleet } from '../../src/commands/dry-run.js';
import { RATES } from '../../src/commands/rate-limit.js';
import { UnreachableError } from '../../src/errors.js';
import type { Ops } from '../../src/ops/ops.js';
import { stackConfig } from '../../src/swarm/argv.js';
import { failed, ok, RecordingTransport } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

// `launch <fleet> --dry-run` against a recording manager, kamal-style: the only
// command sent is `docker stack config -c -` with the rendered file on stdin;
// nothing is locked, recorded or launched; no secret value reaches the reply.

/** The secret, with a `$` that the rendered file doubles for the remote docker CLI. */
const SECRET = 'hunter2-$ecret-value';
const V1 = 'services:\n  web:\n    image: nginx:1\n    environment:\n      API_KEY: ${API_KEY}\n';
const V2 =
  'services:\n  web:\n    image: nginx:2\n    environment:\n      API_KEY: ${API_KEY}\n      PRICE: "$$5"\n';
/** More services than a chat reply shows lines of. */
const BIG = `services:\n${Array.from({ length: 60 }, (_, i) => `  s${i}:\n    image: nginx:${i}\n`).join('')}`;

const manager = new RecordingTransport();
let ops: Ops;
const as = (actor: string) => ({ actor, channel: 'test', platform: 'console' as const });
const vera = as('console:vera');
const dave = as('console:dave');

/** Everything a launch would leave behind: deployments, locks, approval requests. */
async function traces() {
  const count = async (table: 'deployments' | 'locks' | 'approvals') =>
    (await ops.db.selectFrom(table).selectAll().execute()).length;
  return {
    deployments: await count('deployments'),
    locks: await count('locks'),
    approvals: await count('approvals'),
  };
}

beforeAll(async () => {
  ops = await testOps(
    {
      clusters: { laptop: { local: true } },
      access: { 'console:vera': 'viewer', 'console:dave': 'deployer' },
      fleets: {
        web: { cluster: 'laptop', compose_file: 'stacks/web.yml' },
        big: { cluster: 'laptop', compose_file: 'stacks/big.yml' },
        bare: { cluster: 'laptop', compose_file: 'stacks/bare.yml' },
      },
    },
    {
      files: { 'stacks/web.yml': V2, 'stacks/big.yml': BIG, 'stacks/bare.yml': V1 },
      transport: manager,
    },
  );
  await ops.secrets.set('web', 'API_KEY', SECRET);
  const d = await ops.deployments.start({
    fleet: 'web',
    actor: 'console:dave',
    composeSnapshot: V1,
  });
  await ops.deployments.finish(d, 'succeeded', null);
});
afterAll(async () => {
  await ops.close();
});
beforeEach(() => {
  manager.calls.length = 0;
  manager.on('stack config', ok('services:\n  web:\n    image: nginx:2\n'));
});

describe('launch --dry-run', () => {
  it('sends only docker stack config, with the rendered file on stdin, and changes nothing', async () => {
    const before = await traces();
    const r = await dispatch(ops, 'launch web --dry-run', vera);
    expect(manager.argvs()).toEqual([stackConfig()]);
    expect(manager.argvs()).toEqual([['docker', 'stack', 'config', '-c', '-']]);
    // Exactly what `docker stack deploy -c -` would read: the secret filled in, `$` doubled.
    const stdin = manager.calls[0]?.stdin ?? '';
    expect(stdin).toContain('API_KEY: hunter2-$$ecret-value');
    expect(stdin).toContain('PRICE: $$5');
    expect(r.outcome).toBe('ok');
    expect(r.text).toBe(
      'Dry run of launch web: Otto renders stacks/web.yml and Docker accepts it (docker stack config on recording). Nothing was locked, deployed or recorded.',
    );
    const block = r.block ?? [];
    expect(block[0]).toBe('# What launch web would send (secret values masked):');
    expect(block).toContain('    image: nginx:2');
    expect(block).toContain('      API_KEY: ••••••(API_KEY)');
    // What the service gets: `$$5` in the file is `$5`.
    expect(block).toContain('      PRICE: $5');
    expect(block).toContain(
      '# Changes from web v1 (running, succeeded) to stacks/web.yml (secret values masked):',
    );
    expect(block).toContain('-    image: nginx:1');
    expect(block).toContain('+    image: nginx:2');
    expect(JSON.stringify(r)).not.toContain('hunter2');
    // A viewer is not offered a launch they may not run.
    expect(r.buttons ?? []).toEqual([]);
    expect(await traces()).toEqual(before);
    expect(await ops.deployments.latest('web')).toMatchObject({ version: 1 });
    // Audited as the read it is, not as a launch.
    const [entry] = await ops.audit.list({ fleet: 'web', limit: 1 });
    expect(entry).toMatchObject({
      actor: 'console:vera',
      command: 'launch web --dry-run',
      outcome: 'ok',
      summary: r.text,
    });
  });

  it('lets a viewer dry-run but not launch, and offers a deployer the launch', async () => {
    const launch = await dispatch(ops, 'launch web', vera);
    expect(launch.outcome).toBe('refused');
    expect(launch.text).toContain(
      "console:vera can't run launch for web: that needs the deployer role",
    );
    expect(manager.calls).toEqual([]);
    const stranger = await dispatch(ops, 'launch web --dry-run', as('console:nobody'));
    expect(stranger.outcome).toBe('refused');
    expect(stranger.text).toContain("it can't run launch --dry-run for web");
    expect(manager.calls).toEqual([]);
    const deployer = await dispatch(ops, 'launch web --dry-run', dave);
    expect(deployer.buttons).toEqual([
      { label: 'Launch', command: 'launch web', style: 'primary' },
    ]);
    expect(neededRole(COMMANDS['launch']!, {})).toBe('deployer');
    expect(neededRole(COMMANDS['launch']!, { 'dry-run': 'true' })).toBe('viewer');
  });

  it('reads --dry-run as a switch: a value after it is a usage error that shows the right order', async () => {
    const r = await dispatch(ops, 'launch --dry-run web', vera);
    expect(r).toMatchObject({
      outcome: 'usage',
      text: '--dry-run takes no value. Usage: launch <fleet> [service=image-or-tag …] [--ref <branch|tag|sha>] [--dry-run]',
      fix: 'Put it last: launch web --dry-run',
    });
    expect(manager.calls).toEqual([]);
    expect(await dispatch(ops, 'launch web --dry-run=false', vera)).toMatchObject({
      outcome: 'usage',
      fix: 'For example: launch myapp',
    });
  });

  it("shows Docker's refusal, masked, and says a launch would fail", async () => {
    manager.on(
      'stack config',
      failed(
        `services.web Additional property imagee is not allowed\nservices.web.environment.API_KEY: "hunter2-$$ecret-value" is odd\n`,
      ),
    );
    const r = await dispatch(ops, 'launch web --dry-run', vera);
    expect(r.outcome).toBe('failed');
    expect(r.text).toContain('but Docker refuses it (docker stack config on recording)');
    expect(r.text).toContain(
      'Docker says: services.web Additional property imagee is not allowed\nservices.web.environment.API_KEY: "••••••" is odd',
    );
    expect(r.fix).toBe(
      'Fix stacks/web.yml where Docker says, then check again: launch web --dry-run',
    );
    expect(r.block).toContain('    image: nginx:2');
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(r.buttons ?? []).toEqual([]);
  });

  it('says when the manager’s docker CLI is too old to check a file', async () => {
    manager.on(
      'stack config',
      failed(`docker: 'stack config' is not a docker command.\nSee 'docker --help'\n`),
    );
    const r = await dispatch(ops, 'launch web --dry-run', vera);
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain(
      'the docker CLI on recording is too old to check a file without deploying',
    );
    expect(r.fix).toContain('Upgrade Docker on the managers of cluster laptop (20.10 or newer)');
    expect(r.block).toContain('    image: nginx:2');
  });

  it('still shows the render when the manager cannot be reached', async () => {
    manager.on('stack config', () => {
      throw new UnreachableError(
        'deploy@10.0.0.1:22',
        'refused',
        'Otto could not connect to deploy@10.0.0.1:22: connection refused.',
        'Check that sshd runs there.',
      );
    });
    const r = await dispatch(ops, 'launch web --dry-run', vera);
    expect(r.outcome).toBe('failed');
    expect(r.text).toContain(
      'could not reach the manager to ask Docker about it; the render is still shown.',
    );
    expect(r.text).toContain('connection refused');
    expect(r.fix).toBe('Check that sshd runs there.');
    expect(r.block).toContain('      API_KEY: ••••••(API_KEY)');
  });

  it('refuses before sending anything when a launch would be refused (a secret not set)', async () => {
    const r = await dispatch(ops, 'launch bare --dry-run', vera);
    expect(r.outcome).toBe('failed');
    expect(r.text).toContain('needs secrets that are not set: API_KEY');
    expect(manager.calls).toEqual([]);
  });

  it('cuts a long render in chat and points to otto render for the whole file', async () => {
    const r = await dispatch(ops, 'launch big --dry-run', vera);
    const block = r.block ?? [];
    const cut = block.find((l) => l.startsWith('# … '));
    expect(cut).toBe(
      `# … ${121 - MAX_RENDER_LINES} more lines: run \`otto render big\` for the whole file.`,
    );
    expect(block.indexOf(cut!)).toBe(MAX_RENDER_LINES + 1);
    expect(block).toContain(
      '# Changes from big (never launched) to stacks/big.yml (secret values masked):',
    );
  });

  it('limits dry runs per person: each one asks a manager over SSH', async () => {
    const { burst } = RATES.dryRun;
    const replies = [];
    for (let i = 0; i < burst + 1; i++)
      replies.push(await dispatch(ops, 'launch web --dry-run', as('console:dave')));
    const refused = replies.at(-1)!;
    expect(refused.outcome).toBe('failed');
    expect(refused.text).toContain(
      "console:dave asked for launch --dry-run 20 times a minute, Otto's limit per person",
    );
    expect(refused.fix).toMatch(/^Try again in \d+ s\.$/);
  });
});

describe('otto render (renderFleet)', () => {
  it('gives the whole masked file, the whole diff and the verdict', async () => {
    const r = await renderFleet(ops, { actor: 'console:vera', groups: [] }, 'big');
    expect(r.dry.display.split('\n')).toHaveLength(122);
    expect(r.dry.verdict).toEqual({ kind: 'accepted' });
    expect(r.changes?.lines.length).toBeGreaterThan(MAX_RENDER_LINES);
    expect(manager.argvs()).toEqual([stackConfig()]);
  });

  it('offline, asks nothing of the Swarm', async () => {
    const r = await renderFleet(ops, { actor: 'console:vera', groups: [] }, 'web', {
      offline: true,
    });
    expect(manager.calls).toEqual([]);
    expect(r.dry.verdict).toEqual({ kind: 'offline' });
    expect(r.changes).toBeUndefined();
    expect(r.dry.display).toContain('API_KEY: ••••••(API_KEY)');
    expect(r.dry.display).not.toContain('hunter2');
  });

  it('needs the viewer role', async () => {
    await expect(
      renderFleet(ops, { actor: 'console:nobody', groups: [] }, 'web', { offline: true }),
    ).rejects.toThrow("Otto doesn't know console:nobody yet, so it can't render web.");
  });
});
