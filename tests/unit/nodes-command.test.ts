import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import type { Ops } from '../../src/ops/ops.js';
import { failed, ok, RecordingTransport } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

// outposts, outpost drain|activate|label against a recording manager: the exact
// docker commands, and what people read.

const manager = new RecordingTransport({
  'node ls': ok(
    [
      '{"ID":"n1","Hostname":"mgr-1","Status":"Ready","Availability":"Active","ManagerStatus":"Leader","EngineVersion":"26.1.5"}',
      '{"ID":"n2","Hostname":"wrk-1","Status":"Ready","Availability":"Drain","ManagerStatus":"","EngineVersion":"20.10.24"}',
      '{"ID":"n3","Hostname":"wrk-2","Status":"Down","Availability":"Active","ManagerStatus":"","EngineVersion":"26.1.5"}',
    ].join('\n'),
  ),
  'node inspect': ok(
    JSON.stringify([
      { ID: 'n1', Spec: { Labels: {} }, Status: { Addr: '10.0.0.1' } },
      { ID: 'n2', Spec: { Labels: { disk: 'ssd' } }, Status: { Addr: '10.0.0.2' } },
    ]),
  ),
  'node ps': ok('{"Node":"mgr-1"}\n{"Node":"mgr-1"}\n{"Node":"wrk-2"}\n'),
  'node update': (argv) =>
    argv.includes('ghost') ? failed('Error: node ghost not found\n') : ok(),
});
let ops: Ops;
const as = (actor: string) => ({ actor, channel: 'slack:C1', platform: 'slack' as const });

beforeAll(async () => {
  ops = await testOps(
    {
      clusters: { prod: { local: true } },
      access: { 'slack:UADMIN': 'admin', 'slack:UVIEW': 'viewer' },
    },
    { transport: manager },
  );
});
afterAll(async () => {
  await ops.close();
});

describe('outposts', () => {
  it('lists every node with role, state, engine, tasks and labels, in three docker calls', async () => {
    const r = await dispatch(ops, 'outposts prod', as('slack:UVIEW'));
    expect(r.outcome).toBe('ok');
    expect(r.block).toEqual([
      'prod:',
      '  🟢 mgr-1 · manager (leader) · ready, active · engine 26.1.5 · 2 tasks · 10.0.0.1',
      '  🟡 wrk-1 · worker · ready, drain · engine 20.10.24 · 0 tasks · labels disk=ssd · 10.0.0.2',
      '  🔴 wrk-2 · worker · down, active · engine 26.1.5 · 1 tasks',
    ]);
    expect(manager.verbs()).toEqual(['node ls', 'node inspect', 'node ps']);
  });

  it('drains and activates a node (admin), with the exact argv, and says what it means', async () => {
    manager.calls.length = 0;
    const drain = await dispatch(ops, 'outpost drain prod wrk-1', as('slack:UADMIN'));
    expect(drain.text).toContain('wrk-1 on prod is draining');
    const back = await dispatch(ops, 'outpost activate prod wrk-1', as('slack:UADMIN'));
    expect(back.outcome).toBe('ok');
    expect(manager.argvs()).toEqual([
      ['docker', 'node', 'update', '--availability', 'drain', '--', 'wrk-1'],
      ['docker', 'node', 'update', '--availability', 'active', '--', 'wrk-1'],
    ]);
    expect((await dispatch(ops, 'outpost drain prod wrk-1', as('slack:UVIEW'))).outcome).toBe(
      'refused',
    );
    const ghost = await dispatch(ops, 'outpost drain prod ghost', as('slack:UADMIN'));
    expect(ghost.outcome).toBe('failed');
    expect(ghost.text).toContain('node ghost not found');
  });

  it('sets and removes labels, and refuses anything else', async () => {
    manager.calls.length = 0;
    await dispatch(ops, 'outpost label prod wrk-1 disk=nvme', as('slack:UADMIN'));
    await dispatch(ops, 'outpost label prod wrk-1 disk-', as('slack:UADMIN'));
    expect(manager.argvs()).toEqual([
      ['docker', 'node', 'update', '--label-add', 'disk=nvme', '--', 'wrk-1'],
      ['docker', 'node', 'update', '--label-rm', 'disk', '--', 'wrk-1'],
    ]);
    for (const bad of ['disk', '--help=x', '=x'])
      expect(
        (await dispatch(ops, `outpost label prod wrk-1 ${bad}`, as('slack:UADMIN'))).outcome,
        bad,
      ).toBe('usage');
    const node = await dispatch(ops, 'outpost label prod -rf x=y', as('slack:UADMIN'));
    expect(node.outcome).toBe('usage');
  });
});
