import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postWithRetries } from '../../src/adapters/notify/http-post.js';
import { SerialQueues } from '../../src/adapters/notify/queue.js';
import {
  DEFAULT_RETRY,
  retryAfterMs,
  withRetries,
  type Clock,
} from '../../src/adapters/notify/retry.js';

/** A clock that never waits: it records each wait asked for and moves time on by it. */
function fakeClock(random = 0.5): { clock: Clock; waits: number[] } {
  let t = Date.parse('2026-05-04T09:00:00.000Z');
  const waits: number[] = [];
  return {
    waits,
    clock: {
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
      random: () => random,
    },
  };
}

/** A real receiver answering each POST with the next scripted status (then 200). */
let answers: { status: number; headers?: Record<string, string> }[] = [];
let seen: { body: string; headers: Record<string, unknown> }[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ body, headers: req.headers });
      const a = answers.shift() ?? { status: 200 };
      res.writeHead(a.status, a.headers ?? {});
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  answers = [];
  seen = [];
});

const post = (clock: Clock, policy = DEFAULT_RETRY) =>
  postWithRetries(() => ({ url, body: '{"n":1}', headers: { 'x-test': 'yes' } }), {
    clock,
    policy,
  });

describe('posting with retries', () => {
  it('tries again after a 503 with growing, jittered waits, then succeeds', async () => {
    const { clock, waits } = fakeClock(0.5);
    answers = [{ status: 503 }, { status: 502 }];
    expect(await post(clock)).toEqual({ ok: true, attempts: 3 });
    // half fixed, half random (0.5 here) of 1 s, then of 2 s
    expect(waits).toEqual([750, 1500]);
    expect(seen).toHaveLength(3);
    expect(seen[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Otto',
      'x-test': 'yes',
    });
    expect(seen.map((s) => s.body)).toEqual(['{"n":1}', '{"n":1}', '{"n":1}']);
  });

  it("honours a 429's Retry-After, in seconds or as a date", async () => {
    const { clock, waits } = fakeClock();
    answers = [
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 503, headers: { 'retry-after': new Date(clock.now() + 27_000).toUTCString() } },
    ];
    expect(await post(clock)).toEqual({ ok: true, attempts: 3 });
    // the date is 27 s after the first attempt, which was 7 s before the second
    expect(waits).toEqual([7_000, 20_000]);
  });

  it('does not try again after another 4xx or a redirect', async () => {
    const { clock, waits } = fakeClock();
    answers = [{ status: 404 }];
    expect(await post(clock)).toEqual({
      ok: false,
      attempts: 1,
      reason: 'the receiver answered HTTP 404',
    });
    answers = [{ status: 302, headers: { location: '/elsewhere' } }];
    expect(await post(clock)).toMatchObject({ ok: false, attempts: 1, reason: /a redirect/ });
    expect(waits).toEqual([]);
    expect(seen).toHaveLength(2);
  });

  it('gives up after the attempts the policy allows', async () => {
    const { clock } = fakeClock();
    answers = Array.from({ length: 10 }, () => ({ status: 500 }));
    const out = await post(clock);
    expect(out).toEqual({
      ok: false,
      attempts: 5,
      reason: 'the receiver answered HTTP 500 (gave up after 5 attempts)',
    });
    expect(seen).toHaveLength(5);
  });

  it('gives up when the next attempt would start past the time allowed', async () => {
    const { clock, waits } = fakeClock(1);
    answers = Array.from({ length: 10 }, () => ({ status: 500 }));
    const out = await post(clock, { attempts: 10, totalMs: 5_000, baseMs: 1_000, capMs: 2_000 });
    // waits of 1, 2, 2 s: a fourth of 2 s would start at 7 s
    expect(waits).toEqual([1_000, 2_000, 2_000]);
    expect(out).toMatchObject({ ok: false, attempts: 4 });
    answers = [{ status: 503, headers: { 'retry-after': '600' } }];
    expect(await post(clock)).toEqual({
      ok: false,
      attempts: 1,
      reason:
        'the receiver answered HTTP 503 (gave up after 1 attempt: Retry-After asked for 600 s, and the next would start past 120 s)',
    });
  });

  it('tries again when the receiver cannot be reached, and names no URL', async () => {
    const { clock, waits } = fakeClock();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const out = await postWithRetries(
      () => ({ url: `http://127.0.0.1:${port}/hooks/s3cret`, body: '{}', headers: {} }),
      { clock, policy: { ...DEFAULT_RETRY, attempts: 3 } },
    );
    expect(out).toEqual({
      ok: false,
      attempts: 3,
      reason: 'the connection failed (ECONNREFUSED) (gave up after 3 attempts)',
    });
    expect(waits).toHaveLength(2);
  });

  it('stops waiting when Otto stops', async () => {
    const stop = new AbortController();
    const clock: Clock = {
      now: () => 0,
      sleep: (_ms, signal) =>
        new Promise((_r, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
          stop.abort(new Error('Otto is stopping'));
        }),
      random: () => 0,
    };
    const out = await withRetries(
      async () => ({ ok: false, retry: true, reason: 'HTTP 503' }),
      DEFAULT_RETRY,
      clock,
      stop.signal,
    );
    expect(out).toEqual({
      ok: false,
      attempts: 1,
      reason: 'HTTP 503 (Otto stopped before the next attempt)',
    });
  });

  it('counts an attempt that throws as one to try again', async () => {
    const { clock } = fakeClock();
    let n = 0;
    const out = await withRetries(
      async () => {
        if (++n < 2) throw new Error('boom');
        return { ok: true };
      },
      DEFAULT_RETRY,
      clock,
    );
    expect(out).toEqual({ ok: true, attempts: 2 });
  });

  it('reads Retry-After', () => {
    const now = Date.parse('2026-05-04T09:00:00.000Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Mon, 04 May 2026 09:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Mon, 04 May 2026 08:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('the queues behind the targets', () => {
  it('run one line in order, refuse a full line, and stop the rest when closed', async () => {
    const q = new SerialQueues(3);
    const done: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = async () => {
      await gate;
      done.push('a1');
    };
    expect(q.push('a', first)).toBe(true);
    expect(q.push('a', async () => void done.push('a2'))).toBe(true);
    expect(q.push('b', async () => void done.push('b1'))).toBe(true);
    expect(q.push('a', async () => void done.push('a3'))).toBe(true);
    // a holds 3 already
    expect(q.push('a', async () => void done.push('a4'))).toBe(false);
    await new Promise<void>((r) => setImmediate(r));
    expect(done).toEqual(['b1']);
    release();
    await q.idle();
    expect(done).toEqual(['b1', 'a1', 'a2', 'a3']);

    // Closing: a job still waiting on its receiver is told to stop.
    let stopped = false;
    q.push(
      'c',
      (signal) =>
        new Promise<void>((r) =>
          signal.addEventListener('abort', () => {
            stopped = true;
            r();
          }),
        ),
    );
    // Those queued behind it never start: the time to close is over.
    let late = false;
    q.push('c', async () => void (late = true));
    await q.close(10);
    expect(stopped).toBe(true);
    expect(late).toBe(false);
    expect(q.dropped).toBe(1);
    expect(q.push('c', async () => {})).toBe(false);
  });
});
