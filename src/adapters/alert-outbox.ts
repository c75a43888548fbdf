import { targetKey } from './notify/targets.js';
import type { AlertOutbox } from '../watch/incident-messages.js';
import type { Reply } from '../commands/types.js';
import type { NotifyEntry, SmtpConfig } from '../config/config.js';
import { Notifier } from './notify/notifier.js';
import type { Clock, RetryPolicy } from './notify/retry.js';
import { toDiscord } from './discord/render.js';
import { renderText } from './text.js';
import { MessageRef } from '../store/message-ref.js';

/**
 * One platform's part of alerting. Refs name the platform first
 * (`slack:C1:1712.0001`, `discord:<channel>:<message>[:<thread>]`).
 */
export interface AlertPoster {
  post(channel: string, reply: Reply): Promise<string>;
  reply(ref: string, reply: Reply): Promise<string>;
  edit(ref: string, reply: Reply): Promise<void>;
}

export interface OutboxParts {
  readonly slack?: AlertPoster | undefined;
  readonly discord?: AlertPoster | undefined;
  /** Every alert target otto.yml names: webhook URLs are found again by their hash. */
  readonly targets: readonly string[];
  readonly fetch?: typeof fetch;
  /** `notify:` (the signed webhooks that `webhook:<name>` targets) and `smtp:`. */
  readonly notify?: ReadonlyMap<string, NotifyEntry> | undefined;
  readonly smtp?: SmtpConfig | undefined;
  /** Where a notification that could not be sent is said (stderr). */
  readonly log?: (line: string) => void;
  /** Tests: faster retries and a clock that doesn't wait. */
  readonly retry?: RetryPolicy;
  readonly clock?: Clock;
}

/** An outbox that may still hold notifications being sent. */
export interface Outbox extends AlertOutbox {
  /** Resolves when every notification queued so far was sent or given up on. */
  idle(): Promise<void>;
  /** Lets queued notifications go out for at most `ms`, then stops trying. */
  close(ms?: number): Promise<void>;
}

/**
 * Routes alerts: `slack:` and `discord:` targets through the running adapters,
 * Discord webhook URLs over HTTP, and signed webhooks, Mattermost, Teams and
 * e-mail through the {@link Notifier}. A Discord webhook can't hold buttons or
 * open threads, so its updates are new messages that quote the alert, and its
 * message is edited.
 */
export function makeOutbox(parts: OutboxParts): Outbox {
  const webhooks = new Map(
    parts.targets.filter((t) => /^https?:/.test(t)).map((t) => [targetKey(t), t]),
  );
  const http = parts.fetch ?? fetch;
  const notifier = new Notifier({
    targets: parts.targets,
    notify: parts.notify,
    smtp: parts.smtp,
    log: parts.log ?? ((line) => console.error(line)),
    ...(parts.fetch ? { fetch: parts.fetch } : {}),
    ...(parts.retry ? { retry: parts.retry } : {}),
    ...(parts.clock ? { clock: parts.clock } : {}),
  });
  const platform = (kind: string): AlertPoster => {
    const p = kind === 'slack' ? parts.slack : kind === 'discord' ? parts.discord : undefined;
    if (!p) throw new Error(`${kind} is not configured in otto.yml`);
    return p;
  };
  const webhookBody = (reply: Reply, prefix = '') => {
    const m = toDiscord({ ...reply, buttons: [] });
    return JSON.stringify({
      content: `${prefix}${m.content}`.slice(0, 2000),
      allowed_mentions: { parse: [] },
    });
  };
  const send = async (url: string, method: string, body: string) => {
    const res = await http(url, { method, body, headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw new Error(`the webhook answered HTTP ${res.status}`);
    return res;
  };
  const hook = (ref: MessageRef & { kind: 'webhook' }) => {
    const url = webhooks.get(ref.key);
    if (!url) throw new Error('that webhook is no longer in otto.yml');
    return { url, id: ref.message };
  };
  const parse = (text: string): MessageRef => {
    const ref = MessageRef.parse(text);
    if (!ref) throw new Error(`${text.slice(0, 40)} is not a message Otto drew`);
    return ref;
  };
  return {
    async post(target, reply, about) {
      if (notifier.handles(target)) return notifier.post(target, reply, about);
      if (/^https?:/.test(target)) {
        const res = await send(`${target}?wait=true`, 'POST', webhookBody(reply));
        const { id } = (await res.json()) as { id: string };
        return MessageRef.format({ kind: 'webhook', key: targetKey(target), message: id });
      }
      const { platform: kind, channel } = chatTarget(target);
      return platform(kind).post(channel, reply);
    },
    async reply(text, reply, about) {
      const ref = parse(text);
      if (ref.kind === 'notify') {
        notifier.reply(ref, reply, about);
        return text;
      }
      if (ref.kind === 'webhook') {
        const { url } = hook(ref);
        await send(`${url}?wait=true`, 'POST', webhookBody(reply, '↪️ '));
        return text;
      }
      return platform(ref.kind).reply(text, reply);
    },
    async edit(text, reply, about) {
      const ref = parse(text);
      if (ref.kind === 'notify') return notifier.edit(ref, reply, about);
      if (ref.kind === 'webhook') {
        const { url, id } = hook(ref);
        await send(`${url}/messages/${id}`, 'PATCH', webhookBody(reply));
        return;
      }
      await platform(ref.kind).edit(text, reply);
    },
    idle: () => notifier.idle(),
    close: (ms) => notifier.close(ms),
  };
}

/** The console's outbox: every alert printed once, whatever its targets. */
export function consoleOutbox(write: (text: string) => void): AlertOutbox {
  let n = 0;
  return {
    async post(_target, reply) {
      write(renderText(reply));
      return MessageRef.format({ kind: 'console', n: String(++n) });
    },
    async reply(ref, reply) {
      write(`  ↪ ${renderText(reply)}`);
      return ref;
    },
    async edit() {},
  };
}

/** `slack:C0ALERTS` or `discord:1234`: the platform and its channel id. */
function chatTarget(target: string): { platform: string; channel: string } {
  const i = target.indexOf(':');
  return { platform: target.slice(0, i), channel: target.slice(i + 1) };
}
