/**
 * Where a message Otto drew lives, kept in the database (approval cards, alerts,
 * launch notices) as one string. This type is the only place that string is built
 * or taken apart.
 *
 * `slack:<channel>:<ts>`, `discord:<channel>:<message>[:<thread>]`,
 * `webhook:<url key>:<message>`, `notify:<target key>:<thread>`, `console:<n>`.
 */
export type MessageRef =
  | { readonly kind: 'slack'; readonly channel: string; readonly ts: string }
  | {
      readonly kind: 'discord';
      readonly channel: string;
      readonly message: string;
      /** The thread opened on the message for its updates, once there is one. */
      readonly thread?: string;
    }
  | { readonly kind: 'webhook'; readonly key: string; readonly message: string }
  | {
      /**
       * A target that can't edit what it was sent (a signed webhook, Mattermost,
       * Teams, e-mail): which target (a hash of it) and the thread its later
       * messages belong to (`incident-42.1712345678000`), from which e-mail's
       * Message-ID and a webhook's `id` are made.
       */
      readonly kind: 'notify';
      readonly key: string;
      readonly thread: string;
    }
  | { readonly kind: 'console'; readonly n: string };

/** Reads and writes {@link MessageRef} strings. */
export const MessageRef = {
  /** @example MessageRef.format({ kind: 'slack', channel: 'C1', ts: '1.2' }) // 'slack:C1:1.2' */
  format(ref: MessageRef): string {
    switch (ref.kind) {
      case 'slack':
        return `slack:${ref.channel}:${ref.ts}`;
      case 'discord':
        return `discord:${ref.channel}:${ref.message}${ref.thread ? `:${ref.thread}` : ''}`;
      case 'webhook':
        return `webhook:${ref.key}:${ref.message}`;
      case 'notify':
        return `notify:${ref.key}:${ref.thread}`;
      case 'console':
        return `console:${ref.n}`;
    }
  },

  /** The ref a string holds, or undefined when it is not one. */
  parse(text: string): MessageRef | undefined {
    const [kind, a = '', b = '', c = '', ...rest] = text.split(':');
    if (rest.length > 0) return undefined;
    if (kind === 'slack' && a && b && !c) return { kind, channel: a, ts: b };
    if (kind === 'discord' && a && b)
      return { kind, channel: a, message: b, ...(c ? { thread: c } : {}) };
    if (kind === 'webhook' && a && b && !c) return { kind, key: a, message: b };
    if (kind === 'notify' && a && b && !c) return { kind, key: a, thread: b };
    if (kind === 'console' && a && !b) return { kind, n: a };
    return undefined;
  },
};
