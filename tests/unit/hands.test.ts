import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import { parseScale } from '../../src/commands/hands.js';
import type { Reply } from '../../src/commands/types.js';
import type { Ops } from '../../src/ops/ops.js';
import { serviceRestart, serviceScale } from '../../src/swarm/argv.js';
import { requestId } from '../support/policy-fixture.js';
import { failed, ok, RecordingTransport } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

// restart and scale against a recording fake manager that keeps a little Swarm:
// the exact docker calls, the lock on every path, the operations they record, the
// refusals, and a scale behind approvals.

interface FakeService {
  replicas: number | 'global';
  force: number;
  index: number;
  tasks: { id: string; slot: number; desired: 'Running' | 'Shutdown' }[];
  /** Polls left before a forced update completes (its tasks are then replaced). */
  updating: number;
  /** The update stays `updating` for ever (until Otto stops). */
  stuck: boolean;
  /** The next update pauses, as Swarm does when new tasks fail. */
  pause: boolean;
  status: string | undefined;
}

let taskSeq = 0;
const newTask = (slot: number) => ({ id: `t${++taskSeq}`, slot, desired: 'Running' as const });

/** A Swarm of services `<fleet>_<service>`, answering inspect, ps, update and logs. */
class FakeSwarm {
  readonly services = new Map<string, FakeService>();
  /** Called when an update arrives (a test stops Otto there). */
  onUpdate: (() => void) | undefined;
  /** Docker's stderr for the next update, which it refuses. */
  refuseNext: string | undefined;
  readonly transport = new RecordingTransport({
    'service inspect': (argv) => this.inspect(argv.slice(argv.indexOf('--') + 1)),
    'service ps': (argv) => this.ps(argv.slice(argv.indexOf('--') + 1)),
    'service update': (argv) => this.update(argv),
    'service logs': ok('shop_web.1@n1    | panic: the database is gone\n'),
  });

  add(name: string, replicas: number | 'global'): void {
    const n = replicas === 'global' ? 2 : replicas;
    this.services.set(name, {
      replicas,
      force: 0,
      index: 10,
      tasks: Array.from({ length: n }, (_, i) => newTask(i + 1)),
      updating: 0,
      stuck: false,
      pause: false,
      status: 'completed',
    });
  }

  taskIds(name: string): string[] {
    return this.services
      .get(name)!
      .tasks.filter((t) => t.desired === 'Running')
      .map((t) => t.id);
  }

  private inspect(names: readonly string[]) {
    const found = names.flatMap((name) => {
      const s = this.services.get(name);
      if (!s) return [];
      if (s.updating > 0 && !s.stuck) {
        s.updating--;
        if (s.updating === 0) {
          s.tasks = s.tasks.map((t) => (t.desired === 'Running' ? newTask(t.slot) : t));
          s.status = 'completed';
        }
      }
      return [
        {
          ID: name,
          Version: { Index: s.index },
          Spec: {
            Name: name,
            Mode:
              s.replicas === 'global' ? { Global: {} } : { Replicated: { Replicas: s.replicas } },
            TaskTemplate: { ContainerSpec: { Image: 'otto-test:v1' }, ForceUpdate: s.force },
          },
          ...(s.status ? { UpdateStatus: { State: s.status, Message: 'update paused' } } : {}),
        },
      ];
    });
    const missing = names.filter((n) => !this.services.has(n));
    return {
      exitCode: missing.length ? 1 : 0,
      stdout: JSON.stringify(found),
      stderr: missing.map((n) => `Error: no such service: ${n}`).join('\n'),
    };
  }

  private ps(names: readonly string[]) {
    const lines = names.flatMap((name) =>
      (this.services.get(name)?.tasks ?? []).map((t) =>
        JSON.stringify({
          ID: t.id,
          Name: `${name}.${t.slot}`,
          Image: 'otto-test:v1',
          Node: 'n1',
          DesiredState: t.desired,
          CurrentState: t.desired === 'Running' ? 'Running 3 seconds ago' : 'Shutdown 1 second ago',
          Error: '',
        }),
      ),
    );
    return ok(lines.join('\n'));
  }

