import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dispatch } from '../../src/commands/dispatch.js';
import { requestCard } from '../../src/commands/approval-request.js';
import {
  heldImages,
  heldSummary,
  imagesLine,
  shortDigest,
} from '../../src/commands/held-compose.js';
import { launch, ranImages } from '../../src/ops/launch.js';
import type { Ops } from '../../src/ops/ops.js';
import { pinsOf } from '../../src/store/deployments.js';
import { splitDigest } from '../../src/swarm/converge.js';
import type { LaunchEvent } from '../../src/swarm/progress.js';
import {
  removalTimeoutFailure,
  stackRemovalInProgress,
  waitForStackRemoval,
} from '../../src/swarm/stack-removal.js';
import { launchEvents, stackDeploy, stackNetworks } from '../../src/swarm/argv.js';
import { failed, ok, RecordingTransport } from '../support/recording-transport.js';
import { NGINX, testOps } from '../support/test-ops.js';

// Exact returns against a recording fake manager: a launch records the digest each
// service's spec names once it converged, and a return pins those digests, not the tags.

const D1 = `sha256:${'3f2a9c1b7d0e'.padEnd(64, '1')}`;
const D2 = `sha256:${'88aa77bb66cc'.padEnd(64, '2')}`;
const WEB = '127.0.0.1:5000/otto/web:latest';
const COMPOSE = [
  'services:',
  '  web:',
  `    image: ${WEB}`,
  '    environment:',
  '      TOKEN: ${TOKEN}',
  '  db:',
  '    image: otto-test:v1',
  '',
].join('\n');

/**
 * A Swarm that resolves tags as `docker stack deploy --resolve-image always` does:
 * an image its registry knows gets `@sha256:…` in the service spec; a local one keeps
 * its tag; a pinned one keeps its digest. Every service runs at once.
 */
function fakeSwarm(
  registry: Map<string, string>,
  opts: { failFirstDeploy?: string; refuse?: () => string | undefined } = {},
) {
  const specs = new Map<string, string>();
  let deploys = 0;
  let index = 1;
  const named = (argv: readonly string[]) => [...specs].filter(([name]) => argv.includes(name));
  return new RecordingTransport({
    'service inspect': (argv) =>
      ok(
        JSON.stringify(
          named(argv).map(([name, image]) => ({
            ID: name,
            Version: { Index: index },
            Spec: {
              Name: name,
              Mode: { Replicated: { Replicas: 1 } },
              TaskTemplate: { ContainerSpec: { Image: image } },
            },
            UpdateStatus: { State: 'completed' },
          })),
        ),
      ),
    'service ps': (argv) =>
      ok(
        named(argv)
          .map(([name, image]) =>
            JSON.stringify({
              ID: `${name}-${index}`,
              Name: `${name}.1`,
              Image: image,
              Node: 'n1',
              DesiredState: 'Running',
              CurrentState: 'Running 1 second ago',
              Error: '',
            }),
          )
          .join('\n'),
      ),
    'stack deploy': (argv, options) => {
      const refusal = deploys++ === 0 ? opts.failFirstDeploy : opts.refuse?.();
      if (refusal) return failed(refusal);
      const stack = argv.at(-1)!;
      const data = parse(options.stdin ?? '') as {
        services: Record<string, { image: string }>;
      };
      index++;
      for (const [service, { image }] of Object.entries(data.services)) {
        const digest = registry.get(image);
        specs.set(
          `${stack}_${service}`,
          digest && !image.includes('@') ? `${image}@${digest}` : image,
        );
      }
      return ok();
    },
  });
}

