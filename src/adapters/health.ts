import type { ServerResponse } from 'node:http';
import { sql } from 'kysely';
import type { Ops } from '../ops/ops.js';
import { openIncidents, registry } from '../metrics.js';

/** One check of `/healthz`. */
interface Check {
  readonly ok: boolean;
  readonly error?: string;
}

/** What `/healthz` reads besides the database: the chat adapters' connections. */
export type AdapterStates = () => Readonly<Record<string, boolean>>;

/**
 * `GET /healthz`: 200 when the database takes a write and every configured chat
 * adapter is connected, else 503; a JSON body with each check. Clusters are
 * reported from what telemetry last found (an open cluster incident: unreachable),
 * never by a new SSH login per request, and an unreachable cluster does not make
 * Otto unhealthy: a supervisor restarting Otto would not bring a remote Swarm back,
 * and Otto is the one who says so in chat. Without telemetry, clusters are "not
 * watched". No secrets in the body: names and error messages only.
 */
export async function healthz(
  ops: Ops,
  adapters: AdapterStates,
): Promise<{ status: number; body: object }> {
  const checks: Record<string, unknown> = {};
  let healthy = true;
  try {
    // A committed write (the active Otto's lease row, rewritten as it is): a full disk
    // or a read-only volume fails here, as does a database locked for good.
    await sql`UPDATE leases SET expires_at = expires_at WHERE name = 'active'`.execute(ops.db);
    checks['database'] = { ok: true } satisfies Check;
  } catch (e) {
    healthy = false;
    checks['database'] = { ok: false, error: (e as Error).message } satisfies Check;
  }
  for (const [name, connected] of Object.entries(adapters())) {
    if (!connected) healthy = false;
    checks[name] = connected ? { ok: true } : { ok: false, error: 'not connected' };
  }
  const clusters: Record<string, Check | { ok: null; note: string }> = {};
  const watched = ops.config.telemetry.enabled && ops.config.fleets.size > 0;
  const down = new Map<string, string>();
  if (watched)
    for (const i of await ops.incidents.openIncidents().catch(() => []))
      if (i.kind === 'cluster') down.set(i.cluster, 'unreachable since ' + i.openedAt);
  for (const name of ops.config.clusters.keys()) {
    clusters[name] = !watched
      ? { ok: null, note: 'not watched (telemetry is off)' }
      : down.has(name)
        ? { ok: false, error: down.get(name)! }
        : { ok: true };
  }
  checks['clusters'] = clusters;
  const degraded = Object.values(clusters).some((c) => c.ok === false);
  return {
    status: healthy ? 200 : 503,
    body: { status: healthy ? (degraded ? 'degraded' : 'ok') : 'unhealthy', checks },
  };
}

/** `GET /metrics`: Prometheus text; open incidents are counted from the database now. */
export async function metricsText(ops: Ops, res: ServerResponse): Promise<void> {
  openIncidents.reset();
  for (const i of await ops.incidents.openIncidents().catch(() => []))
    openIncidents.inc({ kind: i.kind });
  const text = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(text);
}
