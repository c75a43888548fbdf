import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { checkField } from '../../src/init/fields.js';
import { missingFlags, parseInitFlags } from '../../src/init/init-flags.js';
import { discordInviteUrl } from '../../src/init/next-steps.js';
import { pathForYml, typedPath } from '../../src/init/yml-paths.js';
import { pickChoice, pickYesNo } from '../../src/init/prompter.js';
import { fleetNameFor } from '../../src/init/questions.js';

const DISCORD_TOKEN_SHAPE = 'MTA1NjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz012345';

function refusal(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('no UsageError');
}

describe('otto init: answers checked with zod', () => {
  it('takes application ids as digits, and refuses a token without repeating it', () => {
    expect(checkField('applicationId', '123456789012345678')).toEqual({
      ok: true,
      value: '123456789012345678',
    });
    for (const token of [DISCORD_TOKEN_SHAPE, 'xoxb-1234-5678-abcdef', 'xapp-1-A0-123-abc']) {
      const c = checkField('applicationId', token);
      expect(c.ok).toBe(false);
      if (!c.ok) {
        expect(c.message).toMatch(/^that looks like a token, not an application id/);
        expect(c.message).not.toContain(token);
      }
    }
    const c = checkField('applicationId', 'my-app');
    expect(c).toEqual({
      ok: false,
      message:
        "an application id is digits only, such as 123456789012345678 (your app's General Information page)",
    });
  });

  it('reads ports, fingerprints, names and Docker hosts', () => {
    expect(checkField('port', '2222')).toEqual({ ok: true, value: 2222 });
    expect(checkField('port', '70000').ok).toBe(false);
    expect(checkField('port', 'ssh').ok).toBe(false);
    expect(checkField('fingerprint', `SHA256:${'A'.repeat(43)}`).ok).toBe(true);
    expect(checkField('fingerprint', 'MD5:aa:bb').ok).toBe(false);
    expect(checkField('fleetName', 'Shop').ok).toBe(false);
    expect(checkField('clusterName', 'prod_eu').ok).toBe(true);
    expect(checkField('dockerHost', 'unix:///run/docker.sock').ok).toBe(true);
    expect(checkField('dockerHost', '/run/docker.sock').ok).toBe(false);
    expect(checkField('host', '203.0.113.10').ok).toBe(true);
    expect(checkField('host', '-oProxyCommand=x').ok).toBe(false);
    expect(checkField('chat', 'teams').ok).toBe(false);
  });
});

describe('otto init: flags', () => {
  it('reads a full set of flags', () => {
    const f = parseInitFlags(
      {
        host: 'manager.example.com',
        user: 'deploy',
        port: '2222',
        key: '~/.ssh/otto',
        fingerprint: `SHA256:${'b'.repeat(43)}`,
        compose: 'stacks/shop.yml',
        fleet: ['shop'],
        chat: 'discord',
        'discord-app-id': '123456789012345678',
        'cluster-name': 'prod',
      },
      [],
    );
    expect(f).toEqual({
      file: 'otto.yml',
      clusterName: 'prod',
      local: false,
      host: 'manager.example.com',
      user: 'deploy',
      port: 2222,
      key: '~/.ssh/otto',
      fingerprint: `SHA256:${'b'.repeat(43)}`,
      dockerHost: undefined,
      compose: 'stacks/shop.yml',
      example: false,
      fleet: 'shop',
      chat: 'discord',
      discordAppId: '123456789012345678',
      yes: false,
    });
    expect(missingFlags(f)).toEqual([]);
  });

  it('names every flag that is wrong or contradicts another, never a token', () => {
    const e = refusal(() =>
      parseInitFlags(
        {
          local: true,
          host: 'h',
          port: '0',
          compose: 'a.yml',
          example: true,
          chat: 'slack',
          'discord-app-id': DISCORD_TOKEN_SHAPE,
          fleet: ['a', 'b'],
        },
        ['extra'],
      ),
    );
    expect(e.message).toBe(
      [
        "otto init can't use these flags:",
        '  - otto init takes no words, only --flags (got "extra")',
        '  - --fleet: otto init sets up one fleet',
        '  - --port: a port is a number from 1 to 65535, such as 22',
        "  - --discord-app-id: that looks like a token, not an application id. Otto never writes a token into otto.yml: the application id is the number on your app's General Information page",
        '  - --local and --host: the Swarm is on this machine or on a server, not both',
        '  - --port is for an SSH cluster, not --local',
        '  - --compose and --example: the first fleet is one of them',
        '  - --discord-app-id is for --chat discord',
      ].join('\n'),
    );
    expect(e.fix).toMatch(/^Usage: otto init /);
  });

  it('says which answers a run without a terminal still needs', () => {
    expect(missingFlags(parseInitFlags({}, []))).toEqual([
      '--local or --host HOST',
      '--compose FILE or --example',
      '--chat none|slack|discord',
    ]);
    expect(
      missingFlags(parseInitFlags({ local: true, example: true, chat: 'discord' }, [])),
    ).toEqual(['--discord-app-id ID']);
    expect(parseInitFlags({ config: 'x/otto.yml' }, []).file).toBe('x/otto.yml');
  });
});

describe('otto init: small pieces', () => {
  it('names a fleet after its compose file, or its folder for the usual names', () => {
    expect(fleetNameFor('/srv/stacks/shop.yml')).toBe('shop');
    expect(fleetNameFor('/srv/My Shop/docker-compose.yml')).toBe('my-shop');
    expect(fleetNameFor('/srv/api/compose.yaml')).toBe('api');
    expect(fleetNameFor('/___.yml')).toBe('app');
  });

  it('writes paths relative to otto.yml when under it, else from home, else absolute', () => {
    expect(pathForYml('/srv/otto/stacks/shop.yml', '/srv/otto', '/home/ann')).toBe(
      'stacks/shop.yml',
    );
    expect(pathForYml('/home/ann/.ssh/id_ed25519', '/srv/otto', '/home/ann')).toBe(
      '~/.ssh/id_ed25519',
    );
    expect(pathForYml('/opt/otto/examples/hello/compose.yml', '/srv/otto', '/home/ann')).toBe(
      '/opt/otto/examples/hello/compose.yml',
    );
    expect(pathForYml('/srv/compose.yml', '/srv/otto', '/')).toBe('/srv/compose.yml');
    expect(typedPath('~/.ssh/k', '/srv', '/home/ann')).toBe('/home/ann/.ssh/k');
    expect(typedPath('stacks/a.yml', '/srv', '/home/ann')).toBe('/srv/stacks/a.yml');
  });

  it("builds the Discord invite link as README's Discord section does", () => {
    expect(discordInviteUrl('123456789012345678')).toBe(
      'https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot%20applications.commands&permissions=309237648384',
    );
  });

  it('reads a choice as its number or its word, Enter as the default', () => {
    const choices = [
      { value: 'local', label: 'here' },
      { value: 'ssh', label: 'there' },
    ] as const;
    expect(pickChoice('', choices, 'local')).toBe('local');
    expect(pickChoice(' 2 ', choices, 'local')).toBe('ssh');
    expect(pickChoice('SSH', choices, 'local')).toBe('ssh');
    expect(pickChoice('3', choices, 'local')).toBeUndefined();
    expect(pickYesNo('', false)).toBe(false);
    expect(pickYesNo('Yes', false)).toBe(true);
    expect(pickYesNo('maybe', false)).toBeUndefined();
  });
});
