import { dispatch } from '../../src/commands/dispatch.js';
import type { Reply } from '../../src/commands/types.js';
import { afterAll, beforeAll } from 'vitest';
import type { Ops } from '../../src/ops/ops.js';
import { testOps } from './test-ops.js';

// The policy around rollbacks (roles, approvals, locks, audit) on a real SQLite
// file. Nothing here reaches a Swarm: every path stops before a deploy. The
// deploys themselves are in tests/e2e/rollback.test.ts.

export const V1 =
  'services:\n  web:\n    image: otto-test:v1\n    environment:\n      TOKEN: ${TOKEN}\n';
export const V2 =
  'services:\n  web:\n    image: otto-test:v2\n    environment:\n      TOKEN: ${TOKEN}\n';

/** The request number a reply asks approval for. */
export const requestId = (r: Reply) => Number(/^#(\d+)/.exec(r.fields?.[0]?.value ?? '')?.[1]);

export interface PolicyFixture {
  readonly ops: Ops;
  /** Records a finished deployment of `fleet`. */
  record(fleet: string, text: string, status: 'succeeded' | 'failed'): Promise<unknown>;
  say(text: string, actor: string, extra?: { channel?: string; groups?: string[] }): Promise<Reply>;
}

/**
 * Two fleets with a history, people of every role, channels and groups, on a fresh
 * database: shop (v1 good, v2 failed, v3 good; heard in slack:COPS) and duo (two
 * approvals for a rollback, one for a launch; v1 and v2 good).
 */
export async function policyFixture(): Promise<PolicyFixture> {
  const ops = await testOps(
    {
      clusters: { laptop: { local: true, docker_host: 'unix:///nonexistent.sock' } },
      access: {
        'console:alice': 'deployer',
        'console:bob': 'approver',
        'console:carol': 'approver',
        'console:vera': 'viewer',
        'console:root': 'admin',
        'slack:*': 'viewer',
        'slack-group:SOPS': 'deployer',
      },
      fleets: {
        shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml', channels: ['slack:COPS'] },
        duo: {
          cluster: 'laptop',
          compose_file: 'stacks/duo.yml',
          approvals: { rollback: 2, launch: 1 },
          access: { 'console:dana': 'viewer' },
        },
      },
    },
    { files: { 'stacks/shop.yml': V2.replace('v2', 'v3'), 'stacks/duo.yml': V1 }, key: 3 },
  );
  const record = async (fleet: string, text: string, status: 'succeeded' | 'failed') => {
    const d = await ops.deployments.start({ fleet, actor: 'console:alice', composeSnapshot: text });
    return ops.deployments.finish(d, status, status === 'failed' ? 'boom' : null);
  };
  await ops.secrets.set('shop', 'TOKEN', 'hunter2-very-secret');
  await ops.secrets.set('duo', 'TOKEN', 'hunter2-very-secret');
  await record('shop', V1, 'succeeded');
  await record('shop', V1.replace('v1', 'bad'), 'failed');
  await record('shop', V2, 'succeeded');
  await record('duo', V1, 'succeeded');
  await record('duo', V2, 'succeeded');
  return {
    ops,
    record,
    say: (text, actor, extra = {}) =>
      dispatch(ops, text, {
        actor,
        channel: extra.channel ?? 'cli',
        platform: 'cli',
        groups: extra.groups ?? [],
      }),
  };
}

/**
 * The fixture for one test file: a fresh one before its tests, closed after. Read
 * `ops`, `say` and `record` from it inside the tests.
 */
export function usePolicyFixture(): PolicyFixture {
  let current: PolicyFixture | undefined;
  beforeAll(async () => {
    current = await policyFixture();
  });
  afterAll(async () => {
    await current?.ops.close();
  });
  const get = () => {
    if (!current) throw new Error('the policy fixture is used before its beforeAll ran');
    return current;
  };
  return {
    get ops() {
      return get().ops;
    },
    say: (text, actor, extra) => get().say(text, actor, extra),
    record: (fleet, text, status) => get().record(fleet, text, status),
  };
}