describe('image references', () => {
  it('splits a digest off, and pins only what has one', () => {
    expect(splitDigest(`${WEB}@${D1}`)).toEqual({ image: WEB, digest: D1 });
    expect(splitDigest('otto-test:v1')).toEqual({ image: 'otto-test:v1', digest: null });
    expect(shortDigest(D1)).toBe('3f2a9c1b7d0e');
    const images = ranImages(
      new Map([
        ['web', `${WEB}@${D2}`],
        ['db', 'otto-test:v1'],
      ]),
      new Map([
        ['web', `${WEB}@${D1}`],
        ['db', 'otto-test:v1'],
      ]),
    );
    expect(images).toEqual([
      { service: 'db', image: 'otto-test:v1', digest: null },
      { service: 'web', image: WEB, digest: D1 },
    ]);
    expect(pinsOf(images)).toEqual(new Map([['web', `${WEB}@${D1}`]]));
    expect(imagesLine(images)).toBe(
      `web ${WEB} @3f2a9c1b7d0e, db otto-test:v1 (local image, no digest: a return runs the tag)`,
    );
  });

  it('says what a return request holds: pinned images, or that it runs the tags', () => {
    const images = [{ service: 'web', image: WEB, digest: D1 }];
    expect(heldSummary(COMPOSE, images)).toMatch(
      new RegExp(`^compose [0-9a-f]{12} · web ${WEB} @3f2a9c1b7d0e$`),
    );
    expect(heldSummary(COMPOSE, [])).toContain(
      `web ${WEB}, db otto-test:v1 (no digests recorded: a return runs the tags)`,
    );
    expect(heldSummary(COMPOSE)).toMatch(
      /· web 127\.0\.0\.1:5000\/otto\/web:latest, db otto-test:v1$/,
    );
  });
});

describe('a return to base runs the digests that ran, not the tags', () => {
  const registry = new Map([[WEB, D1]]);
  const manager = fakeSwarm(registry);
  const source = { actor: 'console:tester', channel: 'test', platform: 'console' as const };
  let ops: Ops;
  const deploys = () => manager.calls.filter((c) => c.argv.includes('deploy'));
  const lastDeploy = () => deploys().at(-1)?.stdin ?? '';

  beforeAll(async () => {
    const fleet = { cluster: 'prod', settle_seconds: 0 };
    ops = await testOps(
      {
        clusters: { prod: { local: true } },
        fleets: {
          shop: { ...fleet, compose_file: 'stacks/shop.yml', approvals: { rollback: 0 } },
          gated: { ...fleet, compose_file: 'stacks/shop.yml' },
        },
      },
      { files: { 'stacks/shop.yml': COMPOSE }, transport: manager },
    );
    await ops.secrets.set('shop', 'TOKEN', 'hunter2-token');
    await ops.secrets.set('gated', 'TOKEN', 'hunter2-token');
  });
  afterAll(async () => {
    await ops.close();
  });

  it('records what each service ran, and the rendered file with secrets masked', async () => {
    const r = await launch(ops, { fleet: ops.config.fleets.get('shop')!, actor: 'console:t' });
    expect(r.ok).toBe(true);
    expect(r.images).toEqual([
      { service: 'db', image: 'otto-test:v1', digest: null },
      { service: 'web', image: WEB, digest: D1 },
    ]);
    expect(await ops.deployments.images(r.deployment.id)).toEqual(r.images);
    expect(r.deployment.renderedCompose).toContain('TOKEN: ••••••(TOKEN)');
    expect(r.deployment.renderedCompose).toContain(`image: ${WEB}\n`);
    expect(r.deployment.renderedCompose).not.toContain('hunter2-token');
    expect(lastDeploy()).toContain('TOKEN: hunter2-token');
  });

  it('records the new digest when the same tag is pushed again', async () => {
    registry.set(WEB, D2);
    const r = await launch(ops, { fleet: ops.config.fleets.get('shop')!, actor: 'console:t' });
    expect(r.deployment.version).toBe(2);
    expect(r.images?.find((i) => i.service === 'web')?.digest).toBe(D2);
  });

  it('shows tag and short digest in history, and what a return to v1 would change', async () => {
    const history = await dispatch(ops, 'history shop', source);
    expect(history.block?.[0]).toMatch(
      /^🟢 v2 succeeded in [\d.]+ s · console:t · .+ · web 127\.0\.0\.1:5000\/otto\/web:latest @88aa77bb66cc, db otto-test:v1 \(local image, no digest: a return runs the tag\)$/,
    );
    expect(history.block?.[1]).toContain(`web ${WEB} @3f2a9c1b7d0e, db otto-test:v1`);

    const diff = await dispatch(ops, 'diff shop 1', source);
    expect(diff.text).toBe(
      'Changes from shop v2 (running, succeeded) to shop v1 (secret values masked):',
    );
    expect(diff.block).toContain(`-    image: ${WEB}@${D2}`);
    expect(diff.block).toContain(`+    image: ${WEB}@${D1}`);
    expect(diff.fields).toEqual([
      { label: 'shop v2 (running, succeeded)', value: expect.stringContaining('@88aa77bb66cc') },
      { label: 'shop v1', value: expect.stringContaining('@3f2a9c1b7d0e') },
    ]);
    // Against the file, the running side keeps its tags: a launch resolves them again.
    expect((await dispatch(ops, 'diff shop', source)).text).toMatch(/^No changes/);
  });

  it('rolls back to v1 pinned to its digest; the local image runs its tag, and says so', async () => {
    const r = await dispatch(ops, 'rollback shop 1', source);
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain(
      `Returning to the images v1 ran: web ${WEB} @3f2a9c1b7d0e, db otto-test:v1 (local image, no digest: a return runs the tag).`,
    );
    expect(lastDeploy()).toContain(`image: ${WEB}@${D1}\n`);
    expect(lastDeploy()).toContain('image: otto-test:v1\n');
    const v3 = (await ops.deployments.get('shop', 3))!;
    expect(v3.rollbackOf).toBe(1);
    expect(v3.renderedCompose).toContain(`image: ${WEB}@${D1}`);
    expect(await ops.deployments.images(v3.id)).toEqual([
      { service: 'db', image: 'otto-test:v1', digest: null },
      { service: 'web', image: WEB, digest: D1 },
    ]);
  });

  it('pins an approved return too, and its diff shows the pinned images', async () => {
    registry.set(WEB, D1);
    await launch(ops, { fleet: ops.config.fleets.get('gated')!, actor: 'console:t' });
    registry.set(WEB, D2);
    await launch(ops, { fleet: ops.config.fleets.get('gated')!, actor: 'console:t' });
    const ask = await dispatch(ops, 'rollback gated 1', source);
    const id = ask.approval!;
    // The card shows the pinned images, when asked and when redrawn.
    expect(ask.fields?.find((f) => f.label === 'Holds')?.value).toContain(
      `web ${WEB} @3f2a9c1b7d0e`,
    );
    const a = (await ops.approvals.get(id))!;
    const card = requestCard(a, [], await heldImages(ops, a));
    expect(card.fields?.find((f) => f.label === 'Holds')?.value).toContain(
      `web ${WEB} @3f2a9c1b7d0e`,
    );
    const diff = await dispatch(ops, `diff #${id}`, source);
    expect(diff.text).toContain(
      `(compose ${heldSummary(COMPOSE).slice(8, 20)} · web ${WEB} @3f2a9c1b7d0e`,
    );
    expect(diff.block).toContain(`+    image: ${WEB}@${D1}`);
    const approved = await dispatch(ops, `approve ${id}`, { ...source, actor: 'console:other' });
    expect(approved.outcome).toBe('ok');
    expect(approved.text).toContain(`Returning to the images v1 ran: web ${WEB} @3f2a9c1b7d0e`);
    expect(lastDeploy()).toContain(`image: ${WEB}@${D1}\n`);
  });

  it('returns to a version recorded before digests with its tags, and says so', async () => {
    const v1 = (await ops.deployments.get('gated', 1))!;
    await ops.deployments.recordImages(v1.id, []);
    const ask = await dispatch(ops, 'rollback gated 1', source);
    const approved = await dispatch(ops, `approve ${ask.approval!}`, {
      ...source,
      actor: 'console:other',
    });
    expect(approved.text).toContain(
      'v1 was launched before Otto recorded image digests: the return runs its tags.',
    );
    expect(lastDeploy()).toContain(`image: ${WEB}\n`);
  });
});

