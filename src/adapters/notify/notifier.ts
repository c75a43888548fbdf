import { randomBytes } from 'node:crypto';
import type { NotifyEntry, SmtpConfig } from '../../config/config.js';
import type { Reply } from '../../commands/types.js';
import { MASK } from '../../store/secret-mask.js';
import { MessageRef } from '../../store/message-ref.js';
import { redactTarget, type Notice } from '../../watch/incident-messages.js';
import { deliverTo, type Outgoing } from './deliver.js';
import { smtpMailer, type Mailer } from './mailer.js';
import { SerialQueues } from './queue.js';
import { DEFAULT_RETRY, realClock, type Clock, type RetryPolicy } from './retry.js';
import { isNotifyTarget, resolveTarget, targetKey, type NotifyTarget } from './targets.js';
import { subjectOf, threadOf, type NoticeKind } from './thread.js';
import { alertFailures, targetKind } from '../../metrics.js';

export interface NotifierParts {
  /** Every alert target otto.yml names: refs find theirs again by its hash. */
  readonly targets: readonly string[];
  /** `notify:`: the named signed webhooks. */
  readonly notify?: ReadonlyMap<string, NotifyEntry> | undefined;
  readonly smtp?: SmtpConfig | undefined;
  /** Where a message that could not be sent is said. */
  readonly log: (line: string) => void;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
  readonly clock?: Clock;
  /** One HTTP attempt's limit (10 s). */
  readonly timeoutMs?: number;
}

type NotifyRef = Extract<MessageRef, { kind: 'notify' }>;

/**
 * Alerts and launch notices for targets that can't edit or thread: signed
 * webhooks, Mattermost, Teams and e-mail. Every message is queued per target and
 * sent in the background with retries, so `post` answers at once with a ref
 * (`notify:<target hash>:<thread>`); an update or a recovery is a new post, or a
 * reply mail in the thread. A message that can't be sent is logged (no URL path,
 * no secret) and dropped; nothing is thrown at the watcher.
 */
export class Notifier {
  private readonly queues = new SerialQueues();
  private readonly byKey: ReadonlyMap<string, string>;
  private readonly notify: ReadonlyMap<string, NotifyEntry>;
  private readonly clock: Clock;
  private readonly secrets: readonly string[];
  private mailer: Mailer | undefined;

  constructor(private readonly parts: NotifierParts) {
    this.byKey = new Map(parts.targets.filter(isNotifyTarget).map((t) => [targetKey(t), t]));
    this.notify = parts.notify ?? new Map();
    this.clock = parts.clock ?? realClock;
    this.secrets = [
      ...[...this.notify.values()].map((e) => e.secret),
      ...(parts.smtp?.password ? [parts.smtp.password] : []),
    ].filter((s) => s.length >= 4);
  }

  /** Whether this notifier sends to `target` (else a chat adapter does). */
  handles(target: string): boolean {
    return isNotifyTarget(target);
  }

  /** The first message of a thread (an alert, a launch's start, a message of its own); returns its ref. */
  post(target: string, reply: Reply, about?: Notice): string {
    const resolved = resolveTarget(target, this.notify, this.parts.smtp);
    const thread = threadOf(about);
    this.send(target, resolved, {
      kind: about?.kind ?? 'notice',
      thread,
      first: true,
      reply,
      about,
    });
    return MessageRef.format({ kind: 'notify', key: targetKey(target), thread });
  }

  /** A later message of the ref's thread: an update or a recovery, as a new post or a reply mail. */
  reply(ref: NotifyRef, reply: Reply, about?: Notice): void {
    const kind = about?.kind === 'recovery' || about?.kind === 'launch' ? about.kind : 'update';
    this.later(ref, { kind, reply, about });
  }

  /** These targets can't redraw: a launch's end is sent as a new message, any other redraw is skipped. */
  edit(ref: NotifyRef, reply: Reply, about?: Notice): void {
    if (about?.kind === 'launch') this.later(ref, { kind: 'launch', reply, about });
  }

  /** Resolves when every message queued so far was sent or given up on (tests). */
  idle(): Promise<void> {
    return this.queues.idle();
  }

  /** Lets queued messages go out for at most `ms`, then stops (no further attempt). */
  async close(ms = 5_000): Promise<void> {
    await this.queues.close(ms);
    this.mailer?.close();
    if (this.queues.dropped)
      this.say(
        `⚠️ Otto stopped with ${this.queues.dropped} message${this.queues.dropped === 1 ? '' : 's'} for webhooks, Mattermost, Teams or e-mail not sent.`,
      );
  }

  private later(
    ref: NotifyRef,
    m: { kind: NoticeKind; reply: Reply; about: Notice | undefined },
  ): void {
    const target = this.byKey.get(ref.key);
    if (!target) throw new Error('that target is no longer in otto.yml');
    const resolved = resolveTarget(target, this.notify, this.parts.smtp);
    // One mail per incident and one for its recovery: a worse state or a reminder is
    // not worth a mail of its own (the chat thread and the webhooks still get them).
    if (resolved.kind === 'email' && m.kind === 'update') return;
    this.send(target, resolved, { ...m, thread: ref.thread, first: false });
  }

  private send(
    target: string,
    resolved: NotifyTarget,
    m: Pick<Outgoing, 'kind' | 'thread' | 'first' | 'reply' | 'about'>,
  ): void {
    const message: Outgoing = {
      ...m,
      subject: subjectOf(m.about, m.reply),
      delivery: randomBytes(8).toString('hex'),
      sentAt: new Date(this.clock.now()).toISOString(),
    };
    const what = describe(message);
    const queued = this.queues.push(target, async (signal) => {
      const outcome = await deliverTo(resolved, message, {
        ...(this.parts.fetch ? { fetch: this.parts.fetch } : {}),
        policy: this.parts.retry ?? DEFAULT_RETRY,
        clock: this.clock,
        ...(this.parts.timeoutMs ? { timeoutMs: this.parts.timeoutMs } : {}),
        signal,
        now: () => this.clock.now(),
        mailer: () =>
          (this.mailer ??= smtpMailer(
            resolved.kind === 'email' ? resolved.smtp : this.parts.smtp!,
          )),
      });
      if (!outcome.ok) alertFailures.inc({ target: targetKind(target) });
      if (!outcome.ok)
        this.say(
          `⚠️ Otto could not send the ${what} to ${target}: ${outcome.reason}. This message is dropped; later ones are sent as usual.`,
        );
    });
    if (!queued) alertFailures.inc({ target: targetKind(target) });
    if (!queued)
      this.say(
        `⚠️ Otto dropped the ${what} for ${target}: 100 messages already wait for it (is the receiver down?), or Otto is stopping.`,
      );
  }

  /** A log line without a URL's path or query, and without any secret Otto holds. */
  private say(line: string): void {
    let out = redactTarget(line);
    for (const s of this.secrets) out = out.split(s).join(MASK);
    this.parts.log(out);
  }
}

/** `alert of incident #42 (shop web)`, `launch notice of shop v3`. */
function describe(m: Outgoing): string {
  const about = m.about;
  if (about?.kind === 'launch')
    return `launch notice of ${about.deployment.fleet} v${about.deployment.version}`;
  if (about)
    return `${m.kind} of incident #${about.incident.id} (${m.subject.replace(/^Incident #\d+: /, '')})`;
  return `message "${m.reply.text.slice(0, 40)}"`;
}
