import { createHash } from 'node:crypto';
import type { AlertOutbox } from '../watch/incident-messages.js';
import type { Reply } from '../commands/types.js';
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
}

const urlKey = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 12);

/**
 * Routes alerts: `slack:` and `discord:` targets through the running adapters, and
 * Discord webhook URLs over HTTP. A webhook can't hold buttons or open threads, so
 * its updates are new messages that quote the alert, and its message is edited.
 */
export function makeOutbox(parts: OutboxParts): AlertOutbox {
  const webhooks = new Map(
    parts.targets.filter((t) => /^https?:/.test(t)).map((t) => [urlKey(t), t]),
  );
  const http = parts.fetch ?? fetch;
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
    async post(target, reply) {
      if (/^https?:/.test(target)) {
        const res = await send(`${target}?wait=true`, 'POST', webhookBody(reply));
        const { id } = (await res.json()) as { id: string };
        return MessageRef.format({ kind: 'webhook', key: urlKey(target), message: id });
      }
      const { platform: kind, channel } = chatTarget(target);
      return platform(kind).post(channel, reply);
    },
    async reply(text, reply) {
      const ref = parse(text);
      if (ref.kind === 'webhook') {
        const { url } = hook(ref);
        await send(`${url}?wait=true`, 'POST', webhookBody(reply, '↪️ '));
        return text;
      }
      return platform(ref.kind).reply(text, reply);
    },
    async edit(text, reply) {
      const ref = parse(text);
      if (ref.kind === 'webhook') {
        const { url, id } = hook(ref);
        await send(`${url}/messages/${id}`, 'PATCH', webhookBody(reply));
        return;
      }
      await platform(ref.kind).edit(text, reply);
    },
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
