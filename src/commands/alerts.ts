import { subjectName } from './alert-text.js';
import { visibleFleets } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

/** `alerts`: the open incidents of the fleets the actor may view, and of nodes and clusters. */
export async function alertsCommand(ctx: Context): Promise<Reply> {
  const fleets = visibleFleets(ctx);
  const names = new Set(fleets.map((f) => f.name));
  const clusters = new Set(fleets.map((f) => f.cluster));
  const open = (await ctx.ops.incidents.openIncidents()).filter((i) =>
    i.fleet ? names.has(i.fleet) : clusters.has(i.cluster),
  );
  if (open.length === 0) {
    return { outcome: 'ok', text: '🟢 No open incidents. All quiet at Mission Control.' };
  }
  const now = new Date().toISOString();
  const fields = [];
  for (const i of open) {
    const silence = i.fleet ? await ctx.ops.silences.covering(i.fleet, i.service, now) : undefined;
    fields.push({
      label: `#${i.id} ${subjectName(i)}`,
      value: `${i.state.replace('_', '-')} since ${otto.when(i.openedAt)} (${otto.ago(i.openedAt)}): ${i.reason}${silence ? ` · 🔇 silenced until ${otto.when(silence.until)}` : ''}`,
    });
  }
  return {
    outcome: 'ok',
    text: `🚨 ${open.length} open incident${open.length === 1 ? '' : 's'}:`,
    fields,
  };
}
