import { z } from 'zod';
import { CLUSTER_NAME, DURATION, durationSeconds } from '../config/config.js';
import { NotFoundError, UsageError } from '../errors.js';
import { maskOf } from '../store/secrets.js';
import { followCommand } from './follow.js';
import { fleetLogs, type LogsResult } from '../swarm/logs.js';
import { stackNameSchema } from '../swarm/stacks.js';
import {
  findFleet,
  findStacks,
  fleetServicesWith,
  mayViewStacks,
  oneStack,
  suggest,
} from './fleet-lookup.js';
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
    cluster: z.string().regex(CLUSTER_NAME, 'name a cluster of otto.yml').optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.follow) return;
    for (const key of ['grep', 'for'] as const)
      if (f[key] !== undefined)
        ctx.addIssue({ code: 'custom', message: 'goes with --follow', path: [key] });
  });

type LogsFlags = z.output<typeof logsFlags>;

function readFlags(ctx: Context): LogsFlags {
  const flags = logsFlags.safeParse(ctx.command.flags);
  if (!flags.success) {
    const i = flags.error.issues[0];
    throw new UsageError(
      `logs can't use ${i?.path.length ? `--${i.path.join('.')}` : 'that option'}: ${i?.message ?? 'invalid'}.`,
      'For example: logs myapp web --tail 100 --since 10m',
    );
  }
  return flags.data;
}

/** The reply to a read of transmissions, for a fleet or a stack Otto didn't launch. */
function logsReply(
  name: string,
  wanted: string | undefined,
  res: LogsResult,
  stack: boolean,
): Reply {
  const what = wanted ?? '(all services)';
  // Every line goes to the adapter: each fits it to its platform (Discord attaches a
  // file, Slack keeps the newest lines and says how many it left out).
  const notes = [
    res.missing.length
      ? `Not in the Swarm: ${res.missing.join(', ')} (${stack ? 'removed meanwhile?' : 'not launched yet?'}).`
      : '',
    res.incomplete ? otto.incompleteLogs(res.incomplete) : '',
  ].filter(Boolean);
  if (res.lines.length === 0) {
    return { outcome: 'ok', text: [otto.noTransmissions(name, what), ...notes].join(' ') };
  }
  const whose = stack ? `, a stack Otto didn't launch (read only)` : '';
  return {
    outcome: 'ok',
    text: [`📡 Transmissions from ${name} ${what}${whose}.`, ...notes].join(' '),
    block: res.lines,
  };
}

/**
 * `logs <stack> [service]` of a stack Otto didn't launch: read only, for those with the
 * viewer role beyond their fleets, with the options, limits and masking of a fleet's
 * (its cluster's registry passwords; a stack has no Otto secrets).
 */
async function stackLogs(ctx: Context, name: string, flags: LogsFlags): Promise<Reply> {
  if (flags.follow)
    throw new UsageError(
      `logs --follow streams the fleets Otto launched; ${name} is a stack Otto didn't launch.`,
      `Read its latest lines instead: logs ${name}${ctx.command.args[1] ? ` ${ctx.command.args[1]}` : ''} --tail 100, or adopt it as a fleet (adopt ${name}, in Otto's console).`,
    );
  const found = oneStack(await findStacks(ctx, name, flags.cluster), `logs ${name}`);
  const known = found.status.services.map((s) => s.name);
  const wanted = ctx.command.args[1];
  if (wanted && !known.includes(wanted)) {
    const s = suggest(wanted, known);
    throw new NotFoundError(
      `Stack ${name} has no service named ${wanted.slice(0, 64)}.${s ? ` Did you mean ${s}?` : ''}`,
      `Its services: ${known.join(', ')}.`,
    );
  }
  const res = await fleetLogs(
    ctx.ops.transport(found.cluster),
    name,
    wanted ? [wanted] : known,
    flags,
    maskOf(new Map(), await ctx.ops.secrets.registries(found.cluster)),
  );
  return logsReply(name, wanted, res, true);
}

/**
 * `logs <fleet|stack> [service] [--tail N] [--since 10m]`: the latest transmissions of a
 * fleet, or of a stack Otto didn't launch (read only).
 */
export async function logsCommand(ctx: Context): Promise<Reply> {
  const name = ctx.command.args[0];
  const isFleet = name !== undefined && ctx.ops.config.fleets.has(name);
  if (
    name &&
    !isFleet &&
    mayViewStacks(ctx.ops.config, ctx.command) &&
    stackNameSchema.safeParse(name).success
  )
    return stackLogs(ctx, name, readFlags(ctx));
  const fleet = findFleet(ctx.ops, name, ctx.command);
  const flags = readFlags(ctx);
  if (flags.cluster && flags.cluster !== fleet.cluster)
    throw new UsageError(
      `Fleet ${fleet.name} runs on cluster ${fleet.cluster}, not ${flags.cluster}: --cluster only picks among stacks Otto didn't launch.`,
      `Leave it out: logs ${fleet.name}`,
    );
  const wanted = ctx.command.args[1];
  const known = await fleetServicesWith(ctx.ops, fleet, wanted);
  const services = wanted ? [wanted] : known;
  if (flags.follow) {
    const { grep, for: seconds, tail, since } = flags;
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
    flags,
    await ctx.ops.secrets.mask(fleet.name, fleet.cluster),
  );
  return logsReply(fleet.name, wanted, res, false);
}
