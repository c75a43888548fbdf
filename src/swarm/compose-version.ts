import type { RunResult } from '../transport/transport.js';

/**
 * The newest Compose file version Docker CLIs before 23.0 know (20.10 is Debian 12's
 * `docker.io`): they read a file without `version:` as 1.0, which `docker stack`
 * refuses; newer CLIs read it as their latest 3.x.
 */
export const OLD_CLI_COMPOSE_VERSION = '3.9';

/** Whether the CLI refused `text` only because it has no `version:` line. */
export function refusedForMissingVersion(stderr: string, text: string): boolean {
  return /unsupported Compose file version: 1\.0\b/.test(stderr) && !/^version:/m.test(text);
}

/** `text` with `version: "3.9"` first (a rendered file has no `version:` of its own). */
export function withVersionLine(text: string): string {
  return `version: "${OLD_CLI_COMPOSE_VERSION}"\n${text}`;
}

/**
 * Sends a rendered compose file with `send` (`docker stack deploy -c -` or
 * `docker stack config -c -`) as it is, so that a current CLI checks it against its
 * newest schema; when an older CLI refuses it for its missing `version:`, sends it
 * once more with {@link OLD_CLI_COMPOSE_VERSION}. The first try changed nothing: the
 * CLI refuses the file before it talks to the engine.
 *
 * @example const r = await sendCompose(text, (t) => transport.run(stackDeploy('shop'), { stdin: t }));
 */
export async function sendCompose<R extends Pick<RunResult, 'exitCode' | 'stderr' | 'timedOut'>>(
  text: string,
  send: (text: string) => Promise<R>,
): Promise<R> {
  const first = await send(text);
  if (first.timedOut || first.exitCode === 0 || !refusedForMissingVersion(first.stderr, text))
    return first;
  return send(withVersionLine(text));
}
