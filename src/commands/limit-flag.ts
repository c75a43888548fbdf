import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { Context } from './types.js';

/** Reads `--limit N` (1..max, `fallback` when absent); a bad value is a usage error. */
export function limitFlag(ctx: Context, fallback: number, max: number, example: string): number {
  const parsed = z
    .object({ limit: z.coerce.number().int().min(1).max(max).default(fallback) })
    .strict()
    .safeParse(ctx.command.flags);
  if (!parsed.success) {
    throw new UsageError(
      `${ctx.command.name} takes --limit N with N from 1 to ${max}.`,
      `For example: ${example}`,
    );
  }
  return parsed.data.limit;
}
