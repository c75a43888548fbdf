import type { AuditEntry } from '../store/db.js';
import { findFleet } from './fleet-lookup.js';
import { limitFlag } from './limit-flag.js';
import type { Context, Reply } from './types.js';
import { userText } from '../user-text.js';
import { otto } from './voice.js';

const ICON: Record<AuditEntry['outcome'], string> = {
  ok: '✓',
  failed: '✗',
  usage: '?',
  refused: '⛔',
};

export function auditLine(e: AuditEntry): string {
  return `${otto.when(e.at)} ${ICON[e.outcome]} ${e.outcome} · ${e.actor} in ${e.channel} · ${userText(e.command)} · ${(e.durationMs / 1000).toFixed(1)} s · ${userText(e.summary)}`;
}

/** `audit [fleet] [--limit N]`: the commands run, newest first. All fleets needs admin. */
export async function auditCommand(ctx: Context): Promise<Reply> {
  const name = ctx.command.args[0];
  const fleet = name ? findFleet(ctx.ops, name, ctx.command) : undefined;
  if (!fleet) ctx.authorize('admin', 'read the audit log of every fleet');
  const limit = limitFlag(ctx, 20, 500, 'audit myapp --limit 50');
  const rows = await ctx.ops.audit.list({ fleet: fleet?.name, limit });
  return {
    outcome: 'ok',
    text: rows.length
      ? `Audit log${fleet ? ` of ${fleet.name}` : ''} (last ${rows.length}, newest first):`
      : `The audit log${fleet ? ` of ${fleet.name}` : ''} is empty.`,
    block: rows.map(auditLine),
  };
}