// `docker stack rm` returns before the Swarm has removed the stack's networks: a launch
// in between waits for them, once, instead of failing.
const NOT_FOUND =
  'Since --detach=false was not specified, tasks will be created in the background.\nfailed to create service shop_web: Error response from daemon: network shop_default not found';

describe('on_failure: rollback', () => {
  it('pins the digests of the version it returns to, and says what runs', async () => {
    const registry = new Map([[WEB, D1]]);
    let refusal: string | undefined;
    const manager = fakeSwarm(registry, {
      refuse: () => {
        const r = refusal;
        refusal = undefined;
        return r;
      },
    });
    const ops = await testOps(
      {
        clusters: { prod: { local: true } },
        fleets: {
          phoenix: {
            cluster: 'prod',
            compose_file: 'stacks/shop.yml',
            settle_seconds: 0,
            on_failure: 'rollback',
          },
        },
      },
      { files: { 'stacks/shop.yml': COMPOSE }, transport: manager },
    );
    try {
      await ops.secrets.set('phoenix', 'TOKEN', 't');
      const source = { actor: 'console:t', channel: 'test', platform: 'console' as const };
      expect((await dispatch(ops, 'launch phoenix', source)).outcome).toBe('ok');
      registry.set(WEB, D2);
      refusal = 'failed to create service phoenix_web: no room at the inn';
      const r = await dispatch(ops, 'launch phoenix', source);
      expect(r.outcome).toBe('failed');
      expect(r.text).toContain(`It runs web ${WEB} @3f2a9c1b7d0e, db otto-test:v1`);
      const deploys = manager.calls.filter((c) => c.argv.includes('deploy'));
      expect(deploys.at(-1)?.stdin).toContain(`image: ${WEB}@${D1}\n`);
    } finally {
      await ops.close();
    }
  });
});

