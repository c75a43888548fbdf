import { sourceLabel, visibleFleets } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

/** `fleets`: every configured fleet, its cluster and its last launch. */
export async function fleetsCommand(ctx: Context): Promise<Reply> {
  const fleets = visibleFleets(ctx);
  if (fleets.length === 0) return { outcome: 'ok', text: otto.noFleets() };
  const latest = await ctx.ops.deployments.latestByFleet();
  return {
    outcome: 'ok',
    text: `${fleets.length} fleet${fleets.length === 1 ? '' : 's'} on the board:`,
    fields: fleets.map((f) => {
      const d = latest.get(f.name);
      return {
        label: f.name,
        value: `cluster ${f.cluster} · ${sourceLabel(ctx.ops.config, f)} · ${d ? `v${d.version} ${d.status}` : 'never launched'}`,
      };
    }),
  };
}
