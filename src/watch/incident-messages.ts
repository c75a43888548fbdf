import type { Incident } from '../store/db.js';
import { refsOf } from '../store/incidents.js';
import type { Ops } from '../ops/ops.js';
import { alertMessage, recoveredText, type AlertFacts } from '../commands/alert-text.js';
import type { Reply } from '../commands/types.js';

/** Where alerts are drawn: adapters post, reply in threads and edit by message ref. */
export interface AlertOutbox {
  /** Posts a new message to an alert target; returns its ref. */
  post(target: string, reply: Reply): Promise<string>;
  /** Replies under a posted message; returns the ref to keep (a Discord thread is made on first reply). */
  reply(ref: string, reply: Reply): Promise<string>;
  edit(ref: string, reply: Reply): Promise<void>;
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
        const ref = await this.outbox.post(target, message);
        await this.ops.incidents.setRef(incident.id, target, ref);
      } catch (e) {
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
    await this.inThread(incident, recovered);
    await this.redraw(resolved, { ...facts, incident: resolved }, now);
  }

  async inThread(incident: Incident, reply: Reply): Promise<void> {
    for (const [target, ref] of Object.entries(refsOf(incident))) {
      try {
        const next = await this.outbox.reply(ref, reply);
        if (next !== ref) await this.ops.incidents.setRef(incident.id, target, next);
      } catch (e) {
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
        await this.outbox.edit(ref, alertMessage({ ...facts, incident }, now));
      } catch (e) {
        this.log(
          `⚠️ Otto could not update the alert in ${redactTarget(target)}: ${(e as Error).message}`,
        );
      }
    }
  }
}

/** A webhook URL carries its token: logs show only where it points. */
export function redactTarget(target: string): string {
  return target.replace(/(webhooks\/\d+\/)\S+/, '$1…');
}
