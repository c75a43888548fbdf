import type { Reply } from '../../commands/types.js';
import type { Notice } from '../../watch/incident-messages.js';
import { subjectName } from '../../commands/alert-text.js';
import { linesOf, type NoticeKind } from './thread.js';

/** Bumped only by a change a receiver could trip on (a field removed or changed); new fields don't. */
export const WEBHOOK_SCHEMA_VERSION = 1;

/**
 * The JSON body of a signed webhook (`webhook:<name>`), schema version 1. Every
 * field is always present (null when it does not apply); receivers should ignore
 * fields they do not know, as later versions of 1 may add some.
 *
 * ```jsonc
 * {
 *   "schema_version": 1,
 *   "kind": "alert",              // alert | update | recovery | launch | notice
 *   "id": "incident-42.1712345678000", // the same on every message of one incident or launch
 *   "delivery": "9f2c…",          // unique per message (kept across retries): de-duplicate on it
 *   "sent_at": "2026-05-04T09:12:03.120Z",
 *   "incident_id": 42,            // null unless an incident's
 *   "launch_id": null,            // the deployment's id, for kind launch
 *   "cluster": "prod", "fleet": "shop", "service": "web", // null when not about one
 *   "subject": "shop web",        // or "node worker-1", "cluster prod"; null for a notice
 *   "state": "down",              // degraded | crash_looping | down | drain | unreachable (incidents);
 *                                 // deploying | succeeded | failed | interrupted (launches)
 *   "reason": "Service web exits with code 3.",
 *   "started_at": "…",            // incident opened / launch started
 *   "ended_at": null,             // incident resolved / launch finished
 *   "text": "🔴 shop web is down: Service web exits with code 3.", // what chat shows
 *   "fix": "Read the last log lines. …",  // or null
 *   "lines": ["shop_web.1@n1 | out of coffee"], // last log lines (secrets masked), or []
 *   "launch": null                // for launches: { "version": 3, "actor": "slack:U1", "return_of": null, "duration_ms": 4200 }
 * }
 * ```
 *
 * Headers: `X-Otto-Timestamp` (Unix seconds), `X-Otto-Signature: sha256=<hex
 * HMAC-SHA256 of "<timestamp>.<body>" with the entry's secret>`, `X-Otto-Delivery`
 * (the body's `delivery`), `X-Otto-Kind`.
 */
export interface WebhookBody {
  readonly schema_version: typeof WEBHOOK_SCHEMA_VERSION;
  readonly kind: NoticeKind;
  readonly id: string;
  readonly delivery: string;
  readonly sent_at: string;
  readonly incident_id: number | null;
  readonly launch_id: number | null;
  readonly cluster: string | null;
  readonly fleet: string | null;
  readonly service: string | null;
  readonly subject: string | null;
  readonly state: string | null;
  readonly reason: string | null;
  readonly started_at: string | null;
  readonly ended_at: string | null;
  readonly text: string;
  readonly fix: string | null;
  readonly lines: readonly string[];
  readonly launch: {
    readonly version: number;
    readonly actor: string;
    readonly return_of: number | null;
    readonly duration_ms: number | null;
  } | null;
}

export interface BodyInput {
  readonly kind: NoticeKind;
  /** The thread id (see threadOf). */
  readonly id: string;
  readonly delivery: string;
  readonly sentAt: string;
  readonly reply: Reply;
  readonly about?: Notice | undefined;
}

/** The webhook body of one message (see {@link WebhookBody}). */
export function webhookBody(m: BodyInput): WebhookBody {
  const base = {
    schema_version: WEBHOOK_SCHEMA_VERSION,
    kind: m.kind,
    id: m.id,
    delivery: m.delivery,
    sent_at: m.sentAt,
    text: m.reply.text,
    fix: m.reply.fix ?? null,
    lines: linesOf(m.reply),
  } as const;
  const about = m.about;
  if (about?.kind === 'launch') {
    const d = about.deployment;
    return {
      ...base,
      incident_id: null,
      launch_id: d.id,
      cluster: about.cluster,
      fleet: d.fleet,
      service: null,
      subject: d.fleet,
      state: d.status,
      reason: d.reason,
      started_at: d.startedAt,
      ended_at: d.finishedAt,
      launch: {
        version: d.version,
        actor: d.actor,
        return_of: d.rollbackOf,
        duration_ms: d.durationMs,
      },
    };
  }
  const i = about?.incident;
  return {
    ...base,
    incident_id: i?.id ?? null,
    launch_id: null,
    cluster: i?.cluster ?? null,
    fleet: i?.fleet ?? null,
    service: i?.service ?? null,
    subject: i ? subjectName(i) : null,
    state: i?.state ?? null,
    reason: i?.reason ?? null,
    started_at: i?.openedAt ?? null,
    ended_at: i?.resolvedAt ?? null,
    launch: null,
  };
}
