import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.js';
import { startPreviewMessages } from '../../src/watch/preview-messages.js';
import { testOps } from '../support/test-ops.js';

// One chat message per preview, posted once and edited in place as it launches,
// then a last time when it is removed.

describe('startPreviewMessages', () => {
  it('posts, edits on each change only, says removed, then forgets the preview', async () => {
    const ops = await testOps({
      clusters: { prod: { local: true } },
      fleets: {
        shop: {
          cluster: 'prod',
          git: { repo: 'https://git.example.com/acme/shop.git' },
          channels: ['slack:CSHOP'],
          previews: { domain: 'pr-{number}.shop.example.com', services: ['web'] },
        },
      },
    });
    const calls: [string, string, string][] = [];
    const outbox = {
      post: async (target: string, r: Reply) => {
        calls.push(['post', target, r.text]);
        return 'slack:CSHOP:1.0001';
      },
      reply: async (ref: string) => ref,
      edit: async (ref: string, r: Reply) => void calls.push(['edit', ref, r.text]),
    };
    const messages = startPreviewMessages(ops, outbox, () => {}, 3_600_000);
    try {
      await ops.previews.upsert({
        fleet: 'shop-pr-42',
        parent: 'shop',
        number: 42,
        headSha: 'b'.repeat(40),
        headRef: 'feature',
        domain: 'pr-42.shop.example.com',
        openedBy: 'octocat',
        updatedAt: new Date().toISOString(),
        expiresAt: '2026-12-03T10:00:00.000Z',
      });
      const d = await ops.deployments.start({
        fleet: 'shop-pr-42',
        actor: 'webhook:github',
        composeSnapshot: 'services: {}\n',
      });
      await messages.tick();
      await messages.tick();
      await ops.deployments.finish(d, 'succeeded', null);
      await messages.tick();
      await messages.tick();
      await ops.previews.close('shop-pr-42');
      expect(await ops.previews.list()).toEqual([]);
      await messages.tick();
      await messages.tick();
      expect(calls).toEqual([
        [
          'post',
          'slack:CSHOP',
          '🔭 Preview shop-pr-42 of #42 (feature) at bbbbbbb: 🚀 v1 launching.',
        ],
        [
          'edit',
          'slack:CSHOP:1.0001',
          '🔭 Preview shop-pr-42 of #42 (feature) at bbbbbbb: 🟢 v1 in orbit.',
        ],
        [
          'edit',
          'slack:CSHOP:1.0001',
          '🧹 Preview shop-pr-42 of #42 (feature) at bbbbbbb was removed.',
        ],
      ]);
      expect(await ops.previews.all()).toEqual([]);
    } finally {
      messages.stop();
      await ops.close();
    }
  });
});
