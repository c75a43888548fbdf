import type { Client } from 'discord.js';
import type { Reply } from '../../commands/types.js';
import { MessageRef } from '../../store/message-ref.js';
import type { AlertPoster } from '../alert-outbox.js';
import type { ThreadPoster } from '../chat-run.js';
import { toDiscord, type DiscordMessage } from './render.js';

/** discord.js, loaded on first use; messages in channels: edits and alerts. */

export type DiscordJs = typeof import('discord.js');

/** discord.js is CommonJS: bundled, its exports arrive as `default`. */
export async function loadDiscord(): Promise<DiscordJs> {
  const loaded = await import('discord.js');
  return (loaded as unknown as { default?: DiscordJs }).default ?? loaded;
}

export /** A message Otto drew: its channel and id. */
interface DiscordRef {
  readonly channelId: string;
  readonly messageId: string;
}

/** A stored Discord message ref; anything else is a bug in whoever stored it. */
export function discordRef(text: string): DiscordRef & { readonly thread?: string | undefined } {
  const ref = MessageRef.parse(text);
  if (ref?.kind !== 'discord') throw new Error(`${text} is not a Discord message`);
  return { channelId: ref.channel, messageId: ref.message, thread: ref.thread };
}

/** Edits a message Otto drew through the channel route (no interaction token needed). */
export async function editInChannel(
  discord: DiscordJs,
  client: Client,
  ref: DiscordRef,
  m: DiscordMessage,
): Promise<void> {
  await client.rest.patch(discord.Routes.channelMessage(ref.channelId, ref.messageId), {
    body: {
      content: m.content,
      components: m.components,
      allowed_mentions: m.allowed_mentions,
      attachments: [],
    },
    files: m.files,
  });
}

/**
 * Alerts into Discord channels: a message, its updates in a thread opened on it with
 * the first of them, and edits through the channel route. `channels`: the channel
 * ids otto.yml names, drawn as channels.
 */
export function discordAlertPoster(
  connection: () => { client: Client; discord: DiscordJs },
  channels: ReadonlySet<string>,
): AlertPoster {
  const send = async (channelId: string, reply: Reply): Promise<string> => {
    const { client, discord } = connection();
    const m = toDiscord(reply, { channels });
    const sent = (await client.rest.post(discord.Routes.channelMessages(channelId), {
      body: { content: m.content, components: m.components, allowed_mentions: m.allowed_mentions },
      files: m.files,
    })) as { id: string };
    return sent.id;
  };
  return {
    async post(channel, reply) {
      return MessageRef.format({
        kind: 'discord',
        channel,
        message: await send(channel, reply),
      });
    },
    // Updates go into a thread on the alert, opened with the first of them.
    async reply(ref, reply) {
      const { channelId, messageId, thread: known } = discordRef(ref);
      let thread = known;
      if (!thread) {
        const { client, discord } = connection();
        const made = (await client.rest.post(discord.Routes.threads(channelId, messageId), {
          body: { name: 'Otto: incident updates', auto_archive_duration: 1440 },
        })) as { id: string };
        thread = made.id;
      }
      await send(thread, reply);
      return MessageRef.format({
        kind: 'discord',
        channel: channelId,
        message: messageId,
        thread,
      });
    },
    async edit(ref, reply) {
      const { client, discord } = connection();
      await editInChannel(discord, client, discordRef(ref), toDiscord(reply, { channels }));
    },
  };
}

/** Discord's error code for "a thread has already been created for this message". */
const THREAD_EXISTS = 160004;

/**
 * Lines into a thread on a message, opened with the first of them: on the reply, or
 * on `pressed`, the message whose button was pressed (an alert). Where the thread
 * can't be opened: the pressed message's thread that exists already (a thread
 * started from a message has its id), or the reply's own channel (a command typed
 * in a thread).
 */
export function discordThread(
  discord: DiscordJs,
  client: Client,
  pressed?: DiscordRef,
): ThreadPoster<DiscordRef> {
  let thread: Promise<string> | undefined;
  return {
    maxChars: 1800,
    post: async (parent, lines) => {
      const on = pressed ?? parent;
      thread ??= (
        client.rest.post(discord.Routes.threads(on.channelId, on.messageId), {
          body: { name: 'Otto: live transmissions', auto_archive_duration: 60 },
        }) as Promise<{ id: string }>
      ).then(
        (t) => t.id,
        // 160004: the pressed message has its thread already, and a thread started
        // from a message has its id. Otherwise: the reply's own channel.
        (e: unknown) =>
          pressed && (e as { code?: unknown }).code === THREAD_EXISTS
            ? pressed.messageId
            : parent.channelId,
      );
      const m = toDiscord({ outcome: 'ok', text: '', block: lines });
      await client.rest.post(discord.Routes.channelMessages(await thread), {
        body: { content: m.content.trimStart(), allowed_mentions: m.allowed_mentions },
        files: m.files,
      });
    },
  };
}
