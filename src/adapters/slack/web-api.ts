import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@slack/bolt';
import { RateLimited } from '../live-message.js';

/** Talking to Slack's Web API: tokens out of logs, Bolt's logger, rate limits, API errors. */

const TOKEN = /\b(xox[a-z]|xapp)-[A-Za-z0-9-]+/g;
/** Log text with Slack tokens blanked out. */
export const redactTokens = (text: string) => text.replace(TOKEN, '$1-…');

export function boltLogger(
  log: (msg: string) => void,
  LogLevel: typeof import('@slack/bolt').LogLevel,
): Logger {
  const order = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR] as string[];
  let level = LogLevel.WARN;
  let min = order.indexOf(level);
  // Bolt calls debug() on every event: return before formatting anything.
  const at =
    (l: string) =>
    (...msg: unknown[]) => {
      if (order.indexOf(l) < min) return;
      log(
        redactTokens(
          `slack: ${msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')}`,
        ),
      );
    };
  return {
    debug: at(LogLevel.DEBUG),
    info: at(LogLevel.INFO),
    warn: at(LogLevel.WARN),
    error: at(LogLevel.ERROR),
    setLevel: (l) => {
      level = l;
      min = order.indexOf(l);
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** Slack's "slow down": the Web API client rejects at once (rejectRateLimitedCalls) and Otto waits. */
export function asRateLimited(e: unknown): unknown {
  const err = e as { code?: string; retryAfter?: number };
  return err?.code === 'slack_webapi_rate_limited_error'
    ? new RateLimited(Math.max(1, err.retryAfter ?? 1) * 1000)
    : e;
}

/** Runs a call; after a rate limit (nothing was done) waits as told and sends it once more. */
export async function once429<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const r = asRateLimited(e);
    if (!(r instanceof RateLimited)) throw e;
    await sleep(r.retryAfterMs);
    return call();
  }
}

export function apiError(e: unknown): string | undefined {
  return (e as { data?: { error?: string } })?.data?.error;
}
