import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { ChatAnswer, ClusterAnswer, InitAnswers } from '../../src/init/answers.js';
import { ottoYml } from '../../src/init/otto-yml.js';
import { InitRefusedError, writeNewFile } from '../../src/init/write-new.js';
import { checkOttoYml } from '../../src/init/yml-check.js';

const FP = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
const LOCAL: ClusterAnswer = { kind: 'local', name: 'local' };
const SSH: ClusterAnswer = {
  kind: 'ssh',
  name: 'prod',
  host: '203.0.113.10',
  port: 22,
  user: 'deploy',
  privateKeyFile: '~/.ssh/id_ed25519',
  hostKey: FP,
};
const CHATS: Record<string, ChatAnswer> = {
  none: { kind: 'none' },
  slack: { kind: 'slack' },
  discord: { kind: 'discord', applicationId: '123456789012345678' },
};

const answers = (cluster: ClusterAnswer, chat: ChatAnswer): InitAnswers => ({
  cluster,
  fleet: { name: 'shop', composeFile: 'stacks/shop.yml', example: false },
  chat,
});

const HEAD = `# otto.yml, written by otto init. README.md, section "Configuration: otto.yml",
# lists every key with an example; otto checks the whole file at every start.

# Otto's flight log (SQLite) and the key that encrypts secrets: back this folder up.
data_dir: .otto # relative to this file

clusters:
`;

const CLUSTERS: Record<string, string> = {
  local: `  # The Swarm Otto launches on: the one this machine is in.
  local:
    local: true # the docker CLI of the machine Otto runs on
`,
  ssh: `  # The Swarm Otto launches on: a manager it reaches over SSH.
  prod:
    # More managers here: Otto tries the next when one is down.
    managers:
      - host: 203.0.113.10
        port: 22
        user: deploy
        private_key_file: ~/.ssh/id_ed25519 # without a passphrase: Otto types none
        host_key: ${FP} # trusted at otto init; a server offering another key is refused
`,
};

const fleet = (cluster: string) => `
# A fleet is a stack: launch shop sends its compose file to the cluster.
fleets:
  shop:
    cluster: ${cluster}
    compose_file: stacks/shop.yml # relative to this file, read at every launch
`;

const CHAT_PART: Record<string, string> = {
  none: '',
  slack: `
# Slack, in Socket Mode (no public URL). The tokens come from the environment:
# Otto reads \${NAME} when it starts, and they never land in this file.
slack:
  bot_token: \${SLACK_BOT_TOKEN} # OAuth & Permissions: Bot User OAuth Token (xoxb-…)
  app_token: \${SLACK_APP_TOKEN} # Basic Information: App-Level Token with connections:write (xapp-…)
`,
  discord: `
# Discord. The bot token comes from the environment: Otto reads \${NAME} when it
# starts, and it never lands in this file.
discord:
  token: \${DISCORD_TOKEN} # the application's Bot page: Reset Token
  application_id: "123456789012345678" # General Information: Application ID
`,
};

describe('otto init: the otto.yml it writes', () => {
  for (const [kind, cluster] of [
    ['local', LOCAL],
    ['ssh', SSH],
  ] as const) {
    for (const chat of ['none', 'slack', 'discord']) {
      it(`${kind} cluster, chat ${chat}: commented, minimal, and loads`, () => {
        const text = ottoYml(answers(cluster, CHATS[chat]!));
        expect(text).toBe(HEAD + CLUSTERS[kind]! + fleet(cluster.name) + CHAT_PART[chat]!);
        const cfg = checkOttoYml(text, '/srv/otto/otto.yml', {});
        expect(cfg.fleets.get('shop')?.source).toEqual({
          kind: 'file',
          path: '/srv/otto/stacks/shop.yml',
        });
        expect(cfg.clusters.get(cluster.name)?.kind).toBe(kind);
        expect(Boolean(cfg.slack)).toBe(chat === 'slack');
        expect(Boolean(cfg.discord)).toBe(chat === 'discord');
      });
    }
  }

  it("names Otto's example and a docker host, with what they are", () => {
    const text = ottoYml({
      cluster: { ...SSH, dockerHost: 'unix:///run/docker.sock' },
      fleet: { name: 'hello', composeFile: '/opt/otto/examples/hello/compose.yml', example: true },
      chat: { kind: 'none' },
    });
    expect(text).toContain(
      `        host_key: ${FP} # trusted at otto init; a server offering another key is refused\n    docker_host: unix:///run/docker.sock # passed to the manager's docker CLI as -H\n`,
    );
    expect(text).toContain(
      "    compose_file: /opt/otto/examples/hello/compose.yml # Otto's example: one small web page\n",
    );
    expect(checkOttoYml(text, '/srv/otto.yml', {}).clusters.get('prod')).toMatchObject({
      dockerHost: 'unix:///run/docker.sock',
      managers: [{ hostKey: FP, privateKeyFile: expect.stringMatching(/\/\.ssh\/id_ed25519$/) }],
    });
  });
});

describe('otto init: the check of the file', () => {
  it('loads without the tokens exported, and uses them when they are', () => {
    const text = ottoYml(answers(LOCAL, CHATS['slack']!));
    expect(checkOttoYml(text, '/srv/otto.yml', {}).slack?.botToken).toBe(
      'xoxb-otto-init-placeholder',
    );
    expect(
      checkOttoYml(text, '/srv/otto.yml', {
        SLACK_BOT_TOKEN: 'xoxb-real',
        SLACK_APP_TOKEN: 'xapp-real',
      }).slack?.appToken,
    ).toBe('xapp-real');
  });

  it('still catches real mistakes: a wrong key, a fleet on no cluster, a token in the wrong form', () => {
    const text = ottoYml(answers(SSH, CHATS['none']!));
    const fail = (t: string, env: NodeJS.ProcessEnv = {}) => {
      try {
        checkOttoYml(t, '/srv/otto.yml', env);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).message;
      }
      throw new Error('loaded');
    };
    expect(fail(text.replace('cluster: prod', 'cluster: staging'))).toContain(
      'fleets.shop.cluster: names cluster "staging", which is not under clusters',
    );
    expect(fail(text.replace('host_key: SHA256:', 'host_key: MD5:'))).toContain(
      'clusters.prod.managers.0.host_key',
    );
    expect(fail(`${text}bogus: 1\n`)).toContain('bogus');
    const slack = ottoYml(answers(SSH, CHATS['slack']!));
    const swapped = fail(slack, { SLACK_BOT_TOKEN: 'xapp-secret-value' });
    expect(swapped).toContain('slack.bot_token: a bot token starts with xoxb-');
    expect(swapped).not.toContain('xapp-secret-value');
  });
});

describe('otto init: writing the file', () => {
  it('writes a new file whole, creating its folder, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-write-'));
    const path = join(dir, 'ops', 'otto.yml');
    writeNewFile(path, 'data_dir: .otto\n');
    expect(readFileSync(path, 'utf8')).toBe('data_dir: .otto\n');
    expect(readdirSync(join(dir, 'ops'))).toEqual(['otto.yml']);
  });

  it('never replaces a file that is there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-write-'));
    const path = join(dir, 'otto.yml');
    writeFileSync(path, 'keep: me\n');
    expect(() => writeNewFile(path, 'data_dir: .otto\n')).toThrow(InitRefusedError);
    expect(readFileSync(path, 'utf8')).toBe('keep: me\n');
    expect(readdirSync(dir)).toEqual(['otto.yml']);
    expect(existsSync(join(dir, 'otto.yml.tmp'))).toBe(false);
  });
});
