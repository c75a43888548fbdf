import { OttoError } from '../errors.js';
import type { Ops } from '../ops/ops.js';

/** A person asked for more than their share of a costly read. */
export class RateLimitedError extends OttoError {
  override readonly code = 'rate_limited';
}

export interface Rate {
  /** Requests allowed at once. */
  readonly burst: number;
  /** Requests a minute, refilled evenly. */
  readonly perMinute: number;
}

/**
 * A token bucket per identity. Reads that cost SSH channels on a manager (logs,
 * autocomplete's `docker service ls`) share OpenSSH's 10 sessions with running
 * launches: one viewer must not be able to use them all.
 *
 * @example new RateLimiter({ burst: 5, perMinute: 10 }).take('slack:U1') // 0: go ahead
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: Rate,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token: 0 when allowed, else the seconds until the next one. */
  take(identity: string): number {
    const now = this.now();
    const refill = this.rate.perMinute / 60_000;
    const b = this.buckets.get(identity) ?? { tokens: this.rate.burst, at: now };
    b.tokens = Math.min(this.rate.burst, b.tokens + (now - b.at) * refill);
    b.at = now;
    if (this.buckets.size > 10_000) this.buckets.clear(); // never a leak, at worst a fresh start
    this.buckets.set(identity, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / refill / 1000);
  }
}

/** The limits Otto applies per identity. */
export const RATES = {
  logs: { burst: 5, perMinute: 10 },
  /** `launch --dry-run`: a viewer's read that asks a manager's Docker. */
  dryRun: { burst: 10, perMinute: 20 },
  autocomplete: { burst: 10, perMinute: 30 },
  /** `top`: one SSH round on every node that runs the fleet. */
  top: { burst: 5, perMinute: 10 },
} as const satisfies Record<string, Rate>;

const limiters = new WeakMap<Ops, Map<keyof typeof RATES, RateLimiter>>();

/** The process-wide limiter of one kind of read, shared by every adapter of `ops`. */
export function limiter(ops: Ops, kind: keyof typeof RATES): RateLimiter {
  let byKind = limiters.get(ops);
  if (!byKind) limiters.set(ops, (byKind = new Map()));
  let l = byKind.get(kind);
  if (!l) byKind.set(kind, (l = new RateLimiter(RATES[kind])));
  return l;
}
