import { describe, expect, it } from 'vitest';
import { LiveMessage, RateLimited, type MessageSink } from '../../src/adapters/live-message.js';
import type { Reply } from '../../src/commands/types.js';

const reply = (text: string): Reply => ({ outcome: 'ok', text });

/** A sink that records writes and fails the ones it is told to. */
function recorder(failures: (Error | undefined)[] = []) {
  const writes: { kind: 'post' | 'edit'; text: string; final: boolean; at: number }[] = [];
  const sink: MessageSink<string> = {
    post: async (r, final) => {
      const f = failures.shift();
      if (f) throw f;
      writes.push({ kind: 'post', text: r.text, final, at: Date.now() });
      return 'm1';
    },
    edit: async (_ref, r, final) => {
      const f = failures.shift();
      if (f) throw f;
      writes.push({ kind: 'edit', text: r.text, final, at: Date.now() });
    },
  };
  return { sink, writes };
}

const quiet = { log: () => {} };

describe('a live message', () => {
  it('posts once, then writes only the newest state, and always the final one', async () => {
    const { sink, writes } = recorder();
    const live = new LiveMessage(sink, { minIntervalMs: 50, ...quiet });
    live.show(reply('stage 1'));
    live.show(reply('stage 2'));
    live.show(reply('stage 3'));
    await new Promise((r) => setTimeout(r, 10));
    live.show(reply('stage 4'));
    live.show(reply('stage 5'));
    expect(await live.finish(reply('done'))).toBe('m1');
    expect(writes.map((w) => `${w.kind}:${w.text}`)).toEqual([
      'post:stage 1',
      'edit:stage 5',
      'edit:done',
    ]);
    expect(writes.at(-1)?.final).toBe(true);
  });

  it('posts the result directly when there was no progress', async () => {
    const { sink, writes } = recorder();
    const live = new LiveMessage(sink, quiet);
    await live.finish(reply('status'));
    expect(writes.map((w) => `${w.kind}:${w.text}:${w.final}`)).toEqual(['post:status:true']);
  });

  it('after a rate limit, waits as told and writes the newest state once', async () => {
    const { sink, writes } = recorder([undefined, new RateLimited(120)]);
    const live = new LiveMessage(sink, { minIntervalMs: 10, ...quiet });
    live.show(reply('one'));
    await new Promise((r) => setTimeout(r, 30));
    const limitedAt = Date.now();
    live.show(reply('two'));
    await new Promise((r) => setTimeout(r, 20));
    live.show(reply('three'));
    await live.finish(reply('done'));
    expect(writes.map((w) => w.text)).toEqual(['one', 'three', 'done']);
    expect(writes[1]!.at - limitedAt).toBeGreaterThanOrEqual(100);
  });

  it('never posts twice after a post that may have reached the platform', async () => {
    const { sink, writes } = recorder([new Error('socket hang up')]);
    const live = new LiveMessage(sink, { minIntervalMs: 5, ...quiet });
    live.show(reply('one'));
    await new Promise((r) => setTimeout(r, 20));
    live.show(reply('two'));
    expect(await live.finish(reply('done'))).toBeUndefined();
    expect(writes).toEqual([]);
  });

  it('posts after a rate-limited post, since nothing was written', async () => {
    const { sink, writes } = recorder([new RateLimited(20)]);
    const live = new LiveMessage(sink, { minIntervalMs: 5, ...quiet });
    expect(await live.finish(reply('done'))).toBe('m1');
    expect(writes.map((w) => w.text)).toEqual(['done']);
  });

  it('tries the final edit again when it fails', async () => {
    const { sink, writes } = recorder([undefined, new Error('503')]);
    const live = new LiveMessage(sink, { minIntervalMs: 5, ...quiet });
    live.show(reply('one'));
    expect(await live.finish(reply('done'))).toBe('m1');
    expect(writes.map((w) => w.text)).toEqual(['one', 'done']);
  });
});
