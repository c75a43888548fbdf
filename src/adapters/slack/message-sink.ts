import type { App, RespondFn } from '@slack/bolt';
import type { Reply } from '../../commands/types.js';
import { MessageRef } from '../../store/message-ref.js';
import type { MessageSink } from '../live-message.js';
import { NoThread, type ThreadPoster } from '../chat-run.js';
import { codeBlocks, toBlocks } from './blocks.js';
import { notInChannel } from './replies.js';
import { apiError, asRateLimited } from './web-api.js';

/** Where a reply is drawn: a channel message, or (when Otto is not in the channel) the command's response URL. */
export type SlackRef =
  { readonly channel: string; readonly ts: string } | { readonly ephemeral: true };

export interface SlackSinkOptions {
  readonly client: App['client'];
  readonly channel: string;
  /** The thread a button was pressed in, to answer there. */
  readonly threadTs: string | undefined;
  /** Who ran what, drawn above the reply. */
  readonly header: string;
  /** The command's response URL: the private answer when Otto is not in the channel. */
  readonly respond: RespondFn | undefined;
  /**
   * `hadProgress`: set once the message showed progress: then a rollout's log lines go
   * into its thread. `blockInMessage`: set when the progress itself has lines (outpost
   * add's steps): those stay in the message, to the end.
   */
  readonly state: { hadProgress: boolean; blockInMessage: boolean };
}

/** The one message a command's reply is drawn in, posted once and then edited. */
export function slackSink({
  client,
  channel,
  threadTs,
  header,
  respond,
  state,
}: SlackSinkOptions): MessageSink<SlackRef> & { refOf: (r: SlackRef) => string | undefined } {
  // A rollout's log lines go into the thread under its message, not into the message;
  // lines that are the progress itself (the steps of outpost add) are drawn in it.
  const draw = (reply: Reply, final: boolean) => {
    if (!final && reply.block?.length) state.blockInMessage = true;
    return toBlocks(reply, { header, withBlock: !state.hadProgress || state.blockInMessage });
  };
  return {
    post: async (reply, final) => {
      if (!final) state.hadProgress = true;
      try {
        const res = await client.chat.postMessage({
          channel,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...draw(reply, final),
        });
        return { channel: res.channel ?? channel, ts: res.ts ?? '' };
      } catch (e) {
        const why = apiError(e);
        if (respond && (why === 'not_in_channel' || why === 'channel_not_found')) {
          await respond({ response_type: 'ephemeral', ...notInChannel(reply) });
          return { ephemeral: true };
        }
        throw asRateLimited(e);
      }
    },
    edit: async (ref, reply, final) => {
      if ('ephemeral' in ref) {
        if (final && respond) await respond({ replace_original: true, ...notInChannel(reply) });
        return;
      }
      try {
        await client.chat.update({ channel: ref.channel, ts: ref.ts, ...draw(reply, final) });
      } catch (e) {
        throw asRateLimited(e);
      }
    },
    refOf: (ref) =>
      'ts' in ref
        ? MessageRef.format({ kind: 'slack', channel: ref.channel, ts: ref.ts })
        : undefined,
  };
}

/**
 * Lines into the thread under a message: the thread the command was run in (a
 * button pressed in an alert's thread), or the message's own. Nowhere when Otto
 * could only answer privately (it is not in the channel).
 */
export function slackThread(
  client: App['client'],
  threadTs: string | undefined,
): ThreadPoster<SlackRef> {
  return {
    maxChars: 2 * 2900,
    post: async (parent, lines) => {
      if ('ephemeral' in parent)
        throw new NoThread(
          'Otto is not in this channel, so it has no thread to show lines in (invite it with /invite @Otto)',
        );
      try {
        await client.chat.postMessage({
          channel: parent.channel,
          thread_ts: threadTs ?? parent.ts,
          text: `📡 ${lines.length} new line${lines.length === 1 ? '' : 's'}`,
          blocks: codeBlocks(lines, 10),
        });
      } catch (e) {
        throw asRateLimited(e);
      }
    },
  };
}
