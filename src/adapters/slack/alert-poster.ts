import type { App } from '@slack/bolt';
import type { AlertPoster } from '../alert-outbox.js';
import { MessageRef } from '../../store/message-ref.js';
import { toBlocks } from './blocks.js';
import { once429 } from './web-api.js';

/** A stored Slack message ref; anything else is a bug in whoever stored it. */
export function slackRef(text: string): { channel: string; ts: string } {
  const ref = MessageRef.parse(text);
  if (ref?.kind !== 'slack') throw new Error(`${text} is not a Slack message`);
  return ref;
}

/** Alerts into Slack channels: a message, replies in its thread, and edits of it. */
export function slackAlertPoster(connection: () => App): AlertPoster {
  return {
    async post(channel, reply) {
      const { client } = connection();
      const res = await once429(() => client.chat.postMessage({ channel, ...toBlocks(reply) }));
      return MessageRef.format({
        kind: 'slack',
        channel: res.channel ?? channel,
        ts: res.ts ?? '',
      });
    },
    async reply(ref, reply) {
      const { client } = connection();
      const { channel, ts } = slackRef(ref);
      await once429(() => client.chat.postMessage({ channel, thread_ts: ts, ...toBlocks(reply) }));
      return ref;
    },
    async edit(ref, reply) {
      const { client } = connection();
      const { channel, ts } = slackRef(ref);
      await once429(() => client.chat.update({ channel, ts, ...toBlocks(reply) }));
    },
  };
}
