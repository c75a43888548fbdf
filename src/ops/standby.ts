import { setTimeout as sleep } from 'node:timers/promises';
import { Lease, type LeaseHolder } from '../store/lease.js';
import { reapLeftovers, type Ops } from './ops.js';

/**
 * The lease's timing: the active Otto renews every 5 s a lease that lasts 15 s, and a
 * standby looks every 2 s; so a standby takes over within about 17 s of the active
 * one dying, and at its next look (2 s) after a clean stop, which gives the lease up.
 */
export const LEASE = { ttlMs: 15_000, renewMs: 5_000, pollMs: 2_000 } as const;

export interface StandbyOptions {
  /** false: return at once when another Otto holds the database (`--no-standby`). */
  readonly wait: boolean;
  readonly log: (line: string) => void;
  readonly signal: AbortSignal;
  readonly timing?: { readonly ttlMs: number; readonly renewMs: number; readonly pollMs: number };
}

/** This process as the active Otto. */
export interface Active {
  /** Resolves if the lease is lost (another Otto took it over): stop at once. */
  readonly lost: Promise<void>;
  /** Stops renewing and gives the lease up, so a standby takes over at once. */
  release(): Promise<void>;
}

/** The line that says who holds the database. */
export function holderLine(h: LeaseHolder): string {
  return `Otto on ${h.hostname} (pid ${h.pid}) holds this database since ${new Date(h.since).toISOString()}`;
}

/** The active Otto on this database, when one holds a current lease. */
export async function activeHolder(ops: Pick<Ops, 'db'>): Promise<LeaseHolder | undefined> {
  const h = await new Lease(ops.db, LEASE.ttlMs).read();
  return h && h.expiresAt > Date.now() ? h : undefined;
}

/**
 * Waits until this `otto start` is the one active instance on its database (at once
 * when nobody else is): another one that holds it makes this one a standby, which
 * says so once and looks again every 2 s. Taking over from an Otto whose lease
 * expired (it died) marks what it left running `interrupted` and frees its locks.
 * Undefined when stopped while waiting, or held and `wait` is false.
 */
export async function becomeActive(
  ops: Ops,
  options: StandbyOptions,
): Promise<{ active: Active } | { held: LeaseHolder } | undefined> {
  const { log, signal } = options;
  const timing = options.timing ?? LEASE;
  const lease = new Lease(ops.db, timing.ttlMs);
  let said = false;
  for (;;) {
    if (signal.aborted) return undefined;
    const got = await lease.acquire();
    if (got.active) {
      if (got.previous) {
        log(
          `🛰️  Taking over: ${holderLine(got.previous)}, but its lease ran out at ${new Date(got.previous.expiresAt).toISOString()}.`,
        );
        for (const n of await reapLeftovers(ops, got.previous)) log(`ℹ️  ${n}`);
      } else if (said) log('🛰️  The active Otto stopped: this one takes over.');
      return { active: keep(lease, timing, log) };
    }
    if (!options.wait) return { held: got.holder };
    if (!said)
      log(
        `⏸️  ${holderLine(got.holder)}. This Otto waits as a standby and takes over when that one stops.`,
      );
    said = true;
    await sleep(timing.pollMs, undefined, { signal }).catch(() => {});
  }
}

/** Renews the lease until released; `lost` resolves when a renewal finds it gone. */
function keep(
  lease: Lease,
  timing: { readonly ttlMs: number; readonly renewMs: number },
  log: (line: string) => void,
): Active {
  let onLost: () => void = () => {};
  const lost = new Promise<void>((resolve) => (onLost = resolve));
  let renewedUntil = Date.now() + timing.ttlMs;
  const timer = setInterval(() => {
    void lease.renew().then(
      (ok) => {
        if (ok) renewedUntil = Date.now() + timing.ttlMs;
        else {
          log(
            '⛔ Another Otto took this database over (this one could not renew its lease in time). Stopping.',
          );
          onLost();
        }
      },
      (e: unknown) => {
        // A busy database: the next tick tries again, until the lease would run out.
        if (Date.now() >= renewedUntil) {
          log(
            `⛔ Otto could not renew its lease (${e instanceof Error ? e.message : String(e)}). Stopping.`,
          );
          onLost();
        }
      },
    );
  }, timing.renewMs);
  timer.unref();
  return {
    lost,
    async release() {
      clearInterval(timer);
      await lease.release().catch(() => {});
    },
  };
}
