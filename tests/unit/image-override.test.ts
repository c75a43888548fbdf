import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import { prepareCompose } from '../../src/ops/render.js';
import { UsageError } from '../../src/errors.js';
import { imageAllowed, overriddenImage, parseOverrides } from '../../src/swarm/image-override.js';
import { testOps } from '../support/test-ops.js';

// Images from CI: `launch shop web=1.4.2` runs another tag or image for a service,
// for this launch only, when the fleet's `images:` pattern allows it.

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const SHOP =
  'services:\n  web:\n    image: ghcr.io/acme/shop:1.3.0\n  worker:\n    image: ghcr.io/acme/worker:7\n';

describe('parseOverrides', () => {
  it('reads service=tag, service=digest and service=image', () => {
    expect(
      parseOverrides([
        'web=1.4.2',
        `worker=${DIGEST}`,
        'cron=registry.example.com:5000/acme/cron:2@' + DIGEST,
      ]),
    ).toEqual(
      new Map([
        ['web', '1.4.2'],
        ['worker', DIGEST],
        ['cron', `registry.example.com:5000/acme/cron:2@${DIGEST}`],
      ]),
    );
  });

  it('refuses what is not service=image, a bad image, a service given twice', () => {
    for (const words of [
      ['web'],
      ['=1.4'],
      ['web='],
      ['-x=1'],
      ['web=UPPER/Case:1'],
      ['web=$(reboot)'],
      ['web=1', 'web=2'],
    ])
      expect(() => parseOverrides(words), words.join(' ')).toThrow(UsageError);
  });
});

describe('overriddenImage', () => {
  it("replaces the tag or digest of the compose's image, or the whole image", () => {
    expect(overriddenImage('ghcr.io/acme/shop:1.3.0', '1.4.2')).toBe('ghcr.io/acme/shop:1.4.2');
    expect(overriddenImage('localhost:5000/shop', '2')).toBe('localhost:5000/shop:2');
    expect(overriddenImage(`ghcr.io/acme/shop:1.3@${DIGEST}`, 'edge')).toBe(
      'ghcr.io/acme/shop:edge',
    );
    expect(overriddenImage('ghcr.io/acme/shop:1.3.0', DIGEST)).toBe(`ghcr.io/acme/shop@${DIGEST}`);
    expect(overriddenImage('ghcr.io/acme/shop:1.3.0', 'ghcr.io/acme/other:9')).toBe(
      'ghcr.io/acme/other:9',
    );
  });
});

describe('imageAllowed', () => {
  it('matches name:tag against the patterns, * never crossing a /', () => {
    const p = ['ghcr.io/acme/shop:*'];
    expect(imageAllowed(p, 'ghcr.io/acme/shop:1.4.2')).toBe(true);
    expect(imageAllowed(p, 'ghcr.io/acme/shop')).toBe(true);
    expect(imageAllowed(p, 'ghcr.io/acme/shopping:1')).toBe(false);
    expect(imageAllowed(p, 'ghcr.io/evil/shop:1')).toBe(false);
    expect(imageAllowed(p, 'evil.io/ghcr.io/acme/shop:1')).toBe(false);
    expect(imageAllowed(['ghcr.io/acme/shop:1.*'], 'ghcr.io/acme/shop:2.0')).toBe(false);
    expect(imageAllowed(['ghcr.io/acme/*:*'], 'ghcr.io/acme/x/y:1')).toBe(false);
    expect(imageAllowed(['ghcr.io/acme/shop:1.4.2'], 'ghcr.io/acme/shop:1x4.2')).toBe(false);
  });

  it('a digest runs whatever its tag says: only a pattern with @ allows it', () => {
    const tags = ['ghcr.io/acme/shop:release-*'];
    // The tag looks allowed, but Docker runs the digest: refused.
    expect(imageAllowed(tags, `ghcr.io/acme/shop:release-1@${DIGEST}`)).toBe(false);
    expect(imageAllowed(tags, `ghcr.io/acme/shop@${DIGEST}`)).toBe(false);
    const both = [...tags, 'ghcr.io/acme/shop@*'];
    expect(imageAllowed(both, `ghcr.io/acme/shop@${DIGEST}`)).toBe(true);
    expect(imageAllowed(both, `ghcr.io/acme/shop:anything@${DIGEST}`)).toBe(true);
    expect(imageAllowed(both, `ghcr.io/evil/shop@${DIGEST}`)).toBe(false);
  });
});

