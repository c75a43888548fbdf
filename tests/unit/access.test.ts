import { describe, expect, it } from 'vitest';
import { requireChannel, requireRole, roleOf } from '../../src/commands/access.js';
import { buildConfig } from '../../src/config/config.js';
import { RefusedError } from '../../src/errors.js';

const config = buildConfig(
  {
    clusters: { l: { local: true } },
    access: {
      'slack:*': 'viewer',
      'slack:UALICE': 'deployer',
      'slack-group:SSRE': 'approver',
      'discord-role:42': 'admin',
    },
    fleets: {
      shop: { cluster: 'l', compose_file: 'a.yml' },
      prod: {
        cluster: 'l',
        compose_file: 'b.yml',
        access: { 'slack:*': 'none', 'slack:UALICE': 'viewer' },
        channels: ['slack:COPS'],
      },
    },
  },
  '/tmp',
  undefined,
);
const shop = config.fleets.get('shop')!;
const prod = config.fleets.get('prod')!;
const who = (actor: string, groups: string[] = []) => ({ actor, groups });

describe('roles', () => {
  it('gives the highest role among matching identities, wildcards included', () => {
    expect(roleOf(config, who('slack:UBOB'))).toBe('viewer');
    expect(roleOf(config, who('slack:UALICE'))).toBe('deployer');
    expect(roleOf(config, who('slack:UBOB', ['slack-group:SSRE']))).toBe('approver');
    expect(roleOf(config, who('discord:7', ['discord-role:42']))).toBe('admin');
  });

  it('lets nobody on a chat platform do anything by default', () => {
    expect(roleOf(config, who('discord:7'))).toBe('none');
    const bare = buildConfig({ clusters: { l: { local: true } } }, '/tmp', undefined);
    expect(roleOf(bare, who('slack:U1'))).toBe('none');
    expect(() => requireRole(bare, who('slack:U1'), 'viewer', 'run status')).toThrow(
      /Otto doesn't know slack:U1 yet/,
    );
  });

  it('makes the local console operator admin unless access: names console identities', () => {
    expect(roleOf(config, who('console:anyone'))).toBe('admin');
    const named = buildConfig(
      { clusters: { l: { local: true } }, access: { 'console:alice': 'viewer' } },
      '/tmp',
      undefined,
    );
    expect(roleOf(named, who('console:alice'))).toBe('viewer');
    expect(roleOf(named, who('console:bob'))).toBe('none');
  });

  it('lets a fleet replace entries with the same identity', () => {
    expect(roleOf(config, who('slack:UBOB'), shop)).toBe('viewer');
    expect(roleOf(config, who('slack:UBOB'), prod)).toBe('none');
    expect(roleOf(config, who('slack:UALICE'), prod)).toBe('viewer');
    expect(roleOf(config, who('slack:UBOB', ['slack-group:SSRE']), prod)).toBe('approver');
  });

  it('says which role is needed and what to add', () => {
    const err = (() => {
      try {
        requireRole(config, who('slack:UBOB'), 'deployer', 'run launch for shop', shop);
      } catch (e) {
        return e as RefusedError;
      }
    })();
    expect(err).toBeInstanceOf(RefusedError);
    expect(err?.message).toBe(
      "slack:UBOB can't run launch for shop: that needs the deployer role for shop, and slack:UBOB has viewer. Nothing was changed.",
    );
    expect(err?.fix).toContain('`slack:UBOB: deployer` under access:');
  });
});

describe('channels', () => {
  it('limits chat channels per fleet and leaves the console alone', () => {
    expect(() => requireChannel(prod, 'slack:COPS')).not.toThrow();
    expect(() => requireChannel(prod, 'cli')).not.toThrow();
    expect(() => requireChannel(prod, 'console')).not.toThrow();
    expect(() => requireChannel(shop, 'slack:CRANDOM')).not.toThrow();
    expect(() => requireChannel(prod, 'slack:CRANDOM')).toThrow(
      'prod is not available from this channel (slack:CRANDOM). Nothing was changed.',
    );
    // Whoever is refused may not know the fleet's channels: they are not named.
    const fix = (() => {
      try {
        requireChannel(prod, 'slack:CRANDOM');
      } catch (e) {
        return (e as RefusedError).fix;
      }
    })();
    expect(fix).toBe(
      'Ask an admin which channel takes commands for prod: they are listed under fleets.prod.channels in otto.yml.',
    );
  });
});

describe('config', () => {
  it('names a bad identity or role by its key path', () => {
    expect(() =>
      buildConfig(
        { clusters: { l: { local: true } }, access: { 'irc:bob': 'admin' } },
        '/tmp',
        undefined,
      ),
    ).toThrow(/access\.irc:bob: invalid name: identities look like/);
    expect(() =>
      buildConfig(
        { clusters: { l: { local: true } }, access: { 'slack:U1': 'boss' } },
        '/tmp',
        undefined,
      ),
    ).toThrow(/access\.slack:U1/);
  });

  it('fills fleet defaults for approvals and on_failure', () => {
    expect(shop.approvals).toEqual({
      rollback: 1,
      launch: 0,
      scale: 0,
      selfApprove: false,
      timeoutSeconds: 900,
    });
    expect(shop.onFailure).toBe('stay');
  });
});
