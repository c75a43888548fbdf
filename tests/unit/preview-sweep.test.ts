import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import { startPreviewSweep } from '../../src/watch/preview-sweep.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

// A preview whose ttl passed since its last push is removed as a closed pull
// request's would be: docker stack rm, its networks gone, the record forgotten.

describe('startPreviewSweep', () => {
  it('removes expired previews only, and previews lists what is left', async () => {
    const manager = new RecordingTransport({ 'stack rm': ok(), 'network ls': ok('') });
    const ops = await testOps(
      {
        clusters: { prod: { local: true } },
        fleets: {
          shop: {
            cluster: 'prod',
            git: { repo: 'https://git.example.com/acme/shop.git' },
            previews: { domain: 'pr-{number}.shop.example.com', services: ['web'], ttl: '1d' },
          },
        },
      },
      { transport: manager },
    );
    const logs: string[] = [];
    const sweep = startPreviewSweep(ops, (l) => logs.push(l), 3_600_000);
    try {
      const row = (n: number, expiresAt: string) => ({
        fleet: `shop-pr-${n}`,
        parent: 'shop',
        number: n,
        headSha: 'a'.repeat(40),
        headRef: `feature-${n}`,
        domain: `pr-${n}.shop.example.com`,
        openedBy: 'octocat',
        updatedAt: new Date().toISOString(),
        expiresAt,
      });
      await ops.previews.upsert(row(1, new Date(Date.now() - 1000).toISOString()));
      await ops.previews.upsert(row(2, new Date(Date.now() + 86_400_000).toISOString()));
      await sweep.tick();
      expect(manager.argvs()[0]).toEqual(['docker', 'stack', 'rm', '--', 'shop-pr-1']);
      expect((await ops.previews.list()).map((p) => p.fleet)).toEqual(['shop-pr-2']);
      expect(logs).toEqual(['otto: preview shop-pr-1 of #1 expired and was removed.']);
      const r = await dispatch(ops, 'previews shop', {
        actor: 'console:ada',
        channel: 'cli',
        platform: 'cli',
      });
      expect(r.text).toBe('1 preview in orbit:');
      expect(r.fields?.[0]).toMatchObject({ label: 'shop-pr-2' });
      expect(r.fields?.[0]?.value).toMatch(
        /^#2 \(feature-2\) at aaaaaaa · https:\/\/pr-2\.shop\.example\.com · by octocat · until /,
      );
    } finally {
      sweep.stop();
      await ops.close();
    }
  });
});
