import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/**
 * The value of the environment variable `name`; when it is unset, the content of the
 * file that `<name>_FILE` names, one trailing line break trimmed (the convention of
 * official images, so a token can be a Docker secret at `/run/secrets/…`).
 * Undefined when neither is set. A `_FILE` that can't be read is a config error
 * naming the variable and the path, never the content.
 *
 * @example envValue({ SLACK_BOT_TOKEN_FILE: '/run/secrets/slack' }, 'SLACK_BOT_TOKEN') // 'xoxb-…'
 */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value !== undefined) return value;
  const file = env[`${name}_FILE`];
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(
      `${name}_FILE names ${file}, which Otto can't read (${code}).`,
      `Mount the secret at that path (a Docker secret is at /run/secrets/<name>), or set ${name} itself.`,
    );
  }
}
