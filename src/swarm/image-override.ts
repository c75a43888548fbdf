import { IMAGE_REFERENCE, SERVICE_NAME } from '../config/config.js';
import { UsageError } from '../errors.js';

/** A tag on its own (`1.4.2`, `main-3f2a9c1`): Docker's tag grammar. */
const TAG = /^\w[\w.-]{0,127}$/;
/** A digest on its own: pins the compose's image to it. */
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Reads `web=1.4.2 worker=ghcr.io/acme/worker@sha256:…` (the words after the fleet
 * of `launch shop …`): service → a tag, a digest, or a whole image reference.
 *
 * @example parseOverrides(['web=1.4.2']) // Map { 'web' => '1.4.2' }
 */
export function parseOverrides(words: readonly string[]): Map<string, string> {
  const overrides = new Map<string, string>();
  for (const word of words) {
    const eq = word.indexOf('=');
    const service = eq > 0 ? word.slice(0, eq) : '';
    const value = eq > 0 ? word.slice(eq + 1) : '';
    if (!SERVICE_NAME.test(service) || !value)
      throw new UsageError(
        `${word.slice(0, 80)} is not an image for a service: Otto reads service=image-or-tag.`,
        'For example: launch shop web=1.4.2, or web=ghcr.io/acme/shop@sha256:…',
      );
    if (!TAG.test(value) && !DIGEST.test(value) && !IMAGE_REFERENCE.test(value))
      throw new UsageError(
        `${value.slice(0, 80)} is not a tag, a digest or an image reference.`,
        'A tag looks like 1.4.2; an image like ghcr.io/acme/shop:1.4.2 or ghcr.io/acme/shop@sha256:<64 hex digits>.',
      );
    if (overrides.has(service))
      throw new UsageError(
        `${service} is given twice.`,
        'Give each service one image: launch shop web=1.4.2',
      );
    overrides.set(service, value);
  }
  return overrides;
}

/** `ghcr.io/acme/shop:1.4` → name `ghcr.io/acme/shop`, tag `1.4`; a registry port is not a tag. */
function splitReference(ref: string): { name: string; tag?: string; digest?: string } {
  const [nameTag = '', digest] = ref.split('@');
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  const parts =
    colon > slash
      ? { name: nameTag.slice(0, colon), tag: nameTag.slice(colon + 1) }
      : { name: nameTag };
  return digest ? { ...parts, digest } : parts;
}

/**
 * The image a service runs with `value` given for it: a tag or a digest replaces
 * those of the compose's `image` (`ghcr.io/acme/shop:1.3` + `1.4.2` →
 * `ghcr.io/acme/shop:1.4.2`); a whole reference replaces it. A name alone
 * (`nginx`) reads as a tag: write `nginx:latest` for the image.
 */
export function overriddenImage(image: string, value: string): string {
  if (DIGEST.test(value)) return `${splitReference(image).name}@${value}`;
  if (TAG.test(value)) return `${splitReference(image).name}:${value}`;
  return value;
}

/**
 * Whether `ref` is allowed by one of `patterns` (`fleets.<name>.images.<service>`):
 * `*` stands for any characters but `/`, and a pattern must match the whole of what
 * runs: `name:tag` (`name:latest` without a tag), or `name@sha256:…` when there is
 * a digest, since Docker then runs the digest whatever the tag says. So
 * `ghcr.io/acme/shop:*` allows tags only; add `ghcr.io/acme/shop@*` for digests.
 *
 * @example imageAllowed(['ghcr.io/acme/shop:*'], 'ghcr.io/acme/shop:1.4.2') // true
 */
export function imageAllowed(patterns: readonly string[], ref: string): boolean {
  const { name, tag, digest } = splitReference(ref);
  const subject = digest ? `${name}@${digest}` : `${name}:${tag ?? 'latest'}`;
  return patterns.some((pattern) => {
    const glob = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
    return new RegExp(`^${glob}$`).test(subject);
  });
}
