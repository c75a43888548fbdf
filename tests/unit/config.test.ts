import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  buildConfig,
  DEFAULT_INGRESS_IMAGE,
  embeddedDefault,
  loadConfig,
} from '../../src/config/config.js';
import { ConfigError } from '../../src/errors.js';
import { billionLaughs } from '../support/billion-laughs.js';

const base = {
  clusters: {
    prod: {
      managers: [{ host: '203.0.113.10', user: 'deploy', private_key_file: '~/.ssh/id_ed25519' }],
    },
    laptop: { local: true },
  },
  fleets: { myapp: { cluster: 'prod', compose_file: 'stacks/myapp.yml' } },
};

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('otto.yml', () => {
  it('accepts the example in the README, every key of it', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const example = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const c = buildConfig(parse(example!), '/srv/otto', '/srv/otto/otto.yml', {
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      SLACK_SIGNING_SECRET: 'signing-secret',
      DISCORD_TOKEN: 'MTAw.discord-token.abcdefgh',
      DISCORD_ALERT_WEBHOOK: 'https://discord.com/api/webhooks/1/token',
      GITHUB_WEBHOOK_SECRET: 'github-webhook-secret',
      // For the notify: and smtp: keys of the example.
      OTTO_HOOK_SECRET: 'ops-hook-secret-0123456789',
      OTTO_SMTP_PASSWORD: 'smtp-password',
    });
    expect(c.slack?.mode).toBe('socket');
    expect(c.http).toMatchObject({ port: 8080, host: '127.0.0.1' });
    expect(c.http?.hooks.github).toBe('github-webhook-secret');
    const shop = c.fleets.get('shop');
    expect(shop?.source).toMatchObject({ kind: 'git', repo: 'git@github.com:acme/shop.git' });
    expect(shop?.autoLaunch).toBe(true);
    expect(shop?.images.get('web')).toEqual(['ghcr.io/acme/shop:*', 'ghcr.io/acme/shop@*']);
    expect(c.telemetry).toMatchObject({ pollSeconds: 15, remindSeconds: 3600, events: true });
    expect(c.telemetry.alerts).toHaveLength(3);
    expect(c.fleets.get('myapp')?.alerts).toEqual(['slack:C0ALERTS', 'discord:123456789012345678']);
    expect(c.discord?.guildId).toBe('456789012345678901');
    const myapp = c.fleets.get('myapp');
    expect(myapp?.onFailure).toBe('rollback');
    expect(myapp?.channels).toEqual(['slack:C0OPS', 'discord:1122334455']);
    expect(c.access.get('slack-group:S0SRE')).toBe('approver');
  });

  it('fills defaults and resolves paths against the file', () => {
    const c = buildConfig(base, '/srv/otto', '/srv/otto/otto.yml');
    expect(c.dataDir).toBe('/srv/otto/.otto');
    const prod = c.clusters.get('prod');
    expect(prod?.kind === 'ssh' && prod.managers[0]).toMatchObject({
      port: 22,
      privateKeyFile: join(homedir(), '.ssh/id_ed25519'),
    });
    // A changed host key on one manager stops failover unless the cluster says otherwise.
    expect(prod?.kind === 'ssh' && prod.strictHostKeys).toBe(true);
    expect(c.fleets.get('myapp')).toMatchObject({
      source: { kind: 'file', path: '/srv/otto/stacks/myapp.yml' },
      convergeTimeoutSeconds: 300,
      settleSeconds: 3,
    });
    expect(c.clusters.get('laptop')).toMatchObject({ kind: 'local' });
  });

  it('names the key path of every problem', () => {
    const bad = {
      ...base,
      clusters: {
        prod: {
          managers: [
            { host: 'h', user: 'u', private_key_file: 'k', port: 'twenty-two', host_key: 'md5:aa' },
          ],
        },
      },
      fleets: {
        MyApp: { cluster: 'prod', compose_file: 'x' },
        ok: { cluster: 'nope', compose_file: 'y', converge_timeout: -1 },
      },
    };
    const m = message(() => buildConfig(bad, '/', 'otto.yml'));
    expect(m).toContain('clusters.prod.managers.0.port');
    expect(m).toContain('clusters.prod.managers.0.host_key: must look like SHA256:');
    expect(m).toContain('fleets.MyApp');
    expect(m).toContain('fleets.ok.converge_timeout');
  });

  it('says when a fleet names a cluster that does not exist', () => {
    const m = message(() =>
      buildConfig(
        { ...base, fleets: { ok: { cluster: 'nope', compose_file: 'y' } } },
        '/',
        'otto.yml',
      ),
    );
    expect(m).toContain(
      'fleets.ok.cluster: names cluster "nope", which is not under clusters (known: prod, laptop)',
    );
  });

  it('reads slack: with socket mode by default, and says which token a mode lacks without echoing secrets', () => {
    const env = { BOT: 'xoxb-1-secret', APP: 'xapp-1-secret' };
    const slack = buildConfig(
      { ...base, slack: { bot_token: '${BOT}', app_token: '${APP}' } },
      '/',
      'otto.yml',
      env,
    ).slack;
    expect(slack).toEqual({
      mode: 'socket',
      botToken: 'xoxb-1-secret',
      appToken: 'xapp-1-secret',
      signingSecret: undefined,
      port: 3000,
      host: '0.0.0.0',
      apiUrl: 'https://slack.com/api/',
    });
    expect(
      buildConfig(
        { ...base, slack: { bot_token: 'xoxb-1', app_token: 'xapp-1', host: '127.0.0.1' } },
        '/',
        'otto.yml',
      ).slack?.host,
    ).toBe('127.0.0.1');
    expect(
      message(() =>
        buildConfig(
          { ...base, slack: { bot_token: 'xoxb-1', app_token: 'xapp-1', host: 'a b' } },
          '/',
          'otto.yml',
        ),
      ),
    ).toContain('slack.host: host is a bind address');
    const http = message(() =>
      buildConfig(
        { ...base, slack: { mode: 'http', bot_token: 'xoxp-user-token' } },
        '/',
        'otto.yml',
      ),
    );
    expect(http).toContain('slack.bot_token: a bot token starts with xoxb-');
    expect(http).toContain('slack.signing_secret: http mode needs the signing secret');
    expect(http).not.toContain('xoxp-user-token');
    expect(
      message(() => buildConfig({ ...base, slack: { bot_token: 'xoxb-1' } }, '/', 'otto.yml')),
    ).toContain('slack.app_token: socket mode needs an app-level token');
    expect(
      buildConfig(
        {
          ...base,
          slack: {
            mode: 'http',
            bot_token: 'xoxb-1',
            signing_secret: 'abcdefgh',
            api_url: 'http://127.0.0.1:9/api',
          },
        },
        '/',
        'otto.yml',
      ).slack?.apiUrl,
    ).toBe('http://127.0.0.1:9/api/');
  });

  it('reads discord: and wants ids as quoted numbers', () => {
    const discord = buildConfig(
      {
        ...base,
        discord: { token: 'MTAw.secret-token.abcdefgh', application_id: '123456789012345678' },
      },
      '/',
      'otto.yml',
    ).discord;
    expect(discord).toEqual({
      token: 'MTAw.secret-token.abcdefgh',
      applicationId: '123456789012345678',
      guildId: undefined,
      apiUrl: 'https://discord.com/api',
    });
    const m = message(() =>
      buildConfig(
        {
          ...base,
          discord: {
            token: 'MTAw.secret-token.abcdefgh',
            application_id: 123,
            guild_id: 'general',
          },
        },
        '/',
        'otto.yml',
      ),
    );
    expect(m).toContain('discord.application_id');
    expect(m).toContain('discord.guild_id: a guild id is a number');
    expect(m).not.toContain('secret-token');
  });

  it('refuses unknown keys (typos)', () => {
    expect(message(() => buildConfig({ ...base, fleet: {} }, '/', 'otto.yml'))).toMatch(/fleet/);
  });

  it('takes ${ENV} from the environment and says which one is missing', () => {
    const raw = { ...base, data_dir: '${DATA}' };
    expect(buildConfig(raw, '/', 'otto.yml', { DATA: '/var/lib/otto' }).dataDir).toBe(
      '/var/lib/otto',
    );
    expect(message(() => buildConfig(raw, '/', 'otto.yml', {}))).toContain(
      'data_dir uses ${DATA}, but the environment has no DATA',
    );
  });

  it('names line and column of a YAML error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-cfg-'));
    writeFileSync(join(dir, 'otto.yml'), 'clusters:\n  a: [\n');
    expect(message(() => loadConfig(join(dir, 'otto.yml'), true))).toMatch(/line \d+, column \d+/);
  });

  it('refuses a billion-laughs alias bomb with a ConfigError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-cfg-'));
    const file = join(dir, 'otto.yml');
    writeFileSync(file, billionLaughs('x-lol'));
    expect(message(() => loadConfig(file, true))).toBe(
      `${file} expands its YAML aliases (*name) more than 100 times over, as a "billion laughs" file does to exhaust memory. Otto did not expand it.`,
    );
    writeFileSync(file, 'data_dir: *nowhere\n');
    expect(message(() => loadConfig(file, true))).toMatch(/has a YAML alias Otto can't resolve/);
  });

  it('uses the embedded default only when no file was named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-cfg-'));
    expect(loadConfig(join(dir, 'otto.yml'), false).clusters.get('local')).toMatchObject({
      kind: 'local',
    });
    expect(message(() => loadConfig(join(dir, 'otto.yml'), true))).toContain(
      "can't find the config file",
    );
    expect(embeddedDefault('/w').dataDir).toBe('/w/.otto');
    // The example fleet, from Otto's own folder whatever the working one.
    const hello = embeddedDefault('/w').fleets.get('hello');
    expect(hello?.cluster).toBe('local');
    expect(hello?.source).toEqual({
      kind: 'file',
      path: resolve(import.meta.dirname, '../../examples/hello/compose.yml'),
    });
    // An Otto folder without examples/: the local cluster alone.
    expect(embeddedDefault('/w', '/nowhere').fleets.size).toBe(0);
  });
});

