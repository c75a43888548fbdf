import { createHash } from 'node:crypto';
import type { NotifyEntry, SmtpConfig } from '../../config/config.js';

/** A target that can't edit what it was sent, resolved against otto.yml. */
export type NotifyTarget =
  | {
      readonly kind: 'webhook';
      readonly name: string;
      readonly url: string;
      readonly secret: string;
    }
  | { readonly kind: 'mattermost'; readonly url: string }
  | { readonly kind: 'teams'; readonly url: string }
  | { readonly kind: 'email'; readonly address: string; readonly smtp: SmtpConfig };

/** Whether a target is one of these (`webhook:`, `mattermost:`, `teams:`, `email:`). */
export function isNotifyTarget(target: string): boolean {
  return /^(webhook|mattermost|teams|email):/.test(target);
}

/** The part of a message ref that names its target: a hash, so no URL or token is stored in it. */
export function targetKey(target: string): string {
  return createHash('sha256').update(target).digest('hex').slice(0, 12);
}

/** The target a string names; throws, with the fix, when otto.yml lacks what it needs. */
export function resolveTarget(
  target: string,
  notify: ReadonlyMap<string, NotifyEntry>,
  smtp: SmtpConfig | undefined,
): NotifyTarget {
  const i = target.indexOf(':');
  const kind = target.slice(0, i);
  const rest = target.slice(i + 1);
  switch (kind) {
    case 'webhook': {
      const entry = notify.get(rest);
      if (!entry) throw new Error(`${target} names no entry under notify: in otto.yml`);
      return { kind, name: rest, url: entry.url, secret: entry.secret };
    }
    case 'mattermost':
    case 'teams':
      return { kind, url: rest };
    case 'email':
      if (!smtp) throw new Error(`${target} needs an smtp: section in otto.yml`);
      return { kind, address: rest, smtp };
    default:
      throw new Error(
        `${target.slice(0, 20)} is not a webhook, Mattermost, Teams or e-mail target`,
      );
  }
}
