import type { SmtpConfig } from '../../config/config.js';
import type { Reply } from '../../commands/types.js';
import { renderText } from '../text.js';
import { commandsOf, linesOf, type NoticeKind } from './thread.js';

/** One mail as nodemailer takes it (a subset of its message options). */
export interface AlertMail {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly references?: readonly string[];
  readonly text: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The domain of the From address (`Otto <otto@example.com>` → `example.com`), for Message-IDs. */
export function mailDomain(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'otto.local';
}

/** The Message-ID of a thread's first mail: `<otto-incident-42.1712345678000@example.com>`. */
export function rootMessageId(thread: string, domain: string): string {
  return `<otto-${thread}@${domain}>`;
}

/**
 * One alert or launch mail. The first of a thread (the alert, the launch's start)
 * has the thread's own Message-ID; every later one (updates, the recovery, the
 * launch's end) a Message-ID of its own and `In-Reply-To`/`References` the first's,
 * with the same subject, so mail clients show them as one conversation.
 */
export function alertMail(m: {
  readonly from: string;
  readonly to: string;
  readonly kind: NoticeKind;
  readonly thread: string;
  readonly subject: string;
  readonly first: boolean;
  /** Unique per message: the later mails' Message-ID. */
  readonly delivery: string;
  readonly reply: Reply;
}): AlertMail {
  const domain = mailDomain(m.from);
  const root = rootMessageId(m.thread, domain);
  const commands = commandsOf(m.reply);
  const text = [
    renderText({ ...m.reply, block: linesOf(m.reply), buttons: [] }),
    ...(commands.length ? ['', `In chat: ${commands.join(' · ')}`] : []),
    '',
    '-- ',
    `Otto at Mission Control. This address is listed as email:${m.to} in otto.yml.`,
  ].join('\n');
  return {
    from: m.from,
    to: m.to,
    subject: `[Otto] ${m.subject}`,
    messageId: m.first ? root : `<otto-${m.thread}.${m.delivery}@${domain}>`,
    ...(m.first ? {} : { inReplyTo: root, references: [root] }),
    text,
    headers: {
      // RFC 3834: no vacation or out-of-office answers to Otto.
      'Auto-Submitted': 'auto-generated',
      'X-Otto-Kind': m.kind,
      'X-Otto-Thread': m.thread,
    },
  };
}

/** nodemailer's transport options for `smtp:`, with time limits and no logging of any kind. */
export function smtpOptions(smtp: SmtpConfig) {
  return {
    host: smtp.host,
    port: smtp.port,
    /** tls: TLS from the first byte (port 465). */
    secure: smtp.tls === 'tls',
    /** starttls: refuse to send (and to log in) unless the server upgrades the connection. */
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    ...(smtp.user !== undefined && smtp.password !== undefined
      ? { auth: { user: smtp.user, pass: smtp.password } }
      : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    logger: false,
    debug: false,
  };
}
