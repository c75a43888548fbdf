import { createHash } from 'node:crypto';

/** A fixed key that looks random (Otto refuses keys like all sevens): test `n`'s own. */
export function testKey(n: number): Buffer {
  return createHash('sha256').update(`otto-test-key-${n}`).digest();
}