describe('a stack still being removed', () => {
  it("knows Docker's answer for the stack's own network, and nothing else", () => {
    expect(stackRemovalInProgress(NOT_FOUND, 'shop')).toBe(true);
    expect(stackRemovalInProgress(NOT_FOUND, 'sho')).toBe(false);
    expect(stackRemovalInProgress('network "traefik-public" is declared as external', 'shop')).toBe(
      false,
    );
    expect(stackRemovalInProgress('network a.b_default not found', 'a.b')).toBe(true);
    expect(stackRemovalInProgress('network axb_default not found', 'a.b')).toBe(false);
  });

  it('polls the networks until none is left, gives up at its deadline, and stops on abort', async () => {
    let polls = 2;
    const manager = new RecordingTransport({
      network: () => ok(polls-- > 0 ? 'shop_default\n' : ''),
    });
    expect(await waitForStackRemoval(manager, 'shop', { pollMs: 5 })).toEqual([]);
    expect(manager.argvs()).toEqual([
      stackNetworks('shop'),
      stackNetworks('shop'),
      stackNetworks('shop'),
    ]);

    const stuck = new RecordingTransport({ network: ok('shop_default\n') });
    const left = await waitForStackRemoval(stuck, 'shop', { pollMs: 5, timeoutMs: 30 });
    expect(left).toEqual(['shop_default']);
    expect(removalTimeoutFailure('shop', 120_000, left).message).toContain(
      'The previous shop stack is still being removed (docker stack rm works in the background: its networks go once its tasks have stopped), and after 120 s its networks were still there (shop_default), so nothing was deployed.',
    );

    const stop = new AbortController();
    const waiting = waitForStackRemoval(stuck, 'shop', { pollMs: 60_000, signal: stop.signal });
    stop.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow();
  });

  const fleetOps = (manager: RecordingTransport) =>
    testOps(
      {
        clusters: { prod: { local: true } },
        fleets: { shop: { cluster: 'prod', compose_file: 'stacks/shop.yml', settle_seconds: 0 } },
      },
      { files: { 'stacks/shop.yml': NGINX }, transport: manager },
    );

  it('waits for the networks, then deploys once more, saying so', async () => {
    const manager = fakeSwarm(new Map(), { failFirstDeploy: NOT_FOUND });
    const ops = await fleetOps(manager);
    try {
      const events: LaunchEvent[] = [];
      const r = await launch(ops, {
        fleet: ops.config.fleets.get('shop')!,
        actor: 'console:t',
        onProgress: (e) => events.push(e),
      });
      expect(r.failure?.message).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(events.flatMap((e) => (e.kind === 'stage' ? [e.stage] : []))).toEqual([
        'validating',
        'locking',
        'deploying',
        'waiting-removal',
        'deploying',
        'converging',
      ]);
      // The deploy and the events start at once; the fleet never launched, so no read
      // comes first: its compose goes as soon as the launch is recorded.
      expect(manager.argvs().slice(0, 4)).toEqual([
        launchEvents(),
        stackDeploy('shop'),
        stackNetworks('shop'),
        stackDeploy('shop'),
      ]);
    } finally {
      await ops.close();
    }
  });

  it("fails as before when the fleet's services were running: that is not a removal", async () => {
    const manager = fakeSwarm(new Map());
    const ops = await fleetOps(manager);
    try {
      const fleet = ops.config.fleets.get('shop')!;
      expect((await launch(ops, { fleet, actor: 'console:t' })).ok).toBe(true);
      manager.on('stack deploy', failed(NOT_FOUND));
      const r = await launch(ops, { fleet, actor: 'console:t' });
      expect(r.ok).toBe(false);
      expect(manager.argvs().flat()).not.toContain('network');
    } finally {
      await ops.close();
    }
  });
});
