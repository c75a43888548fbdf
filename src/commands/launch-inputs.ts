import { z } from 'zod';
import { GIT_REF } from '../config/config.js';
import { UsageError } from '../errors.js';
import { parseOverrides } from '../swarm/image-override.js';

const refSchema = z.string().regex(GIT_REF);

/**
 * `--ref <branch|tag|sha>` of `launch` and `diff`, checked: a name git reads as a
 * ref, never as an option or a range. Undefined when not given.
 *
 * @example refFlag({ ref: 'v1.4.2' }) // 'v1.4.2'
 */
export function refFlag(flags: Readonly<Record<string, string>>): string | undefined {
  const value = flags['ref'];
  if (value === undefined) return undefined;
  if (value === 'true')
    throw new UsageError(
      '--ref needs a branch, tag or commit.',
      'For example: launch shop --ref v1.4.2',
    );
  if (!refSchema.safeParse(value).success)
    throw new UsageError(
      `${value.slice(0, 64)} is not a branch, tag or commit name Otto accepts.`,
      'Use letters, digits and . _ / + - (no .., no leading - or /), such as main, v1.4.2 or a1b2c3d.',
    );
  return value;
}

/**
 * `launch shop web=1.4.2 worker=…`: the images given after the fleet, as words
 * typed, or as one option on Discord. Checked by {@link parseOverrides}.
 */
export function overridesArg(args: readonly string[]): Map<string, string> {
  return parseOverrides(args.slice(1).flatMap((a) => a.split(/\s+/).filter(Boolean)));
}
