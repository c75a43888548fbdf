import { dispatch, type Source } from '../commands/dispatch.js';
import type { Reply } from '../commands/types.js';
import type { Ops } from '../ops/ops.js';
import { FollowEnded } from '../commands/follow.js';
import { LineFeed } from './line-feed.js';
import { LiveMessage, type LiveMessageOptions, type MessageSink } from './live-message.js';

/** Thrown by a thread poster that has no thread to post in (Otto could only answer privately). */
export class NoThread extends Error {}

/** How a platform posts lines into the thread under a message it drew. */
export interface ThreadPoster<Ref> {
  /** Throws {@link NoThread} when the message has no thread to post in. */
  post(parent: Ref, lines: readonly string[]): Promise<void>;
  /** The most characters of lines one post holds. */
  readonly maxChars: number;
}

export interface ChatRun<Ref> {
  readonly reply: Reply;
  /** The message that shows the reply, if it could be posted. */
  readonly ref: Ref | undefined;
  /** True when the command showed progress (a launch or rollback) before its result. */
  readonly hadProgress: boolean;
}

/**
 * Runs one chat command into one message: posted at the first progress or at the
 * result, then edited in place. A reply that asks for approval is remembered as the
 * request's message (`refOf` names it), so later votes and decisions redraw it.
 */
export async function runInMessage<Ref>(
  ops: Ops,
  text: string,
  source: Source,
  sink: MessageSink<Ref> & { readonly refOf: (ref: Ref) => string | undefined },
  options: LiveMessageOptions & {
    readonly signal?: AbortSignal;
    /** Posts lines under the message (its thread): a live follow's transmissions. */
    readonly thread?: ThreadPoster<Ref>;
  } = {},
): Promise<ChatRun<Ref>> {
  const live = new LiveMessage(sink, options);
  const { thread } = options;
  // A follow whose lines can't be shown anywhere ends at once, and says why.
  const nowhere = new AbortController();
  const feed =
    thread &&
    new LineFeed(
      async (lines) => {
        try {
          await thread.post(live.current!, lines);
        } catch (e) {
          if (!(e instanceof NoThread)) throw e;
          nowhere.abort(new FollowEnded(e.message));
        }
      },
      () => live.current !== undefined,
      { maxChars: thread.maxChars, ...(options.log ? { log: options.log } : {}) },
    );
  const signal = options.signal
    ? AbortSignal.any([options.signal, nowhere.signal])
    : nowhere.signal;
  let hadProgress = false;
  const reply = await dispatch(ops, text, source, {
    progress: (r) => {
      hadProgress = true;
      live.show(r);
    },
    ...(feed ? { stream: (lines: readonly string[]) => feed.push(lines) } : {}),
    signal,
  });
  // Every line is in the thread before the message says the follow ended.
  await feed?.close();
  const ref = await live.finish(reply);
  const name = ref === undefined ? undefined : sink.refOf(ref);
  if (reply.approval !== undefined && name) {
    await ops.approvals.setMessage(reply.approval, name).catch((e: unknown) => {
      (options.log ?? console.error)(
        `otto: could not remember request ${reply.approval}'s message: ${String(e)}`,
      );
    });
  }
  return { reply, ref, hadProgress };
}
