import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of a signed webhook's delivery, as Otto's own generic hook checks
 * it: `X-Otto-Signature: sha256=<hex HMAC-SHA256 of "<X-Otto-Timestamp>.<body>">`,
 * the timestamp in Unix seconds. Signing the timestamp with the body lets a
 * receiver refuse a replay of an old delivery.
 *
 * @example signBody('s3cret-of-16-chars', 1712345678, '{"schema_version":1}') // 'sha256=…'
 */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Whether `signature` is the one Otto makes for this timestamp and body: what a
 * receiver runs (compared in constant time). The receiver also refuses a timestamp
 * far from its clock (Otto's own hooks allow 5 minutes).
 */
export function verifySignature(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(signBody(secret, Number(timestamp), body)), h(signature));
}
