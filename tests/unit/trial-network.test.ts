import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { openOps } from '../../src/ops/ops.js';
import { trialIngressNetwork } from '../../src/ops/trial-network.js';
import { networkInspect, overlayNetworkCreate, stackDeploy } from '../../src/swarm/argv.js';
import { testKey } from '../support/keys.js';
import { failed, ok, RecordingTransport, verbOf } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

const ROUTED =
  'services:\n  web:\n    image: nginx\n    x-otternauts:\n      domains: [hello.localhost]\n      port: 80\n';
const console = {
  actor: 'console:ann',
  groups: [],
  channel: 'console',
  platform: 'console' as const,
};

/** Ops as Otto opens them with no otto.yml (config.path undefined), on a recording manager. */
async function builtInOps(manager: RecordingTransport) {
  const dir = mkdtempSync(join(tmpdir(), 'otto-trial-'));
  mkdirSync(join(dir, 'stacks'));
  writeFileSync(join(dir, 'stacks', 'hello.yml'), ROUTED);
  const raw = {
    data_dir: '.otto',
    clusters: { local: { local: true } },
    fleets: { hello: { cluster: 'local', compose_file: 'stacks/hello.yml', settle_seconds: 0 } },
  };
  return openOps(buildConfig(raw, dir, undefined), {
    env: { OTTO_SECRET_KEY: testKey(0).toString('base64') },
    makeTransport: () => manager,
  });
}

describe('the traefik-public network of a trial Swarm', () => {
  it('is made when it is missing, and only then', async () => {
    const missing = new RecordingTransport({
      network: (argv) => (argv[2] === 'inspect' ? failed('No such network') : ok('n1\n')),
    });
    expect(await trialIngressNetwork(missing)).toBe(true);
    expect(missing.argvs()).toEqual([
      networkInspect('traefik-public'),
      overlayNetworkCreate('traefik-public'),
    ]);
    const there = new RecordingTransport({ network: ok('{"Name":"traefik-public"}\n') });
    expect(await trialIngressNetwork(there)).toBe(false);
    expect(there.argvs()).toEqual([networkInspect('traefik-public')]);
  });

  it('is made by a launch with the built-in default, which says so', async () => {
    // The deploy is refused, so the launch ends at once: the network calls come before it.
    const manager = new RecordingTransport({
      network: (argv) => (argv[2] === 'inspect' ? failed('No such network') : ok('n1\n')),
      'stack deploy': failed('this node is not a swarm manager'),
    });
    const ops = await builtInOps(manager);
    try {
      const reply = await dispatch(ops, 'launch hello', console);
      expect(manager.argvs().slice(0, 2)).toEqual([
        networkInspect('traefik-public'),
        overlayNetworkCreate('traefik-public'),
      ]);
      expect(manager.argvs().some((a) => verbOf(a) === 'stack deploy')).toBe(true);
      expect(manager.argvs()).toContainEqual(stackDeploy('hello'));
      expect(reply.text).toContain('Otto made the traefik-public network on this Swarm');
    } finally {
      await ops.close();
    }
  });

  it('is never made by Otto with an otto.yml: the ingress of outpost add makes it', async () => {
    const manager = new RecordingTransport({ 'stack deploy': failed('no swarm') });
    const ops = await testOps(
      {
        clusters: { local: { local: true } },
        fleets: {
          hello: { cluster: 'local', compose_file: 'stacks/hello.yml', settle_seconds: 0 },
        },
      },
      { files: { 'stacks/hello.yml': ROUTED }, transport: manager },
    );
    try {
      await dispatch(ops, 'launch hello', console);
      expect(manager.argvs().flat()).not.toContain('network');
    } finally {
      await ops.close();
    }
  });
});
