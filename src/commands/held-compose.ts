import { createHash } from 'node:crypto';
import { parseCompose } from '../swarm/compose.js';

/** The first 12 hex digits of the SHA-256 of a compose text: names exactly what is held. */
export function composeHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * One line that says what an approval request holds, so an approver sees what will
 * run: `compose 3f2a9c1b7d0e · web otto-test:v2, worker otto-test:v1`.
 */
export function heldSummary(text: string): string {
  let images: string;
  try {
    const parsed = parseCompose(text, 'the held compose');
    images = [...parsed.services].map(([name, s]) => `${name} ${s.image}`).join(', ');
  } catch {
    images = 'services unreadable';
  }
  return `compose ${composeHash(text)} · ${images}`;
}
