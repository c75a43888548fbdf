import { afterAll, describe, expect, inject, it } from 'vitest';
import { docker, waitFor } from '../support/testbed.js';
import { execa } from 'execa';
import { OTTO_BIN, TEST_KEY, webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

describe.skipIf(bed === null)('launch on a real Swarm over SSH', () => {
  if (!bed) return;
  const ws = workspace(bed, {
    shop: {
      compose: {
        version: '3.8',
        services: {
          web: webService(bed.images.v1, {
            'x-otternauts': { domains: ['shop.example.test', 'www.shop.example.test'], port: 8080 },
          }),
          worker: { image: bed.images.v1, command: ['sleep', '3600'] },
          cache: { image: bed.images.v1, command: ['sleep', '3600'], deploy: { replicas: 1 } },
        },
      },
    },
  });

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'shop']);
  });

  it('launches a fleet and waits for it to converge', async () => {
    const r = await ws.say('launch shop');
    expect(r.stderr).toContain('Otto is preparing the launch sequence for shop');
    expect(r.stdout).toContain('Launch successful! shop v1 is in orbit');
    expect(r.code).toBe(0);
    const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    expect(ls.stdout).toContain('shop_web 2/2');
    expect(ls.stdout).toContain('shop_worker 1/1');
    expect(ls.stdout).toContain('shop_cache 1/1');
  });

  it('turns x-otternauts into Traefik labels and the traefik-public network', async () => {
    const labels = await docker(bed, [
      'service',
      'inspect',
      'shop_web',
      '--format',
      '{{json .Spec.Labels}}',
    ]);
    const l = JSON.parse(labels.stdout) as Record<string, string>;
    expect(l['traefik.enable']).toBe('true');
    expect(l['traefik.http.routers.shop-web.rule']).toBe(
      'Host(`shop.example.test`) || Host(`www.shop.example.test`)',
    );
    expect(l['traefik.http.routers.shop-web.entrypoints']).toBe('websecure');
    expect(l['traefik.http.routers.shop-web.tls.certresolver']).toBe('letsencrypt');
    expect(l['traefik.http.services.shop-web.loadbalancer.server.port']).toBe('8080');
    expect(Object.keys(l).some((k) => k.includes('otternauts'))).toBe(false);
    const nets = await docker(bed, [
      'service',
      'inspect',
      'shop_web',
      '--format',
      '{{json .Spec.TaskTemplate.Networks}}',
    ]);
    const traefikId = (
      await docker(bed, ['network', 'inspect', 'traefik-public', '--format', '{{.Id}}'])
    ).stdout.trim();
    expect(nets.stdout).toContain(traefikId);
  });

  it('re-launches with a change and records version 2', async () => {
    ws.writeStack('shop', {
      services: {
        web: webService(bed.images.v2, {
          'x-otternauts': { domains: ['shop.example.test'], port: 8080 },
        }),
        worker: { image: bed.images.v1, command: ['sleep', '3600'] },
        cache: { image: bed.images.v1, command: ['sleep', '3600'] },
      },
    });
    const r = await ws.say('launch shop');
    expect(r.stdout).toContain('shop v2 is in orbit');
    expect(r.code).toBe(0);
    const image = await docker(bed, [
      'service',
      'inspect',
      'shop_web',
      '--format',
      '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
    ]);
    expect(image.stdout.trim()).toMatch(/^otto-test:v2/);
    const ps = await docker(bed, [
      'service',
      'ps',
      'shop_web',
      '--filter',
      'desired-state=running',
      '--format',
      '{{.Image}} {{.CurrentState}}',
    ]);
    const lines = ps.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^otto-test:v2 Running/);
  });

  it('shows status, history and fleets', async () => {
    const status = await ws.say('status shop');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/web 2\/2 otto-test:v2/);
    expect(status.stdout).toContain('v2 succeeded');
    const history = await ws.say('history shop');
    expect(history.stdout).toMatch(/v2 succeeded in [\d.]+ s · console:tester/);
    expect(history.stdout).toMatch(/v1 succeeded/);
    const limited = await ws.say('history shop --limit 1');
    expect(limited.stdout).not.toMatch(/v1 succeeded/);
    const fleets = await ws.say('fleets');
    expect(fleets.stdout).toContain('shop: cluster swarm');
  });

  it('suggests the closest fleet name', async () => {
    const r = await ws.say('launch shp');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('There is no fleet named shp. Did you mean shop?');
  });

  it('reads logs with --tail and --since', async () => {
    const r = await ws.say('logs shop web --tail 5 --since 1h');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Transmissions from shop web|No transmissions/);
    const bad = await ws.say('logs shop web --tail lots');
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('--tail');
    const wrong = await ws.say('logs shop wbe');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('Did you mean web?');
  });

  it('reads logs --since 1d (Docker gets 24h: its durations have no days) and at most a year back', async () => {
    const r = await ws.say('logs shop web --since 1d');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Transmissions from shop web|No transmissions/);
    expect(r.stdout).not.toContain('Some transmissions are missing');
    const far = await ws.say('logs shop web --since 366d');
    expect(far.code).toBe(2);
    expect(far.stdout).toContain('go back at most 365d (8760h)');
  });
});

