import type { SmtpConfig } from '../../config/config.js';
import { smtpOptions, type AlertMail } from './mail.js';
import type { Attempt } from './retry.js';

/** Sends mail through `smtp:`; one SMTP connection per mail. */
export interface Mailer {
  send(mail: AlertMail): Promise<Attempt>;
  close(): void;
}

interface SmtpError {
  readonly code?: string;
  readonly responseCode?: number;
  readonly permanent?: boolean;
}

/** Codes that a second try can't change: bad credentials, no credentials, a refused address, bad settings. */
const FINAL = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'ECONFIG', 'EMESSAGE']);

/**
 * A mailer on nodemailer, loaded the first time a mail is sent. A failure's reason
 * names the SMTP reply code or the error code, never the server's text (which may
 * echo what was sent) or the login.
 */
export function smtpMailer(smtp: SmtpConfig): Mailer {
  let transport:
    | Promise<{
        sendMail(m: Omit<AlertMail, 'references'> & { references?: string[] }): Promise<unknown>;
        close(): void;
      }>
    | undefined;
  const open = () =>
    (transport ??= import('nodemailer').then((n) => n.createTransport(smtpOptions(smtp))));
  return {
    async send(mail) {
      try {
        const { references, ...rest } = mail;
        await (
          await open()
        ).sendMail({ ...rest, ...(references ? { references: [...references] } : {}) });
        return { ok: true };
      } catch (e) {
        const err = e as SmtpError;
        const reason = err.responseCode
          ? `the mail server answered ${err.responseCode}`
          : `the mail could not be sent (${err.code ?? 'error'})`;
        return { ok: false, reason, retry: !err.permanent && !FINAL.has(err.code ?? '') };
      }
    },
    close() {
      void transport?.then((t) => t.close()).catch(() => {});
    },
  };
}
