import { randomBytes } from 'node:crypto';
import { subjectName } from '../../commands/alert-text.js';
import type { Reply } from '../../commands/types.js';
import type { Notice } from '../../watch/incident-messages.js';

/** Every kind of message a notify target receives. */
export type NoticeKind = 'alert' | 'update' | 'recovery' | 'launch' | 'notice';

/**
 * What ties the messages about one incident or launch together on targets that
 * can't edit or thread: `incident-42.1712345678000` (its id and when it opened, so
 * two Ottos' incident 42 differ), `launch-17.<started ms>`, or `notice-<random>`
 * for a message of its own. It is a webhook body's `id`, and makes the e-mail
 * Message-ID `<otto-incident-42.1712345678000@example.com>`.
 */
export function threadOf(about: Notice | undefined): string {
  if (!about) return `notice-${randomBytes(6).toString('hex')}`;
  if (about.kind === 'launch')
    return `launch-${about.deployment.id}.${Date.parse(about.deployment.startedAt)}`;
  return `incident-${about.incident.id}.${Date.parse(about.incident.openedAt)}`;
}

/**
 * The subject every message of a thread carries (mail clients thread on it):
 * `Incident #42: shop web`, `Launch of shop v3`, `Return of shop to v2 (v5)`; a
 * message of its own: its first line.
 */
export function subjectOf(about: Notice | undefined, reply: Reply): string {
  if (about?.kind === 'launch') {
    const d = about.deployment;
    return d.rollbackOf
      ? `Return of ${d.fleet} to v${d.rollbackOf} (v${d.version})`
      : `Launch of ${d.fleet} v${d.version}`;
  }
  if (about) return `Incident #${about.incident.id}: ${subjectName(about.incident)}`;
  const first = reply.text.split('\n')[0] ?? '';
  return first.length > 100 ? `${first.slice(0, 99)}…` : first;
}

/** Preformatted lines as a notify target carries them: the last 20, each cut at 500 characters. */
export function linesOf(reply: Reply): string[] {
  return (reply.block ?? []).slice(-20).map((l) => (l.length > 500 ? `${l.slice(0, 499)}…` : l));
}

/** The commands a reply's buttons run, for targets without buttons: `logs shop web`. */
export function commandsOf(reply: Reply): string[] {
  return (reply.buttons ?? []).map((b) => b.command);
}