describe.skipIf(bed === null)('the first launch of a stack someone deployed by hand', () => {
  if (!bed) return;
  const quickStop = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];
  const stack = (image: string) => ({
    services: {
      web: {
        image,
        command: quickStop,
        // One task at a time, 2 s apart: between the batches both tasks run, one old.
        deploy: { replicas: 2, update_config: { parallelism: 1, delay: '2s' } },
      },
    },
  });
  const ws = workspace(bed, {
    byhand: { compose: stack(bed.images.v2), settle_seconds: 0 },
    same: { compose: stack(bed.images.v1), settle_seconds: 0 },
  });

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'byhand']);
    await docker(bed, ['stack', 'rm', 'same']);
  });

  it('waits for its rolling update: Otto has no record of it, and the deploy says it updated', async () => {
    const deployed = await docker(
      bed,
      ['stack', 'deploy', '--detach=true', '-c', '-', 'byhand'],
      JSON.stringify(stack(bed.images.v1)),
    );
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const runningImages = async () =>
      (
        await docker(bed, [
          'service',
          'ps',
          'byhand_web',
          '--filter',
          'desired-state=running',
          '--format',
          '{{.Image}} {{.CurrentState}}',
        ])
      ).stdout
        .split('\n')
        .filter(Boolean);
    await waitFor(
      'the stack deployed by hand',
      async () => (await runningImages()).filter((l) => / Running /.test(l)).length === 2,
      120_000,
    );

    const r = await ws.say('launch byhand');
    expect(r.stdout).toContain('Launch successful! byhand v1 is in orbit');
    // Said only once both tasks run the new image, not between the update's batches.
    const now = await runningImages();
    expect(now).toHaveLength(2);
    for (const l of now) expect(l).toMatch(new RegExp(`^${bed.images.v2} Running `));
  });
  it('ends once Swarm has nothing to roll out, when the stack runs exactly what Otto sends', async () => {
    // Deployed by hand from Otto's own rendering: Otto's deploy changes nothing that
    // Swarm rolls out, though the spec Docker hands back as PreviousSpec differs.
    const rendered = await execa('node', [OTTO_BIN, 'render', 'same', '--config', ws.config], {
      reject: false,
      env: { OTTO_SECRET_KEY: TEST_KEY },
    });
    expect(rendered.exitCode, rendered.stderr).toBe(0);
    const deployed = await docker(bed, ['stack', 'deploy', '-c', '-', 'same'], rendered.stdout);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    await waitFor(
      'the stack deployed by hand from the rendering',
      async () =>
        (
          await docker(bed, [
            'service',
            'ps',
            'same_web',
            '--filter',
            'desired-state=running',
            '--format',
            '{{.CurrentState}}',
          ])
        ).stdout
          .split('\n')
          .filter((l) => l.startsWith('Running')).length === 2,
      120_000,
    );
    const r = await ws.say('launch same');
    expect(r.stdout).toContain('Launch successful! same v1 is in orbit');
  });
});
