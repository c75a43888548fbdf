import { z } from 'zod';
import { DURATION, durationSeconds } from '../config/config.js';
import { UsageError } from '../errors.js';
import { followCommand } from './follow.js';
import { fleetLogs } from '../swarm/logs.js';
import { findFleet, fleetServicesWith } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

/** How far back a `--since` duration goes, in seconds; 0 for a date. */
function sinceSeconds(since: string): number {
  const m = /^(\d+)([smhd])$/.exec(since);
  return m ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'] : 0;
}

export const logsFlags = z
  .object({
    tail: z.coerce.number().int().min(1, 'use 1 to 1000').max(1000, 'use 1 to 1000').default(50),
    since: z
      .string()
      .regex(
        /^(\d+(s|m|h|d)|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)$/,
        'use a duration such as 10m, 2h or 1d, or a date such as 2026-01-31T12:00:00Z',
      )
      .refine((s) => sinceSeconds(s) <= 365 * 86_400, 'go back at most 365d (8760h)')
      .optional(),
    follow: z.literal('true').optional(),
    grep: z.string().min(1).max(100).optional(),
    for: z
      .string()
      .regex(DURATION, 'use a duration such as 30s, 10m or 1h')
      .transform((v) => durationSeconds(v)!)
      .refine((v) => v >= 10 && v <= 3600, 'follow for 10s to 1h')
      .optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.follow) return;
    for (const key of ['grep', 'for'] as const)
      if (f[key] !== undefined)
        ctx.addIssue({ code: 'custom', message: 'goes with --follow', path: [key] });
  });

/** `logs <fleet> [service] [--tail N] [--since 10m]`: the fleet's latest transmissions. */
export async function logsCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const flags = logsFlags.safeParse(ctx.command.flags);
  if (!flags.success) {
    const i = flags.error.issues[0];
    throw new UsageError(
      `logs can't use ${i?.path.length ? `--${i.path.join('.')}` : 'that option'}: ${i?.message ?? 'invalid'}.`,
      'For example: logs myapp web --tail 100 --since 10m',
    );
  }
  const wanted = ctx.command.args[1];
  const known = await fleetServicesWith(ctx.ops, fleet, wanted);
  const services = wanted ? [wanted] : known;
  if (flags.data.follow) {
    const { grep, for: seconds, tail, since } = flags.data;
    // From now on, unless --tail or --since asks for earlier lines first.
    const given = ctx.command.flags['tail'] !== undefined;
    return followCommand(ctx, fleet, services, {
      grep,
      seconds,
      from: { tail: given ? tail : since ? 1000 : 0, since },
    });
  }
  const res = await fleetLogs(
    ctx.ops.transport(fleet.cluster),
    fleet.name,
    services,
    flags.data,
    await ctx.ops.secrets.mask(fleet.name, fleet.cluster),
  );
  const what = wanted ?? '(all services)';
  // Every line goes to the adapter: each fits it to its platform (Discord attaches a
  // file, Slack keeps the newest lines and says how many it left out).
  const notes = [
    res.missing.length ? `Not in the Swarm: ${res.missing.join(', ')} (not launched yet?).` : '',
    res.incomplete ? otto.incompleteLogs(res.incomplete) : '',
  ].filter(Boolean);
  if (res.lines.length === 0) {
    return { outcome: 'ok', text: [otto.noTransmissions(fleet.name, what), ...notes].join(' ') };
  }
  return {
    outcome: 'ok',
    text: [`📡 Transmissions from ${fleet.name} ${what}.`, ...notes].join(' '),
    block: res.lines,
  };
}
