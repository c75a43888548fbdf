import { describe, expect, it } from 'vitest';
import { roleOf } from '../../src/commands/access.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { testOps } from '../support/test-ops.js';

// The HTTP API's tokens: made once, stored as a hash, checked in constant time, and
// the role and fleets they carry.

const config = {
  clusters: { laptop: { local: true, docker_host: 'unix:///nonexistent.sock' } },
  access: { 'token:ci': 'viewer', 'console:root': 'admin' },
  fleets: {
    shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml' },
    blog: { cluster: 'laptop', compose_file: 'stacks/shop.yml' },
  },
};
const files = { 'stacks/shop.yml': 'services:\n  web:\n    image: nginx\n' };

describe('ApiTokens', () => {
  it('keeps only a hash, verifies the token itself, and forgets a revoked one', async () => {
    const ops = await testOps(config, { files });
    try {
      const made = await ops.tokens.create({
        name: 'ci',
        role: 'deployer',
        createdBy: 'console:root',
      });
      expect(made?.token).toMatch(/^otto_ci_[A-Za-z0-9_-]{43}$/);
      const [row] = await ops.db.selectFrom('apiTokens').selectAll().execute();
      expect(row?.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(row)).not.toContain(made!.token.slice(8));
      expect((await ops.tokens.verify(made!.token))?.name).toBe('ci');
      // Same name, other secret; a token of another name; not a token at all.
      expect(await ops.tokens.verify(`otto_ci_${'A'.repeat(43)}`)).toBeUndefined();
      expect(await ops.tokens.verify(made!.token.replace('otto_ci_', 'otto_cd_'))).toBeUndefined();
      expect(await ops.tokens.verify('Bearer')).toBeUndefined();
      expect(
        await ops.tokens.create({ name: 'ci', role: 'viewer', createdBy: 'x' }),
      ).toBeUndefined();
      expect((await ops.tokens.list())[0]?.lastUsedAt).not.toBeNull();
      expect(await ops.tokens.revoke('ci')).toBe(true);
      expect(await ops.tokens.verify(made!.token)).toBeUndefined();
      expect(await ops.tokens.revoke('ci')).toBe(false);
    } finally {
      await ops.close();
    }
  });

  it('a token acts with its role, raised by access: entries, and only on its fleets', async () => {
    const ops = await testOps(config, { files });
    try {
      const shop = ops.config.fleets.get('shop')!;
      const blog = ops.config.fleets.get('blog')!;
      const who = (role: 'viewer' | 'deployer', fleets?: string[]) => ({
        actor: 'token:ci',
        groups: [],
        grant: { role, fleets },
      });
      expect(roleOf(ops.config, who('deployer'), shop)).toBe('deployer');
      expect(roleOf(ops.config, who('deployer', ['shop']), shop)).toBe('deployer');
      // Limited to shop: nothing on blog, nor without a fleet, whatever access: says.
      expect(roleOf(ops.config, who('deployer', ['shop']), blog)).toBe('none');
      expect(roleOf(ops.config, who('deployer', ['shop']))).toBe('none');
      expect(roleOf(ops.config, { actor: 'token:ci', groups: [] }, blog)).toBe('viewer');
    } finally {
      await ops.close();
    }
  });

  it('token create is typed on Otto’s machine only; list and revoke never show a token', async () => {
    const ops = await testOps(config, { files });
    try {
      const chat = await dispatch(ops, 'token create ci', {
        actor: 'console:root',
        channel: 'slack:C1',
        platform: 'slack',
      });
      expect(chat.outcome).toBe('refused');
      const root = { actor: 'console:root', channel: 'cli', platform: 'cli' } as const;
      const made = await dispatch(ops, 'token create ci --role deployer --fleet shop,blog', root);
      expect(made.outcome).toBe('ok');
      const token = made.text.split('\n').at(-1)!;
      expect(token).toMatch(/^otto_ci_/);
      expect(made.text.split('\n')[0]).toBe(
        '🔑 Token ci made: token:ci acts as deployer on shop, blog.',
      );
      const audit = await ops.db.selectFrom('audit').selectAll().execute();
      expect(JSON.stringify(audit)).not.toContain(token);
      const bad = await dispatch(ops, 'token create x --fleet nope', root);
      expect(bad.outcome).toBe('failed');
      const list = await dispatch(ops, 'token list', root);
      expect(list.fields?.[0]).toMatchObject({ label: 'ci' });
      expect(list.fields?.[0]?.value).toMatch(/^deployer on blog, shop · made by console:root /);
      expect(JSON.stringify(list)).not.toContain(token);
      expect((await dispatch(ops, 'token revoke ci', root)).outcome).toBe('ok');
      expect((await dispatch(ops, 'token revoke ci', root)).outcome).toBe('failed');
    } finally {
      await ops.close();
    }
  });
});
