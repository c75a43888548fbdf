import { createHash } from 'node:crypto';
import type { Approval } from '../store/db.js';
import type { RanImage } from '../store/deployments.js';
import type { Ops } from '../ops/ops.js';
import { parseCompose } from '../swarm/compose.js';
import { overriddenImage } from '../swarm/image-override.js';

/** The first 12 hex digits of the SHA-256 of a compose text: names exactly what is held. */
export function composeHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** `sha256:3f2a9c1b7d0e…` → `3f2a9c1b7d0e`: enough to tell two pushes of a tag apart. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * What the services of a launch ran, compactly: tag and short digest, and the
 * services whose image no registry gave a digest to (local images) last, with what
 * that means for a return.
 *
 * @example imagesLine(images) // 'web 127.0.0.1:5000/otto/web:latest @3f2a9c1b7d0e, db otto-test:v1 (local image, no digest: a return runs the tag)'
 */
export function imagesLine(images: readonly RanImage[]): string {
  const pinned = images.filter((i) => i.digest !== null);
  const local = images.filter((i) => i.digest === null);
  const parts = [
    ...pinned.map((i) => `${i.service} ${i.image} @${shortDigest(i.digest!)}`),
    ...local.map((i) => `${i.service} ${i.image}`),
  ];
  const note = local.length
    ? ` (${local.length === 1 ? 'local image' : 'local images'}, no digest: a return runs the tag)`
    : '';
  return parts.join(', ') + note;
}

/** The line a return shows above its progress: which images it pins. */
export function returnImagesLine(version: number, images: readonly RanImage[]): string {
  return images.length
    ? `Returning to the images v${version} ran: ${imagesLine(images)}.`
    : `v${version} was launched before Otto recorded image digests: the return runs its tags.`;
}

/** The recorded images a rollback request returns to; undefined for a launch request. */
export async function heldImages(
  ops: Pick<Ops, 'deployments'>,
  a: Approval,
): Promise<RanImage[] | undefined> {
  if (a.action !== 'rollback' || a.targetVersion === null) return undefined;
  return ops.deployments.imagesAt(a.fleet, a.targetVersion);
}

/**
 * One line that says what an approval request holds, so an approver sees what will
 * run: `compose 3f2a9c1b7d0e · web otto-test:v2, worker otto-test:v1`. For a return,
 * `returning` (the images its target version recorded) shows what is pinned:
 * `compose 3f2a9c1b7d0e · web 127.0.0.1:5000/otto/web:latest @3f2a9c1b7d0e`.
 */
export function heldSummary(
  text: string,
  returning?: readonly RanImage[],
  overrides: ReadonlyMap<string, string> = new Map(),
): string {
  if (returning?.length) return `compose ${composeHash(text)} · ${imagesLine(returning)}`;
  let images: string;
  try {
    const parsed = parseCompose(text, 'the held compose');
    // The images given for the launch, as they will run (a tag replaces the file's).
    const image = (name: string, file: unknown) => {
      const given = overrides.get(name);
      return given === undefined ? String(file) : overriddenImage(String(file), given);
    };
    images = [...parsed.services].map(([name, s]) => `${name} ${image(name, s.image)}`).join(', ');
  } catch {
    images = 'services unreadable';
  }
  const unpinned = returning ? ' (no digests recorded: a return runs the tags)' : '';
  return `compose ${composeHash(text)} · ${images}${unpinned}`;
}
