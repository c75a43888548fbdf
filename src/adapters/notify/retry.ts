import { setTimeout as sleep } from 'node:timers/promises';

/** How hard Otto tries to hand one message over before it gives up on it. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** No attempt starts later than this after the first. */
  readonly totalMs: number;
  /** The wait before the second attempt; it doubles for each next one... */
  readonly baseMs: number;
  /** ...up to this. */
  readonly capMs: number;
}

/** 5 attempts within 2 minutes: waits of about 1, 2, 4 and 8 s, or what Retry-After asks. */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 5,
  totalMs: 120_000,
  baseMs: 1_000,
  capMs: 30_000,
};

/** Time as the retries see it; tests give one that does not wait. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** In [0, 1): spreads the waits of many senders (jitter). */
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
  random: () => Math.random(),
};

/** One attempt's outcome: done, or why not and whether trying again can help. */
export type Attempt =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly retry: boolean;
      /** The receiver's Retry-After, in ms. */
      readonly afterMs?: number | undefined;
    };

export type Outcome =
  | { readonly ok: true; readonly attempts: number }
  | { readonly ok: false; readonly attempts: number; readonly reason: string };

/**
 * Runs `attempt` until it succeeds, says trying again can't help, or the policy's
 * attempts or time run out. Waits grow exponentially (half fixed, half random), or
 * are what the receiver's Retry-After asks; a Retry-After beyond the time left ends
 * the tries at once. Never throws: an attempt that throws counts as one to retry.
 */
export async function withRetries(
  attempt: (n: number) => Promise<Attempt>,
  policy: RetryPolicy = DEFAULT_RETRY,
  clock: Clock = realClock,
  signal?: AbortSignal,
): Promise<Outcome> {
  const started = clock.now();
  for (let n = 1; ; n++) {
    let result: Attempt;
    try {
      result = await attempt(n);
    } catch (e) {
      result = { ok: false, reason: (e as Error).message, retry: true };
    }
    if (result.ok) return { ok: true, attempts: n };
    if (!result.retry) return { ok: false, attempts: n, reason: result.reason };
    if (n >= policy.attempts)
      return { ok: false, attempts: n, reason: `${result.reason} (gave up after ${n} attempts)` };
    const backoff = Math.min(policy.capMs, policy.baseMs * 2 ** (n - 1));
    const wait = result.afterMs ?? backoff / 2 + (clock.random() * backoff) / 2;
    const left = policy.totalMs - (clock.now() - started);
    if (wait > left)
      return {
        ok: false,
        attempts: n,
        reason: `${result.reason} (gave up after ${n} attempt${n === 1 ? '' : 's'}: ${result.afterMs === undefined ? 'the next' : `Retry-After asked for ${Math.ceil(wait / 1000)} s, and the next`} would start past ${Math.round(policy.totalMs / 1000)} s)`,
      };
    try {
      await clock.sleep(wait, signal);
    } catch {
      return {
        ok: false,
        attempts: n,
        reason: `${result.reason} (Otto stopped before the next attempt)`,
      };
    }
  }
}

/** Retry-After as ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