  private update(argv: readonly string[]) {
    const name = argv[argv.length - 1]!;
    const s = this.services.get(name);
    if (!s) return failed(`Error: no such service: ${name}`);
    if (this.refuseNext) {
      const stderr = this.refuseNext;
      this.refuseNext = undefined;
      return failed(stderr);
    }
    this.onUpdate?.();
    s.index++;
    const r = argv.indexOf('--replicas');
    if (r >= 0) {
      const n = Number(argv[r + 1]);
      const live = s.tasks.filter((t) => t.desired === 'Running');
      for (const t of live.slice(n)) t.desired = 'Shutdown';
      for (let slot = live.length + 1; slot <= n; slot++) s.tasks.push(newTask(slot));
      s.replicas = n;
      return ok(name);
    }
    s.force++;
    // Swarm resets the update status with the new spec; the updater then says updating.
    s.status = s.pause ? 'paused' : 'updating';
    s.updating = s.pause ? 0 : 2;
    return ok(name);
  }
}

const STACK = 'services:\n  web:\n    image: otto-test:v1\n  worker:\n    image: otto-test:v1\n';

describe('restart and scale', () => {
  const swarm = new FakeSwarm();
  let ops: Ops;
  let progress: Reply[] = [];
  const say = (text: string, actor = 'console:alice', signal?: AbortSignal) =>
    dispatch(
      ops,
      text,
      { actor, channel: 'cli', platform: 'cli' },
      { progress: (r) => progress.push(r), ...(signal ? { signal } : {}) },
    );
  const ops_ = (fleet: string) =>
    ops.db.selectFrom('operations').selectAll().where('fleet', '=', fleet).orderBy('id').execute();
  const sent = (verb: string) => swarm.transport.calls.filter((c) => c.argv.includes(verb));

  beforeAll(async () => {
    ops = await testOps(
      {
        clusters: { laptop: { local: true } },
        access: {
          'console:alice': 'deployer',
          'console:bob': 'approver',
          'console:carol': 'approver',
          'console:vera': 'viewer',
        },
        fleets: {
          shop: {
            cluster: 'laptop',
            compose_file: 'stacks/shop.yml',
            settle_seconds: 0,
            converge_timeout: 30,
          },
          gated: {
            cluster: 'laptop',
            compose_file: 'stacks/gated.yml',
            settle_seconds: 0,
            approvals: { scale: 1 },
          },
          fresh: { cluster: 'laptop', compose_file: 'stacks/fresh.yml' },
        },
      },
      {
        files: { 'stacks/shop.yml': STACK, 'stacks/gated.yml': STACK, 'stacks/fresh.yml': STACK },
        transport: swarm.transport,
      },
    );
    for (const fleet of ['shop', 'gated']) {
      const d = await ops.deployments.start({
        fleet,
        actor: 'console:alice',
        composeSnapshot: STACK,
      });
      await ops.deployments.finish(d, 'succeeded', null);
    }
    swarm.add('shop_web', 2);
    swarm.add('shop_agent', 'global');
    swarm.add('gated_web', 2);
  });
  afterAll(async () => {
    await ops.close();
  });
  beforeEach(() => {
    progress = [];
    swarm.transport.calls.length = 0;
  });

  it('restarts: checks the service, locks, forces an update and waits for it to complete', async () => {
    const before = swarm.taskIds('shop_web');
    const r = await say('restart shop web');
    expect(r.outcome).toBe('ok');
    expect(r.text).toMatch(
      /^🔁 Restart complete! shop web runs 2 fresh tasks \([\d.]+ s\)\.\nNo new version: shop stays at v1\.$/,
    );
    expect(r.fields).toEqual([{ label: 'web', value: '🟢 2/2 running' }]);
    // A look before the lock, a look under it, the update, then polls until it completed.
    expect(swarm.transport.verbs().slice(0, 5)).toEqual([
      'service inspect',
      'service ps',
      'service inspect',
      'service ps',
      'service update',
    ]);
    expect(sent('update').map((c) => c.argv)).toEqual([serviceRestart('shop_web')]);
    expect(swarm.transport.verbs().filter((v) => v === 'service inspect').length).toBeGreaterThan(
      3,
    );
    expect(swarm.taskIds('shop_web').some((id) => before.includes(id))).toBe(false);
    // One message, edited: the stages, then the service's line as launch draws it.
    expect(progress[0]?.text).toBe('Securing the launch pad for shop (restart web)...');
    expect(progress.map((p) => p.text)).toContain(
      'shop web: the Swarm is replacing its tasks, batch by batch as its update_config says...',
    );
    expect(progress.some((p) => p.fields?.[0]?.value === '🔄 2/2 updating')).toBe(true);
    expect(await ops.locks.get('shop')).toBeUndefined();
    const [op] = await ops_('shop');
    expect(op).toMatchObject({
      kind: 'restart',
      service: 'web',
      detail: '',
      actor: 'console:alice',
      status: 'succeeded',
      reason: null,
    });
    expect(op?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('scales up and down, with the change recorded and no new version', async () => {
    const up = await say('scale shop web=4');
    expect(up.outcome).toBe('ok');
    expect(up.text).toMatch(
      /^⚖️ Scale complete! shop web runs 4 replicas, was 2 \([\d.]+ s\)\. The next launch of shop sets the compose file's replicas again\.\nNo new version: shop stays at v1\.$/,
    );
    expect(up.fields).toEqual([{ label: 'web', value: '🟢 4/4 running' }]);
    expect(sent('update').map((c) => c.argv)).toEqual([serviceScale('shop_web', 4)]);
    const down = await say('scale shop web=1');
    expect(down.text).toContain('shop web runs 1 replica, was 4');
    const zero = await say('scale shop web=0');
    expect(zero.text).toContain('shop web runs 0 replicas, was 1');
    expect(zero.fields).toEqual([{ label: 'web', value: '🟢 0/0 running' }]);
    await say('scale shop web=2');
    const rows = (await ops_('shop')).filter((o) => o.kind === 'scale');
    expect(rows.map((o) => [o.detail, o.status])).toEqual([
      ['replicas 2 → 4', 'succeeded'],
      ['replicas 4 → 1', 'succeeded'],
      ['replicas 1 → 0', 'succeeded'],
      ['replicas 0 → 2', 'succeeded'],
    ]);
    expect(await ops.deployments.latest('shop')).toMatchObject({ version: 1 });
  });

  it('says so when the service already runs that many, and sends nothing', async () => {
    const r = await say('scale shop web=2');
    expect(r).toMatchObject({
      outcome: 'ok',
      text: 'shop web already runs 2 replicas. Nothing was changed.',
    });
    expect(sent('update')).toEqual([]);
  });

  it('reads service=replicas, from 0 to 100', () => {
    expect(parseScale('web=0')).toEqual({ service: 'web', replicas: 0 });
    expect(parseScale('api_v2=100')).toEqual({ service: 'api_v2', replicas: 100 });
    expect(() => parseScale('web=101')).toThrow(/at most 100 replicas from chat/);
    expect(() => parseScale('web=-1')).toThrow(/is not service=replicas/);
    expect(() => parseScale('web')).toThrow(/is not service=replicas/);
    expect(() => parseScale('-x=2')).toThrow(/is not service=replicas/);
  });

  it('refuses before locking: a global service, one not in the Swarm, an unknown name, a viewer', async () => {
    const global = await say('scale shop agent=3');
    expect(global.outcome).toBe('failed');
    expect(global.text).toBe(
      'shop agent is a global service: Swarm runs one task of it on every eligible node, so it has no replica count to scale. Nothing was changed.',
    );
    expect(global.fix).toContain('restart shop agent');
    const gone = await say('restart shop worker');
    expect(gone.text).toBe(
      'shop worker is not in the Swarm (no service shop_worker), so there is nothing to restart. Nothing was changed.',
    );
    expect(gone.fix).toBe('Launch the fleet first: launch shop. Then check status shop.');
    const typo = await say('restart shop wbe');
    expect(typo.text).toBe(
      'Fleet shop has no service named wbe. Did you mean web? Nothing was changed.',
    );
    expect(typo.fix).toBe('Its services: web, worker.');
    const never = await say('scale fresh web=2');
    expect(never.text).toBe(
      'fresh has not been launched yet, so there is no web to scale. Nothing was changed.',
    );
    expect(never.fix).toBe('Launch it first: launch fresh');
    const viewer = await say('restart shop web', 'console:vera');
    expect(viewer.outcome).toBe('refused');
    expect(sent('update')).toEqual([]);
    expect(await ops.locks.list()).toEqual([]);
    expect((await ops_('shop')).filter((o) => o.service !== 'web')).toEqual([]);
  });

  it('refuses while another holds the lock, and leaves that lock alone', async () => {
    await ops.locks.acquire('shop', 'console:root', 'database migration', { manual: true });
    const r = await say('restart shop web');
    expect(r.outcome).toBe('failed');
    expect(r.text).toContain('Fleet shop is locked by console:root');
    expect(sent('update')).toEqual([]);
    expect(await ops.locks.get('shop')).toMatchObject({ holder: 'console:root' });
    await ops.db.deleteFrom('locks').execute();
  });

  it('records a refused update as failed, releases the lock, and says what to do', async () => {
    swarm.refuseNext = 'Error response from daemon: rpc error: out of sequence';
    const r = await say('scale shop web=3');
    expect(r.outcome).toBe('failed');
    expect(r.text).toBe(
      'Scale of shop web to 3 replicas failed: Docker refused to scale shop_web: Error response from daemon: rpc error: out of sequence',
    );
    expect(r.fix).toBe(
      'Check the transmissions with: logs shop web. The Swarm keeps asking for 3 replicas; to go back: scale shop web=2.',
    );
    expect(r.buttons?.map((b) => b.command)).toEqual([
      'logs shop web',
      'scale shop web=2',
      'status shop',
      'history shop',
    ]);
    expect(await ops.locks.get('shop')).toBeUndefined();
    const last = (await ops_('shop')).at(-1);
    expect(last).toMatchObject({ kind: 'scale', detail: 'replicas 2 → 3', status: 'failed' });
    expect(last?.reason).toContain('out of sequence');
  });

  it('fails a restart that Swarm paused, with the last transmissions, Logs and Status', async () => {
    swarm.services.get('shop_web')!.pause = true;
    const r = await say('restart shop web');
    swarm.services.get('shop_web')!.pause = false;
    swarm.services.get('shop_web')!.status = 'completed';
    expect(r.outcome).toBe('failed');
    expect(r.text).toBe(
      'Restart of shop web failed: Swarm paused the update of web: update paused.',
    );
    expect(r.block).toEqual(['shop_web.1@n1    | panic: the database is gone']);
    expect(r.buttons?.map((b) => b.label)).toEqual(['Logs', 'Status', 'History']);
    expect(r.fix).toContain('Check the transmissions with: logs shop web.');
    expect(await ops.locks.get('shop')).toBeUndefined();
    expect((await ops_('shop')).at(-1)).toMatchObject({ kind: 'restart', status: 'failed' });
  });

  it('marks the operation interrupted and frees the fleet when Otto stops mid-way', async () => {
    const stop = new AbortController();
    const s = swarm.services.get('shop_web')!;
    s.stuck = true;
    swarm.onUpdate = () => setTimeout(() => stop.abort(), 600);
    const r = await say('restart shop web', 'console:alice', stop.signal);
    swarm.onUpdate = undefined;
    s.stuck = false;
    s.updating = 0;
    s.status = 'completed';
    expect(r.text).toBe('Stopped: Otto was asked to stop before the command finished.');
    expect(await ops.locks.get('shop')).toBeUndefined();
    expect((await ops_('shop')).at(-1)).toMatchObject({
      kind: 'restart',
      status: 'interrupted',
      reason: 'Interrupted: Otto was stopped during the restart.',
    });
  });

  it('asks for approval before a scale when the fleet says so, and a second person carries it out', async () => {
    const ask = await say('scale gated web=5', 'console:carol');
    expect(ask.text).toBe(
      "Scale gated web from 2 to 5 replicas? Needs a flight director's approval.",
    );
    const id = requestId(ask);
    expect(ask.fields?.slice(1, 2)).toEqual([
      { label: 'Change', value: 'web replicas 2 → 5 (no new version)' },
    ]);
    expect(ask.buttons).toEqual([
      { label: 'Approve', command: `approve ${id}`, style: 'primary' },
      { label: 'Deny', command: `deny ${id}`, style: 'danger' },
    ]);
    expect(sent('update')).toEqual([]);
    expect(await ops.approvals.get(id)).toMatchObject({
      action: 'scale',
      status: 'pending',
      scaleService: 'web',
      scaleReplicas: 5,
      fromVersion: 1,
    });

    const self = await say(`approve ${id}`, 'console:carol');
    expect(self.outcome).toBe('refused');
    expect(self.text).toContain('(scale gated web=5), so a second person must approve it');

    const yes = await say(`approve ${id}`, 'console:bob');
    expect(yes.outcome).toBe('ok');
    expect(yes.text).toMatch(
      new RegExp(
        `^✅ Request ${id} approved by console:bob: scale gated web=5\\.\\n⚖️ Scale complete! gated web runs 5 replicas, was 2`,
      ),
    );
    expect(sent('update').map((c) => c.argv)).toEqual([serviceScale('gated_web', 5)]);
    expect(progress[0]?.text).toContain(`✅ Request ${id} approved by console:bob`);
    expect(await ops.approvals.get(id)).toMatchObject({
      status: 'approved',
      decidedBy: 'console:bob',
    });
    expect((await ops_('gated')).at(-1)).toMatchObject({
      actor: 'console:carol',
      detail: 'replicas 2 → 5',
      status: 'succeeded',
    });
    expect(await ops.locks.get('gated')).toBeUndefined();
    const again = await say(`approve ${id}`, 'console:bob');
    expect(again.text).toContain(`Request ${id} (scale gated web=5) was already approved`);
  });

  it('makes a scale request stale when a launch came in between, and asks again with the same words', async () => {
    const id = requestId(await say('scale gated web=3'));
    const d = await ops.deployments.start({
      fleet: 'gated',
      actor: 'console:alice',
      composeSnapshot: STACK,
    });
    await ops.deployments.finish(d, 'succeeded', null);
    const r = await say(`approve ${id}`, 'console:bob');
    expect(r.text).toBe(
      `Request ${id} (scale gated web=3) is out of date: gated changed after it was asked. Nothing was changed.`,
    );
    expect(r.fix).toBe('Check history gated, then ask again: scale gated web=3');
    expect(sent('update')).toEqual([]);
  });

  it('refuses an approved scale of a service that left the Swarm, and leaves the request pending', async () => {
    const id = requestId(await say('scale gated web=3'));
    const web = swarm.services.get('gated_web')!;
    swarm.services.delete('gated_web');
    const r = await say(`approve ${id}`, 'console:bob');
    swarm.services.set('gated_web', web);
    expect(r.text).toContain('gated web is not in the Swarm');
    expect((await ops.approvals.get(id))?.status).toBe('pending');
    expect(await ops.locks.get('gated')).toBeUndefined();
    await say(`deny ${id}`, 'console:bob');
  });

  it('shows restarts and scales in history between the launches, never as a version', async () => {
    const r = await say('history shop', 'console:vera');
    const lines = r.block ?? [];
    expect(lines.at(-1)).toMatch(/^🟢 v1 succeeded/);
    expect(lines.filter((l) => /^🟢 v\d/.test(l))).toHaveLength(1);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^🔁 restart web succeeded in [\d.]+ s · console:alice · \d{4}-\d\d-\d\d [\d:]+ UTC$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^⚖️ scale web replicas 2 → 4 succeeded in [\d.]+ s · console:alice · /,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^🔁 restart web interrupted in [\d.]+ s · .* — Interrupted: Otto was stopped/,
      ),
    );
    expect(lines[0]).toMatch(/^🔁 restart web interrupted/);
    const two = await say('history shop --limit 2', 'console:vera');
    expect(two.block).toHaveLength(2);
    expect(two.text).toBe('Flight log of shop (last 2, newest first):');
  });
});
