import type { HttpConfig } from '../config/config.js';

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
export async function probeHealth(http: HttpConfig | undefined): Promise<Probe> {
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
    return { code: 1, line: `${url}: no answer (${why}).` };
  }
}
