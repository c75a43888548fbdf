import { pino } from 'pino';
import type { OttoConfig } from '../config/config.js';
import { UsageError } from '../errors.js';

/** `text`: one line as Otto says it (the default); `json`: one pino object per line. */
export type LogFormat = 'text' | 'json';

/** `--log-format` wins over `OTTO_LOG_FORMAT`; the default is text. */
export function logFormat(flag: string | undefined, env: NodeJS.ProcessEnv): LogFormat {
  const v = flag ?? env['OTTO_LOG_FORMAT'] ?? 'text';
  if (v === 'text' || v === 'json') return v;
  throw new UsageError(
    `--log-format ${v.slice(0, 20)} is not a log format.`,
    'Use --log-format text (the default) or --log-format json (or OTTO_LOG_FORMAT=json).',
  );
}

/** Slack tokens wherever they come from, and what looks like a bearer token. */
const TOKEN_PATTERNS = [
  /\b(xox[a-z]|xapp)-[A-Za-z0-9-]+/g,
  /\b(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/g,
];
const MASK = '‹redacted›';

/**
 * Blanks out every secret Otto was configured with (chat tokens, the Slack signing
 * secret, webhook secrets, notify secrets and the SMTP password) and the secret key
 * from the environment, plus anything shaped like a Slack or bearer token, from a
 * log line. Both formats go through it.
 */
export function redactor(
  config: Pick<OttoConfig, 'slack' | 'discord' | 'http' | 'notify' | 'smtp'>,
  env: NodeJS.ProcessEnv,
): (line: string) => string {
  const values = [
    config.slack?.botToken,
    config.slack?.appToken,
    config.slack?.signingSecret,
    config.discord?.token,
    config.http?.hooks.github,
    config.http?.hooks.gitlab,
    config.http?.hooks.generic,
    ...[...config.notify.values()].map((n) => n.secret),
    config.smtp?.password,
    env['OTTO_SECRET_KEY'],
  ]
    .filter((v): v is string => typeof v === 'string' && v.length >= 8)
    // Longest first: a secret that contains another is blanked whole.
    .sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line;
    for (const v of values) out = out.split(v).join(MASK);
    for (const p of TOKEN_PATTERNS) out = out.replace(p, (_m, pre: string) => `${pre}${MASK}`);
    return out;
  };
}

/** The level of a line, from the sign Otto starts it with. */
function levelOf(line: string): 'info' | 'warn' | 'error' {
  if (/^\s*(⛔|❌)/u.test(line)) return 'error';
  if (/^\s*(⚠️|🚨)/u.test(line)) return 'warn';
  return 'info';
}

/**
 * Otto's log: each line redacted, then written to stderr as it is (text) or as a
 * JSON object with `level`, `time` (ISO), `msg` and Otto's `pid` and `hostname`
 * (json, through pino), one per line, for log shippers.
 */
export function makeLog(
  format: LogFormat,
  redact: (line: string) => string,
  write: (chunk: string) => void = (c) => void process.stderr.write(c),
): (line: string) => void {
  if (format === 'text') return (line) => write(`${redact(line).replace(/\n?$/, '\n')}`);
  const logger = pino(
    {
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write },
  );
  return (line) => logger[levelOf(line)](redact(line.replace(/\n$/, '')));
}
