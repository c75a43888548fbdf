import { commitOf, overridesOf, type Deployment, type Operation } from '../store/db.js';
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

const OPERATION_ICON: Record<Operation['kind'], string> = { restart: '🔁', scale: '⚖️' };

/**
 * One restart or scale of the flight log, not a version: `🔁 restart web succeeded in
 * 8.1 s · slack:U1 · 2026-11-24 15:40:02 UTC` or `⚖️ scale web replicas 2 → 4 failed in
 * 90.0 s · … — The fleet did not converge …`.
 */
export function operationLine(o: Operation): string {
  const secs = o.durationMs === null ? '' : ` in ${(o.durationMs / 1000).toFixed(1)} s`;
  const detail = o.detail ? ` ${o.detail}` : '';
  const reason = o.reason && o.status !== 'succeeded' ? ` — ${userText(o.reason)}` : '';
  return `${OPERATION_ICON[o.kind]} ${o.kind} ${o.service}${detail} ${o.status}${secs} · ${o.actor} · ${otto.when(o.startedAt)}${reason}`;
}

/** `history <fleet> [--limit N]`: the fleet's launches, restarts and scales, newest first. */
export async function historyCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const limit = limitFlag(ctx, 10, 100, `history ${fleet.name} --limit 20`);
  const rows = await ctx.ops.deployments.list(fleet.name, limit);
  const operations = await ctx.ops.operations.list(fleet.name, limit);
  if (rows.length === 0 && operations.length === 0)
    return { outcome: 'ok', text: otto.noLaunches(fleet.name) };
  const approvedBy = await ctx.ops.approvals.approvedBy(
    fleet.name,
    rows.map((r) => r.version),
  );
  const images = await ctx.ops.deployments.imagesOf(rows.map((r) => r.id));
  const [previous] = rows.length
    ? await ctx.ops.deployments.succeeded(fleet.name, 1, rows[0]!.version)
    : [];
  // Launches and operations interleaved by when they started, newest first.
  const entries = [
    ...rows.map((d) => ({
      at: d.startedAt,
      line: historyLine(d, approvedBy.get(d.version), images.get(d.id)),
    })),
    ...operations.map((o) => ({ at: o.startedAt, line: operationLine(o) })),
  ]
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, limit);
  return {
    outcome: 'ok',
    text: `Flight log of ${fleet.name} (last ${entries.length}, newest first):`,
    block: entries.map((e) => e.line),
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
