import type { Deployment, Incident } from '../store/db.js';
import { refsOf } from '../store/incidents.js';
import type { Ops } from '../ops/ops.js';
import { alertMessage, recoveredText, type AlertFacts } from '../commands/alert-text.js';
import type { Reply } from '../commands/types.js';
import { alertFailures, targetKind } from '../metrics.js';

/**
 * What a message is about, for targets that carry data instead of a drawn message
 * (a signed webhook's JSON, an e-mail's thread). Chat targets ignore it. Absent: a
 * message of no incident or launch (a digest, a changed host key).
 */
export type Notice =
  | {
      /** alert: the incident's first message; update: worse, a reminder; recovery: resolved. */
      readonly kind: 'alert' | 'update' | 'recovery';
      readonly incident: Incident;
    }
  | {
      readonly kind: 'launch';
      readonly deployment: Deployment;
      /** The fleet's cluster. */
      readonly cluster: string;
    };

/** Where alerts are drawn: adapters post, reply in threads and edit by message ref. */
export interface AlertOutbox {
  /** Posts a new message to an alert target; returns its ref. */
  post(target: string, reply: Reply, about?: Notice): Promise<string>;
  /** Replies under a posted message; returns the ref to keep (a Discord thread is made on first reply). */
  reply(ref: string, reply: Reply, about?: Notice): Promise<string>;
  /** Redraws a posted message; a target that can't edit sends a launch's end anew and skips the rest. */
  edit(ref: string, reply: Reply, about?: Notice): Promise<void>;
}

/**
 * The messages of incidents: the alert posted to each target (unless silenced), its
 * thread replies, and redraws of it. Failures are logged, never thrown: a missed
 * post is tried again at the next poll.
 */
export class IncidentMessages {
  /** Incidents already logged, and alert posts that failed, so that each is said once. */
  private readonly announced = new Set<number>();
  private readonly failedPosts = new Set<string>();

  constructor(
    private readonly ops: Ops,
    private readonly outbox: AlertOutbox,
    private readonly log: (line: string) => void,
  ) {}

  /** A one-off message that belongs to no incident (a changed host key). */
  async post(target: string, reply: Reply): Promise<void> {
    await this.outbox.post(target, reply);
  }

  async silenced(i: Incident, iso: string): Promise<boolean> {
    if (!i.fleet) return false;
    return (await this.ops.silences.covering(i.fleet, i.service, iso)) !== undefined;
  }

  /** Posts an incident's message to every target that does not show it yet (unless silenced). */
  async deliver(
    incident: Incident,
    facts: Omit<AlertFacts, 'incident'>,
    targets: readonly string[],
  ): Promise<void> {
    const iso = new Date().toISOString();
    if (await this.silenced(incident, iso)) return;
    const refs = refsOf(incident);
    const message = alertMessage({ ...facts, incident });
    if (!this.announced.has(incident.id)) {
      this.announced.add(incident.id);
      this.log(`🚨 ${message.text}`);
    }
    for (const target of targets) {
      if (refs[target]) continue;
      try {
        const ref = await this.outbox.post(target, message, { kind: 'alert', incident });
        await this.ops.incidents.setRef(incident.id, target, ref);
      } catch (e) {
        alertFailures.inc({ target: targetKind(target) });
        // Said once per incident and target; the post is tried again at every poll.
        const key = `${incident.id} ${target}`;
        if (this.failedPosts.has(key)) continue;
        this.failedPosts.add(key);
        this.log(
          `⚠️ Otto could not post the alert to ${redactTarget(target)}: ${(e as Error).message}. Check that Otto is in that channel and may post there; it tries again at every poll.`,
        );
      }
    }
  }

  async recover(
    incident: Incident,
    facts: Omit<AlertFacts, 'incident'>,
    now: number,
  ): Promise<void> {
    const iso = new Date(now).toISOString();
    await this.ops.incidents.resolve(incident.id, iso);
    const recovered = recoveredText({ ...facts, incident }, now);
    this.log(`✅ ${recovered.text}`);
    const resolved = { ...incident, resolvedAt: iso };
    await this.inThread(resolved, recovered, 'recovery');
    await this.redraw(resolved, { ...facts, incident: resolved }, now);
  }

  /** A reply under the incident's message on every target (an update, or its recovery). */
  async inThread(
    incident: Incident,
    reply: Reply,
    kind: 'update' | 'recovery' = 'update',
  ): Promise<void> {
    for (const [target, ref] of Object.entries(refsOf(incident))) {
      try {
        const next = await this.outbox.reply(ref, reply, { kind, incident });
        if (next !== ref) await this.ops.incidents.setRef(incident.id, target, next);
      } catch (e) {
        alertFailures.inc({ target: targetKind(target) });
        this.log(
          `⚠️ Otto could not reply under the alert in ${redactTarget(target)}: ${(e as Error).message}`,
        );
      }
    }
  }

  async redraw(incident: Incident, facts: AlertFacts, now: number): Promise<void> {
    // The stored refs: a reply may have just opened a thread.
    const refs = refsOf((await this.ops.incidents.byId(incident.id)) ?? incident);
    for (const [target, ref] of Object.entries(refs)) {
      try {
        await this.outbox.edit(ref, alertMessage({ ...facts, incident }, now), {
          kind: incident.resolvedAt ? 'recovery' : 'update',
          incident,
        });
      } catch (e) {
        alertFailures.inc({ target: targetKind(target) });
        this.log(
          `⚠️ Otto could not update the alert in ${redactTarget(target)}: ${(e as Error).message}`,
        );
      }
    }
  }
}

/**
 * A URL in a target carries its token (a Discord or Mattermost webhook's path, a
 * Teams workflow's `sig=`): logs show only the host it points at (and a Discord
 * webhook's id), never the path, the query or a user and password.
 *
 * @example redactTarget('mattermost:https://chat.example.com/hooks/abc') // 'mattermost:https://chat.example.com/…'
 */
export function redactTarget(target: string): string {
  return target.replace(
    // The URL ends before whitespace, or before punctuation that ends a sentence.
    /(https?:\/\/)(?:[^@/\s]*@)?([^/\s?#]+)(\/\S*?webhooks\/\d+\/|)\S*?(?=[.,:;)]*(?:\s|$))/g,
    (_m, scheme: string, host: string, discord: string) => `${scheme}${host}${discord || '/'}…`,
  );
}
