import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpConfig } from '../config/config.js';
import { HOSTNAME } from '../store/process-alive.js';

/** How long `otto health` waits for /healthz: under the image's HEALTHCHECK timeout (10 s). */
const PROBE_MS = 5_000;

/** What `otto health` found: its exit code and one line for the terminal. */
export interface Probe {
  readonly code: 0 | 1;
  readonly line: string;
}

/** The address to ask: the listener's own, or loopback when it binds every address. */
function probeHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * `otto health`, the image's HEALTHCHECK: asks the running Otto's `GET /healthz` on
 * the `http:` listener otto.yml configures, and passes its verdict on (0 healthy, 1
 * not). Without a listener there is nothing to ask: Otto's health is its process, and
 * the check passes, saying so.
 */
export async function probeHealth(http: HttpConfig | undefined, dataDir?: string): Promise<Probe> {
  if (!http)
    return {
      code: 0,
      line: 'No http: listener in otto.yml, so no /healthz to ask: healthy while the process runs.',
    };
  const url = `http://${probeHost(http.host)}:${http.port}/healthz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_MS) });
    const body = (await res.text()).slice(0, 2_000);
    return { code: res.status === 200 ? 0 : 1, line: `${url}: ${res.status} ${body}` };
  } catch (e) {
    const why =
      e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    const active = dataDir === undefined ? undefined : activeElsewhere(dataDir);
    if (active)
      return {
        code: 0,
        line: `${url}: no answer, as expected of a standby: Otto on ${active} is the active one.`,
      };
    return { code: 1, line: `${url}: no answer (${why}).` };
  }
}

/**
 * The host of the active Otto, when it is another machine (or container) than this
 * one and its lease is current: then this Otto is a standby, which has no listener.
 */
function activeElsewhere(dataDir: string): string | undefined {
  const file = join(dataDir, 'otto.db');
  if (!existsSync(file)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const row = db
      .prepare("SELECT hostname, expires_at AS expiresAt FROM leases WHERE name = 'active'")
      .get() as { hostname: string; expiresAt: number } | undefined;
    return row && row.hostname !== HOSTNAME && row.expiresAt > Date.now()
      ? row.hostname
      : undefined;
  } catch {
    return undefined; // no leases table yet, or unreadable: not known to be a standby
  } finally {
    db?.close();
  }
}