describe('clusters.<name>.ingress', () => {
  const withIngress = (ingress: unknown, cluster: 'prod' | 'laptop' = 'prod') => ({
    ...base,
    clusters: {
      ...base.clusters,
      [cluster]: { ...base.clusters[cluster], ingress },
    },
  });

  it('defaults to an enabled ingress on the pinned Traefik v3 image, without an e-mail', () => {
    const c = buildConfig(base, '/srv/otto', '/srv/otto/otto.yml');
    const expected = {
      enabled: true,
      acmeEmail: undefined,
      image: 'traefik:v3.7.9',
      extraArgs: [],
    };
    expect(c.clusters.get('prod')?.ingress).toEqual(expected);
    expect(c.clusters.get('laptop')?.ingress).toEqual(expected);
    expect(DEFAULT_INGRESS_IMAGE).toBe('traefik:v3.7.9');
  });

  it('reads every key, camelCased, on ssh and local clusters', () => {
    const ingress = {
      acme_email: 'ops@example.com',
      image: 'registry.example.com:5000/mirror/traefik:v3.7.9',
      enabled: false,
      extra_args: ['--log.level=INFO', '--providers.swarm.constraints=Label(`a`, `b`)'],
    };
    const camel = {
      acmeEmail: 'ops@example.com',
      image: 'registry.example.com:5000/mirror/traefik:v3.7.9',
      enabled: false,
      extraArgs: ['--log.level=INFO', '--providers.swarm.constraints=Label(`a`, `b`)'],
    };
    const prod = buildConfig(withIngress(ingress), '/srv/otto', undefined);
    expect(prod.clusters.get('prod')?.ingress).toEqual(camel);
    const laptop = buildConfig(withIngress(ingress, 'laptop'), '/srv/otto', undefined);
    expect(laptop.clusters.get('laptop')?.ingress).toEqual(camel);
  });

  it('takes image references with a digest, a port or no tag', () => {
    for (const image of [
      'traefik',
      'traefik:v3.7',
      'localhost:5000/traefik:v3.7.9',
      `traefik:v3.7.9@sha256:${'a'.repeat(64)}`,
    ]) {
      const c = buildConfig(withIngress({ image }), '/srv/otto', undefined);
      expect(c.clusters.get('prod')?.ingress.image).toBe(image);
    }
  });

  it('names the key path of each problem', () => {
    const m = message(() =>
      buildConfig(
        withIngress({
          acme_email: 'not-an-address',
          image: 'Traefik:v3 latest',
          enabled: 'yes',
          extra_args: ['--log.level=INFO', 'log.level=DEBUG', '-x'],
          acme: true,
        }),
        '/srv/otto',
        undefined,
      ),
    );
    expect(m).toContain(
      "clusters.prod.ingress.acme_email: must be an e-mail address such as ops@example.com (Let's Encrypt writes to it)",
    );
    expect(m).toContain(
      'clusters.prod.ingress.image: must be a docker image reference such as traefik:v3.7.9',
    );
    expect(m).toContain('clusters.prod.ingress.enabled:');
    expect(m).toContain(
      'clusters.prod.ingress.extra_args.1: each extra argument is one Traefik flag starting with --, such as --log.level=INFO',
    );
    expect(m).toContain('clusters.prod.ingress.extra_args.2:');
    expect(m).not.toContain('extra_args.0');
    expect(m).toContain('clusters.prod.ingress: Unrecognized key: "acme"');
  });

  it('refuses the Traefik v2 Swarm flag, which stops v3 from starting', () => {
    const m = message(() =>
      buildConfig(
        withIngress({ extra_args: ['--providers.docker.swarmMode=true'] }),
        '/srv/otto',
        undefined,
      ),
    );
    expect(m).toContain(
      'clusters.prod.ingress.extra_args.0: providers.docker.swarmMode is Traefik v2 and stops v3 from starting',
    );
  });
});

