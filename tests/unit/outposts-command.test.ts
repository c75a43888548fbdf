import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import { UnreachableError } from '../../src/errors.js';
import type { Ops } from '../../src/ops/ops.js';
import { FP, server } from '../support/fake-server.js';
import { RecordingTransport } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

// outpost add as people use it: from chat, the host key first with buttons; at
// Otto's terminal, a question; then one message through every step.

const node = server();
const remembered: string[] = [];
let ops: Ops;
const slack = { actor: 'slack:UADMIN', channel: 'slack:C1', platform: 'slack' as const };
const cli = { actor: 'console:root', channel: 'cli', platform: 'cli' as const };

beforeAll(async () => {
  ops = await testOps(
    {
      clusters: {
        prod: {
          managers: [{ host: '10.0.0.1', user: 'deploy', private_key_file: '/keys/id' }],
          ingress: { acme_email: 'ops@example.com' },
        },
      },
      access: { 'slack:UADMIN': 'admin', 'slack:UVIEW': 'viewer', 'console:root': 'admin' },
    },
    {
      // The cluster has no Swarm yet: its managers don't answer.
      transport: new RecordingTransport({
        info: () => {
          throw new UnreachableError('10.0.0.1:22', 'refused', 'Cannot connect to 10.0.0.1:22.');
        },
      }),
      outpostReach: {
        hostKeys: {
          get: async () => undefined,
          remember: async (_h, _p, fp) => void remembered.push(fp),
        },
        probe: async () => FP,
        connect: () => node,
      },
    },
  );
});
afterAll(async () => {
  await ops.close();
});

describe('outpost add', () => {
  it('in chat, shows the host key with Trust and Cancel, and changes nothing', async () => {
    const r = await dispatch(ops, 'outpost add prod 203.0.113.5', slack);
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain(`203.0.113.5:22 offers the host key ${FP}.`);
    expect(r.buttons).toEqual([
      {
        label: 'Trust and set up',
        command: `outpost add prod 203.0.113.5 --user deploy --port 22 --role manager --fingerprint ${FP}`,
        style: 'primary',
      },
      { label: 'Cancel', command: 'outpost cancel prod 203.0.113.5' },
    ]);
    expect(node.calls).toEqual([]);
    const cancel = await dispatch(ops, r.buttons![1]!.command, slack);
    expect(cancel.text).toContain('Cancelled: Otto did not set up 203.0.113.5');
  });

  it('refuses a key path from chat, and anyone but an admin', async () => {
    const key = await dispatch(ops, 'outpost add prod 203.0.113.5 --key /etc/shadow', slack);
    expect(key.outcome).toBe('usage');
    expect(key.text).toContain('A key file is named on Otto’s machine only');
    for (const bad of [
      'outpost add prod -oProxyCommand=x',
      'outpost add prod h --user -rf',
      'outpost add prod h --port 99999',
    ])
      expect((await dispatch(ops, bad, slack)).outcome, bad).toBe('usage');
    const viewer = await dispatch(ops, 'outpost add prod 203.0.113.5', {
      ...slack,
      actor: 'slack:UVIEW',
    });
    expect(viewer.outcome).toBe('refused');
  });

  it('with the pinned fingerprint (the Trust button), sets the server up step by step', async () => {
    const progress: string[][] = [];
    const r = await dispatch(
      ops,
      `outpost add prod 203.0.113.5 --user deploy --port 22 --role manager --fingerprint ${FP}`,
      slack,
      { progress: (p) => progress.push([...(p.block ?? [])]) },
    );
    expect(r.outcome).toBe('ok');
    expect(r.text).toBe(
      '🛰️ Outpost 203.0.113.5 is part of prod: it created its Swarm (node node-new).',
    );
    expect(r.block?.[0]).toBe(`✅ Host key of 203.0.113.5:22: ${FP}.`);
    expect(r.block).toContain('✅ Passwordless sudo works for deploy.');
    expect(progress.length).toBeGreaterThan(5);
    expect(remembered).toEqual([FP]);
    const list = await dispatch(ops, 'outpost list prod', slack);
    expect(list.block?.[0]).toMatch(
      new RegExp(
        `^prod · 203\\.0\\.113\\.5:22 · manager · deploy · node node-new · ${FP.replace('+', '\\+')} · added .* by slack:UADMIN$`,
      ),
    );
  });

  it('at Otto’s terminal, asks before trusting, and stops on no', async () => {
    const asked: string[] = [];
    const r = await dispatch(ops, 'outpost add prod 198.51.100.7 --key /keys/other', cli, {
      confirm: async (q) => {
        asked.push(q);
        return false;
      },
    });
    expect(asked[0]).toContain(`198.51.100.7:22 offers the host key ${FP}.`);
    expect(r.outcome).toBe('failed');
    expect(r.text).toContain('Otto stopped setting up 198.51.100.7 at host-key');
  });
});
