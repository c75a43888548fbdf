import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { logFormat, makeLog, redactor } from '../../src/adapters/log-format.js';

const SECRETS = {
  bot: 'xoxb-1111-2222-secret-bot',
  app: 'xapp-1-A0-3333-secret-app',
  signing: 'f00dfeedsigningsecret0123',
  discord: 'MTAwMDAw.secret-discord-token.abcdefghijkl',
  hook: 'github-hook-secret-0123456789',
  notify: 'notify-signing-secret-0123456789',
  smtp: 'smtp-password-42-secret',
  key: 'c2VjcmV0LWtleS1iYXNlNjQtMzItYnl0ZXMtbG9uZw==',
};

const config = buildConfig(
  {
    clusters: { laptop: { local: true } },
    slack: { mode: 'http', bot_token: SECRETS.bot, signing_secret: SECRETS.signing },
    discord: { token: SECRETS.discord, application_id: '100000000000000001' },
    http: { port: 0, hooks: { github: { secret: SECRETS.hook } } },
    notify: { ops: { url: 'https://hooks.example.com/otto', secret: SECRETS.notify } },
    smtp: {
      host: 'mail.example.com',
      port: 587,
      from: 'otto@example.com',
      user: 'otto',
      password: SECRETS.smtp,
    },
  },
  '/tmp',
  '/tmp/otto.yml',
);
const redact = redactor(config, { OTTO_SECRET_KEY: SECRETS.key });
const leaky = `connecting with ${Object.values(SECRETS).join(' and ')} and ${SECRETS.app}, Authorization: Bearer abcdefghijklmnop`;

describe('Otto’s log', () => {
  it('text: the line as Otto says it, with every configured secret and token shape blanked', () => {
    const out: string[] = [];
    makeLog('text', redact, (c) => out.push(c))(`⚠️ ${leaky}`);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^⚠️ connecting with ‹redacted› and /);
    expect(out[0]!.endsWith('\n')).toBe(true);
    for (const v of Object.values(SECRETS)) expect(out[0]).not.toContain(v);
    expect(out[0]).not.toContain('abcdefghijklmnop');
  });

  it('json: one object per line with level, ISO time and msg, redacted the same way', () => {
    const out: string[] = [];
    const log = makeLog('json', redact, (c) => out.push(c));
    log(`🛰️  Slack connected (Socket Mode). ${SECRETS.bot}`);
    log(`⚠️ ${leaky}`);
    log('⛔ Another Otto took this database over');
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['level'])).toEqual(['info', 'warn', 'error']);
    expect(lines[0]).toMatchObject({ msg: '🛰️  Slack connected (Socket Mode). ‹redacted›' });
    expect(String(lines[0]!['time'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(typeof lines[0]!['pid']).toBe('number');
    for (const v of Object.values(SECRETS)) expect(out.join('')).not.toContain(v);
  });

  it('takes --log-format over OTTO_LOG_FORMAT, defaults to text, refuses others', () => {
    expect(logFormat(undefined, {})).toBe('text');
    expect(logFormat(undefined, { OTTO_LOG_FORMAT: 'json' })).toBe('json');
    expect(logFormat('text', { OTTO_LOG_FORMAT: 'json' })).toBe('text');
    expect(() => logFormat('xml', {})).toThrow(/not a log format/);
  });
});
