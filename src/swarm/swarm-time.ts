/**
 * An RFC 3339 time as Swarm writes it (`2026-11-27T07:20:01.123456789Z`) in
 * nanoseconds since the epoch, exactly: two events of one update can be less than a
 * millisecond apart, and a Date keeps milliseconds.
 */
export function epochNanos(time: string): bigint {
  const m = /^(.+T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new Error(`not an RFC 3339 time: ${time}`);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
