import type { Reply } from '../../commands/types.js';
import type { Notice } from '../../watch/incident-messages.js';
import { postWithRetries, type PostOptions } from './http-post.js';
import { alertMail } from './mail.js';
import type { Mailer } from './mailer.js';
import { mattermostBody } from './mattermost-body.js';
import { withRetries, type Attempt, type Outcome } from './retry.js';
import { signBody } from './signature.js';
import type { NotifyTarget } from './targets.js';
import { teamsCard } from './teams-card.js';
import type { NoticeKind } from './thread.js';
import { webhookBody } from './webhook-body.js';

/** One message to send, whatever the target. */
export interface Outgoing {
  readonly kind: NoticeKind;
  /** See threadOf. */
  readonly thread: string;
  /** See subjectOf. */
  readonly subject: string;
  /** The thread's first message (an alert, a launch's start), or a later one. */
  readonly first: boolean;
  /** Unique per message, the same across its retries. */
  readonly delivery: string;
  readonly sentAt: string;
  readonly reply: Reply;
  readonly about?: Notice | undefined;
}

export interface DeliverOptions extends PostOptions {
  /** The mailer of `smtp:`, made on first use. */
  readonly mailer: () => Mailer;
  readonly now: () => number;
}

/** An attempt, or a final failure as soon as Otto stops: nodemailer takes no abort signal. */
async function untilStopped(attempt: Promise<Attempt>, signal?: AbortSignal): Promise<Attempt> {
  if (!signal) return attempt;
  let onAbort = () => {};
  const stopped = new Promise<Attempt>((resolve) => {
    onAbort = () => resolve({ ok: false, reason: 'Otto is stopping', retry: false });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([attempt, stopped]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Sends one message to one target, with retries; never throws. */
export function deliverTo(t: NotifyTarget, m: Outgoing, o: DeliverOptions): Promise<Outcome> {
  switch (t.kind) {
    case 'webhook': {
      const body = JSON.stringify(
        webhookBody({
          kind: m.kind,
          id: m.thread,
          delivery: m.delivery,
          sentAt: m.sentAt,
          reply: m.reply,
          about: m.about,
        }),
      );
      return postWithRetries(() => {
        const ts = Math.floor(o.now() / 1000);
        return {
          url: t.url,
          body,
          headers: {
            'x-otto-timestamp': String(ts),
            'x-otto-signature': signBody(t.secret, ts, body),
            'x-otto-delivery': m.delivery,
            'x-otto-kind': m.kind,
          },
        };
      }, o);
    }
    case 'mattermost': {
      const body = JSON.stringify(
        mattermostBody({ kind: m.kind, id: m.thread, first: m.first, reply: m.reply }),
      );
      return postWithRetries(() => ({ url: t.url, body, headers: {} }), o);
    }
    case 'teams': {
      const body = JSON.stringify(teamsCard({ first: m.first, reply: m.reply }));
      return postWithRetries(() => ({ url: t.url, body, headers: {} }), o);
    }
    case 'email': {
      const mail = alertMail({
        from: t.smtp.from,
        to: t.address,
        kind: m.kind,
        thread: m.thread,
        subject: m.subject,
        first: m.first,
        delivery: m.delivery,
        reply: m.reply,
      });
      const mailer = o.mailer();
      return withRetries(
        () => untilStopped(mailer.send(mail), o.signal),
        o.policy,
        o.clock,
        o.signal,
      );
    }
  }
}
