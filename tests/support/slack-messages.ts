import type { ApiCall, SlackStandin } from './slack-standin.js';

interface AnyBlock {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { text: string | { text: string } }[];
}

/** Every text of a message's blocks, one per line, as a person would read it. */
export function textOf(call: ApiCall): string {
  const blocks = (call.args['blocks'] ?? []) as AnyBlock[];
  return blocks
    .flatMap((b) => [
      b.text?.text,
      ...(b.fields ?? []).map((f) => f.text),
      ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : `[${e.text.text}]`)),
    ])
    .filter((t): t is string => t !== undefined)
    .join('\n');
}

/** The ts of the message a call posted or edited. */
export const tsOf = (call: ApiCall): string =>
  String(call.method === 'chat.postMessage' ? call.result['ts'] : call.args['ts']);

/** Reads the messages Otto posts to the stand-in, from a given point on. */
export class Conversation {
  private from: number;

  constructor(private readonly slack: SlackStandin) {
    this.from = slack.calls.length;
  }

  /** Only calls made after this point count. */
  mark(): void {
    this.from = this.slack.calls.length;
  }

  /** The first message posted (since the mark) whose text contains `text`. */
  posted(text: string, ms?: number): Promise<ApiCall> {
    const from = this.from;
    return this.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        this.slack.calls.indexOf(c) >= from &&
        textOf(c).includes(text),
      `message containing "${text}"`,
      ms,
    );
  }

  /** The first post or edit of message `ts` whose text contains `text`. */
  drawn(ts: string, text: string, ms?: number): Promise<ApiCall> {
    return this.slack.waitFor(
      (c) =>
        (c.method === 'chat.postMessage' || c.method === 'chat.update') &&
        tsOf(c) === ts &&
        textOf(c).includes(text),
      `message ${ts} showing "${text}"`,
      ms,
    );
  }

  /** Every post and edit of message `ts`, in order. */
  history(ts: string): ApiCall[] {
    return this.slack.calls.filter(
      (c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && tsOf(c) === ts,
    );
  }

  /** Messages posted into the thread of `ts`. */
  thread(ts: string): ApiCall[] {
    return this.slack.calls.filter(
      (c) => c.method === 'chat.postMessage' && c.args['thread_ts'] === ts,
    );
  }
}
