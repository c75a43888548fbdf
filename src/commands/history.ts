import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { Deployment } from '../ops/db.js';
import { findFleet } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

const flagsSchema = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(10) })
  .strict();

const ICON: Record<Deployment['status'], string> = {
  succeeded: '🟢',
  failed: '🔴',
  deploying: '🚀',
  interrupted: '⚪',
};

export function historyLine(d: Deployment): string {
  const secs = d.duration_ms === null ? '' : ` in ${(d.duration_ms / 1000).toFixed(1)} s`;
  const rb = d.rollback_of ? ` (return to v${d.rollback_of})` : '';
  const reason = d.reason && d.status !== 'succeeded' ? ` — ${d.reason}` : '';
  return `${ICON[d.status]} v${d.version} ${d.status}${secs} · ${d.actor} · ${d.started_at.replace('T', ' ').slice(0, 19)} UTC${rb}${reason}`;
}

/** `history <fleet> [--limit N]`: the fleet's launches, newest first. */
export async function historyCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0]);
  const flags = flagsSchema.safeParse(ctx.command.flags);
  if (!flags.success) {
    throw new UsageError(
      'history takes --limit N with N from 1 to 100.',
      `For example: history ${fleet.name} --limit 20`,
    );
  }
  const rows = await ctx.ops.deployments.list(fleet.name, flags.data.limit);
  if (rows.length === 0) return { outcome: 'ok', text: otto.noLaunches(fleet.name) };
  return {
    outcome: 'ok',
    text: `Flight log of ${fleet.name} (last ${rows.length}):`,
    block: rows.map(historyLine),
  };
}
