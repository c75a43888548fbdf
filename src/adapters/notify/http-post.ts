import { DEFAULT_RETRY, realClock, retryAfterMs, withRetries } from './retry.js';
import type { Attempt, Clock, Outcome, RetryPolicy } from './retry.js';

/** One POST: made anew for each attempt, so a signature carries a fresh timestamp. */
export interface HttpPost {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface PostOptions {
  readonly fetch?: typeof fetch;
  readonly policy?: RetryPolicy;
  readonly clock?: Clock;
  /** One attempt's limit. */
  readonly timeoutMs?: number;
  /** Otto is stopping: no further attempt. */
  readonly signal?: AbortSignal;
}

/** Why an attempt that threw failed, without the URL (undici's cause carries the code). */
function networkReason(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  if (err.name === 'AbortError') return 'Otto stopped during the attempt';
  return `the connection failed (${err.cause?.code ?? err.name})`;
}

/**
 * POSTs JSON with retries: a network error, a timeout, HTTP 429 and any 5xx are
 * tried again (Retry-After honoured), any other answer outside 2xx is final (a
 * 4xx means the request itself is wrong; a redirect, that the URL is). Returns the
 * outcome, never throws, and no reason names the URL.
 */
export function postWithRetries(make: () => HttpPost, options: PostOptions = {}): Promise<Outcome> {
  const http = options.fetch ?? fetch;
  const clock = options.clock ?? realClock;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const attempt = async (): Promise<Attempt> => {
    const req = make();
    const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
    let res: Response;
    try {
      res = await http(req.url, {
        method: 'POST',
        body: req.body,
        headers: { 'content-type': 'application/json', 'user-agent': 'Otto', ...req.headers },
        redirect: 'manual',
        signal: AbortSignal.any(signals),
      });
    } catch (e) {
      return { ok: false, retry: !options.signal?.aborted, reason: networkReason(e, timeoutMs) };
    }
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { ok: true };
    const reason = `the receiver answered HTTP ${res.status}`;
    if (res.status === 429 || res.status >= 500)
      return {
        ok: false,
        retry: true,
        reason,
        afterMs: retryAfterMs(res.headers.get('retry-after'), clock.now()),
      };
    if (res.status >= 300 && res.status < 400)
      return { ok: false, retry: false, reason: `${reason} (a redirect: give the final URL)` };
    return { ok: false, retry: false, reason };
  };
  return withRetries(attempt, options.policy ?? DEFAULT_RETRY, clock, options.signal);
}
