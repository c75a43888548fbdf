import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig, envValue } from '../../src/config/config.js';
import { loadSecretKey } from '../../src/store/crypto.js';
import { testKey } from '../support/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'otto-env-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('NAME_FILE, the Docker secrets convention', () => {
  it('reads the file when NAME is unset, one trailing line break trimmed; NAME wins', () => {
    const path = file('token', 'xoxb-from-a-secret\n');
    expect(envValue({ SLACK_BOT_TOKEN_FILE: path }, 'SLACK_BOT_TOKEN')).toBe('xoxb-from-a-secret');
    expect(envValue({ T_FILE: file('crlf', 'two\nlines\r\n') }, 'T')).toBe('two\nlines');
    expect(envValue({ T: 'given', T_FILE: path }, 'T')).toBe('given');
    expect(envValue({}, 'T')).toBeUndefined();
  });

  it('names the variable and the path of a file it cannot read, never a value', () => {
    expect(() => envValue({ T_FILE: join(dir, 'absent') }, 'T')).toThrow(
      `T_FILE names ${join(dir, 'absent')}, which Otto can't read (ENOENT).`,
    );
  });

  it('fills ${NAME} in otto.yml and the secret key from files', () => {
    const env = { SLACK_BOT_TOKEN_FILE: file('bot', 'xoxb-1-file\n'), SLACK_APP_TOKEN: 'xapp-1' };
    const config = buildConfig(
      {
        clusters: { local: { local: true } },
        slack: { bot_token: '${SLACK_BOT_TOKEN}', app_token: '${SLACK_APP_TOKEN}' },
      },
      dir,
      undefined,
      env,
    );
    expect(config.slack?.botToken).toBe('xoxb-1-file');
    expect(() =>
      buildConfig(
        { clusters: { local: { local: true } }, data_dir: '${NOPE}' },
        dir,
        undefined,
        {},
      ),
    ).toThrow('uses ${NOPE}, but the environment has no NOPE (nor NOPE_FILE).');
    const key = testKey(3).toString('base64');
    const loaded = loadSecretKey(join(dir, 'data'), {
      OTTO_SECRET_KEY_FILE: file('key', `${key}\n`),
    });
    expect(loaded).toMatchObject({ source: 'env', key: testKey(3) });
  });
});