describe('notify: and smtp: (webhook, Mattermost, Teams and e-mail targets)', () => {
  const HOOK = 'https://hooks.example.com/otto';
  const smtp = {
    host: 'smtp.example.com',
    user: 'otto@example.com',
    password: '${OTTO_SMTP_PASSWORD}',
    from: 'Otto <otto@example.com>',
  };
  const env = { OTTO_SMTP_PASSWORD: 'pw-from-env-123', OTTO_HOOK_SECRET: 'x'.repeat(32) };
  const build = (extra: object) => buildConfig({ ...base, ...extra }, '/srv', undefined, env);

  it('reads every target kind, notify entries and smtp with its defaults', () => {
    const c = build({
      notify: { 'ops-hook': { url: HOOK, secret: '${OTTO_HOOK_SECRET}' } },
      smtp,
      telemetry: {
        alerts: [
          'webhook:ops-hook',
          'mattermost:https://chat.example.com/hooks/abc123',
          'teams:https://prod-00.westeurope.logic.azure.com:443/workflows/1/triggers/manual/paths/invoke?api-version=2016-06-01&sig=xyz',
          'email:oncall@example.com',
          'mattermost:http://127.0.0.1:8065/hooks/local',
        ],
      },
    });
    expect(c.notify.get('ops-hook')).toEqual({ url: HOOK, secret: 'x'.repeat(32) });
    expect(c.smtp).toEqual({
      host: 'smtp.example.com',
      port: 587,
      user: 'otto@example.com',
      password: 'pw-from-env-123',
      from: 'Otto <otto@example.com>',
      tls: 'starttls',
    });
    expect(c.fleets.get('myapp')?.alerts).toHaveLength(5);
    expect(build({ smtp: { ...smtp, tls: 'tls' } }).smtp?.port).toBe(465);
    expect(build({ smtp: { host: 'localhost', from: 'otto@x.org', tls: 'none' } }).smtp).toEqual({
      host: 'localhost',
      port: 25,
      user: undefined,
      password: undefined,
      from: 'otto@x.org',
      tls: 'none',
    });
    expect(build({}).notify.size).toBe(0);
    expect(build({}).smtp).toBeUndefined();
  });

  it('refuses a webhook naming no notify entry and mail without smtp:, by key path', () => {
    const m = message(() =>
      build({
        notify: { 'ops-hook': { url: HOOK, secret: 'y'.repeat(16) } },
        telemetry: { alerts: ['webhook:opshook'] },
        fleets: {
          myapp: { cluster: 'prod', compose_file: 'a.yml', alerts: ['email:oncall@example.com'] },
        },
      }),
    );
    expect(m).toContain(
      'telemetry.alerts.0: webhook:opshook names "opshook", which is not under notify: (known: ops-hook)',
    );
    expect(m).toContain(
      'fleets.myapp.alerts.0: email:oncall@example.com is an e-mail address, but there is no smtp: section',
    );
    // Whatever runs Otto: no chat section is needed to be told.
    expect(message(() => build({ telemetry: { alerts: ['webhook:constructor'] } }))).toContain(
      'known: none',
    );
  });

  it('says what each target kind looks like when one is malformed', () => {
    const bad = (target: string) => message(() => build({ telemetry: { alerts: [target] } }));
    expect(bad(`webhook:${HOOK}`)).toMatch(
      /telemetry\.alerts\.0: .* write webhook:<name of an entry under notify:>/,
    );
    const mm = bad('mattermost:http://chat.example.com/hooks/tok3n');
    expect(mm).toContain('telemetry.alerts.0: not a mattermost target Otto can send to');
    expect(mm).toContain('https; http only to 127.0.0.1 or localhost');
    expect(mm).not.toContain('tok3n');
    expect(bad('teams:not-a-url')).toContain('teams:<workflow webhook URL>');
    expect(bad('email:not an address')).toContain('email:<address>');
    expect(bad('pager:42')).toContain('alert targets look like slack:C0123ABC');
  });

  it('checks notify entries and smtp, and never echoes a secret', () => {
    const m = message(() =>
      build({
        notify: {
          'Ops Hook': { url: HOOK, secret: 'z'.repeat(16) },
          short: { url: 'http://hooks.example.com/x', secret: 'tiny-secret' },
        },
        smtp: { ...smtp, password: 'pw-in-clear-9', tls: 'none' },
      }),
    );
    expect(m).toContain('notify: names use a-z, 0-9, - and _');
    expect(m).toContain('notify.short.url: url is an https:// URL');
    expect(m).toContain('notify.short.secret: the secret has at least 16 characters');
    expect(m).toContain('smtp.tls: tls: none would send the password in clear text');
    expect(m).not.toContain('tiny-secret');
    expect(m).not.toContain('pw-in-clear-9');
    const half = message(() => build({ smtp: { host: 'h', from: 'a@b.c', user: 'u' } }));
    expect(half).toContain('smtp.password: user and password go together');
    expect(message(() => build({ smtp: { host: 'h', from: 'nobody' } }))).toContain(
      'smtp.from: from is an address',
    );
    expect(message(() => build({ smtp: { ...smtp, tls: 'ssl' } }))).toContain('smtp.tls');
    expect(message(() => build({ smtp: { ...smtp, pasword: 'x' } }))).toContain('pasword');
  });
});
