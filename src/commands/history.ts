import { commitOf, overridesOf, type Deployment } from '../store/db.js';
import { overridesWords } from './approval-request.js';
import { commitLine } from '../ops/fleet-source.js';
import type { RanImage } from '../store/deployments.js';
import { imagesLine } from './held-compose.js';
import { findFleet } from './fleet-lookup.js';
import { limitFlag } from './limit-flag.js';
import type { Context, Reply } from './types.js';
import { userText } from '../user-text.js';
import { otto } from './voice.js';

const ICON: Record<Deployment['status'], string> = {
  succeeded: '🟢',
  failed: '🔴',
  deploying: '🚀',
  interrupted: '⚪',
};

/**
 * One launch of the flight log: `🟢 v3 succeeded in 4.2 s · console:ada · 15:40 (return
 * to v1) · web 127.0.0.1:5000/otto/web:latest @3f2a9c1b7d0e`. `images` are what its
 * services ran (recorded once it converged): tag and short digest. A git fleet's
 * launch names its commit after the duration: `· a1b2c3d (main) “Fix the login”`.
 */
export function historyLine(
  d: Deployment,
  approvedBy?: string,
  images: readonly RanImage[] = [],
): string {
  const secs = d.durationMs === null ? '' : ` in ${(d.durationMs / 1000).toFixed(1)} s`;
  const rb = d.rollbackOf ? ` (return to v${d.rollbackOf})` : '';
  const approved = approvedBy ? `, approved by ${approvedBy}` : '';
  const commit = commitOf(d);
  const given = overridesWords(overridesOf(d));
  const from = `${commit ? ` · ${commitLine(commit)}` : ''}${given ? ` · ${given}` : ''}`;
  const ran = images.length ? ` · ${imagesLine(images)}` : '';
  const reason = d.reason && d.status !== 'succeeded' ? ` — ${userText(d.reason)}` : '';
  return `${ICON[d.status]} v${d.version} ${d.status}${secs}${from} · ${d.actor}${approved} · ${otto.when(d.startedAt)}${rb}${ran}${reason}`;
}

/** `history <fleet> [--limit N]`: the fleet's launches, newest first. */
export async function historyCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const limit = limitFlag(ctx, 10, 100, `history ${fleet.name} --limit 20`);
  const rows = await ctx.ops.deployments.list(fleet.name, limit);
  if (rows.length === 0) return { outcome: 'ok', text: otto.noLaunches(fleet.name) };
  const approvedBy = await ctx.ops.approvals.approvedBy(
    fleet.name,
    rows.map((r) => r.version),
  );
  const images = await ctx.ops.deployments.imagesOf(rows.map((r) => r.id));
  const [previous] = await ctx.ops.deployments.succeeded(fleet.name, 1, rows[0]!.version);
  return {
    outcome: 'ok',
    text: `Flight log of ${fleet.name} (last ${rows.length}, newest first):`,
    block: rows.map((d) => historyLine(d, approvedBy.get(d.version), images.get(d.id))),
    ...(previous
      ? {
          fix: `To return to an earlier version: rollback ${fleet.name} (to v${previous.version}) or rollback ${fleet.name} <version>. See the changes first with diff ${fleet.name} ${previous.version}.`,
          buttons: [
            {
              label: `Rollback to v${previous.version}`,
              command: `rollback ${fleet.name} ${previous.version}`,
            },
            {
              label: `Diff v${previous.version}`,
              command: `diff ${fleet.name} ${previous.version}`,
            },
          ],
        }
      : {}),
  };
}
