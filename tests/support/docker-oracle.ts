import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Docker's own reading of a compose file: `docker stack config -c -` (CLI 20.10+)
 * prints the file after its loader has parsed, merged, interpolated and re-typed
 * it, without an engine. `env` is the only environment it interpolates from.
 */
export async function dockerStackConfig(
  text: string,
  env: Readonly<Record<string, string>> = {},
): Promise<{ ok: true; config: Record<string, unknown> } | { ok: false; error: string }> {
  const home = mkdtempSync(join(tmpdir(), 'otto-oracle-'));
  const r = await execa('docker', ['stack', 'config', '-c', '-'], {
    input: text,
    reject: false,
    extendEnv: false,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, DOCKER_CONFIG: home, ...env },
  });
  if (r.exitCode !== 0) return { ok: false, error: `${r.stderr}${r.stdout}`.trim() };
  return { ok: true, config: parse(r.stdout, { version: '1.1' }) as Record<string, unknown> };
}

/** Whether this machine's docker CLI has `stack config` (it must: the tests need it). */
export async function oracleAvailable(): Promise<string | undefined> {
  const r = await execa('docker', ['stack', 'config', '--help'], { reject: false });
  return r.exitCode === 0
    ? undefined
    : `docker stack config is not available (${r.stderr.trim() || 'no docker CLI'})`;
}