describe('launch with images given', () => {
  const setup = () =>
    testOps(
      {
        clusters: { laptop: { local: true, docker_host: 'unix:///nonexistent.sock' } },
        access: { 'console:alice': 'deployer' },
        fleets: {
          shop: {
            cluster: 'laptop',
            compose_file: 'stacks/shop.yml',
            images: { web: 'ghcr.io/acme/shop:*' },
            approvals: { launch: 1 },
          },
        },
      },
      { files: { 'stacks/shop.yml': SHOP } },
    );
  const who = { actor: 'console:alice', channel: 'cli', platform: 'cli' } as const;

  it('renders the given image for that service only', async () => {
    const ops = await setup();
    try {
      const fleet = ops.config.fleets.get('shop')!;
      const p = await prepareCompose(ops, { fleet, overrides: new Map([['web', '1.4.2']]) });
      expect(p.rendered.images).toEqual(
        new Map([
          ['web', 'ghcr.io/acme/shop:1.4.2'],
          ['worker', 'ghcr.io/acme/worker:7'],
        ]),
      );
      expect(p.rendered.text).toContain('image: ghcr.io/acme/shop:1.4.2');
    } finally {
      await ops.close();
    }
  });

  it('a return runs the images its version was given, even after otto.yml changed its patterns', async () => {
    const ops = await setup();
    try {
      const fleet = ops.config.fleets.get('shop')!;
      const overrides = new Map([['worker', '8']]);
      await expect(prepareCompose(ops, { fleet, overrides })).rejects.toThrow(/takes no image/);
      const back = await prepareCompose(ops, { fleet, overrides, rollbackOf: 1 });
      expect(back.rendered.images.get('worker')).toBe('ghcr.io/acme/worker:8');
    } finally {
      await ops.close();
    }
  });

  it('a request holds the images given, and says so', async () => {
    const ops = await setup();
    try {
      const r = await dispatch(ops, 'launch shop web=1.4.2', who);
      expect(r.outcome).toBe('ok');
      expect(r.text).toMatch(/^Launch shop with web=1\.4\.2\? Otto holds the compose file/);
      const [a] = await ops.db.selectFrom('approvals').select(['id', 'imageOverrides']).execute();
      expect(a?.imageOverrides).toBe('{"web":"1.4.2"}');
      // What an approver sees is what will run: the card and its Diff.
      expect(r.fields?.find((f) => f.label === 'Holds')?.value).toMatch(
        / · web ghcr\.io\/acme\/shop:1\.4\.2, worker ghcr\.io\/acme\/worker:7$/,
      );
      const d = await dispatch(ops, `diff #${a!.id}`, who);
      expect(d.block?.join('\n')).toContain('+    image: ghcr.io/acme/shop:1.4.2');
      const dry = await dispatch(ops, 'launch shop web=1.4.2 --dry-run', who);
      expect(dry.block?.join('\n')).toContain('image: ghcr.io/acme/shop:1.4.2');
      expect(dry.block?.join('\n')).not.toContain('shop:1.3.0');
    } finally {
      await ops.close();
    }
  });

  it('refuses a service without a pattern, an image the pattern does not allow, an unknown service', async () => {
    const ops = await setup();
    try {
      const worker = await dispatch(ops, 'launch shop worker=8', who);
      expect(worker.outcome).toBe('refused');
      expect(worker.text).toBe(
        'Fleet shop takes no image for worker from a launch: fleets.shop.images.worker is not set. Nothing was launched.',
      );
      const other = await dispatch(ops, 'launch shop web=docker.io/evil/shop:1', who);
      expect(other.outcome).toBe('refused');
      expect(other.text).toBe(
        'docker.io/evil/shop:1 is not an image web of shop may run: fleets.shop.images.web allows ghcr.io/acme/shop:*. Nothing was launched.',
      );
      const unknown = await dispatch(ops, 'launch shop api=1', who);
      expect(unknown.outcome).toBe('usage');
      expect(unknown.text).toContain('Fleet shop has no service named api');
      expect(await ops.db.selectFrom('approvals').selectAll().execute()).toEqual([]);
      expect(await ops.db.selectFrom('deployments').selectAll().execute()).toEqual([]);
    } finally {
      await ops.close();
    }
  });
});
