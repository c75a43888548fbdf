import { OttoError } from '../errors.js';
import { clusterStacks } from '../swarm/stacks.js';
import type { FleetStatus } from '../swarm/status.js';
import {
  byCluster,
  mayViewStacks,
  previewStacks,
  sourceLabel,
  visibleFleets,
} from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

/** `fleets` reads the clusters only for the stacks Otto didn't launch: it answers in seconds or says why not. */
const READ_MS = 10_000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

interface StackRow {
  readonly cluster: string;
  readonly stack: FleetStatus;
}

/** Reads every cluster for the stacks that are not fleets; a cluster that can't be read is a note. */
async function otherStacks(ctx: Context): Promise<{ rows: StackRow[]; notes: string[] }> {
  const { ops } = ctx;
  const skip = await previewStacks(ops);
  const fleetsOn = byCluster(ops.config.fleets.values());
  const rows: StackRow[] = [];
  const notes: string[] = [];
  await Promise.all(
    [...ops.config.clusters.keys()].map(async (cluster) => {
      try {
        const names = (fleetsOn.get(cluster) ?? []).map((f) => f.name);
        const seen = await clusterStacks(ops.transport(cluster), names, {
          skip,
          timeoutMs: READ_MS,
          signal: ctx.signal,
        });
        rows.push(...seen.unmanaged.map((stack) => ({ cluster, stack })));
      } catch (e) {
        if (!(e instanceof OttoError)) throw e;
        notes.push(
          `Otto couldn't look for other stacks on cluster ${cluster}: ${e.message}${e.fix ? ` ${e.fix}` : ''}`,
        );
      }
    }),
  );
  rows.sort(
    (a, b) => a.stack.fleet.localeCompare(b.stack.fleet) || a.cluster.localeCompare(b.cluster),
  );
  return { rows, notes: notes.sort() };
}

/** `legacy · not an Otto fleet`: `cluster local · web 2/2, worker 1/1 · adopt legacy to manage it`. */
function stackField(r: StackRow): { label: string; value: string } {
  const services = r.stack.services.map((s) => `${s.name} ${s.running}/${s.desired}`).join(', ');
  return {
    label: `${r.stack.fleet} · not an Otto fleet`,
    value: `cluster ${r.cluster} · ${services} · adopt ${r.stack.fleet} (console or otto CLI) to manage it`,
  };
}

/**
 * `fleets`: every configured fleet, its cluster and its last launch; then, for those who
 * may view beyond their fleets, the stacks on the clusters that Otto didn't launch.
 */
export async function fleetsCommand(ctx: Context): Promise<Reply> {
  const fleets = visibleFleets(ctx);
  const none: { rows: StackRow[]; notes: string[] } = { rows: [], notes: [] };
  const [latest, others] = await Promise.all([
    ctx.ops.deployments.latestByFleet(),
    mayViewStacks(ctx.ops.config, ctx.command) ? otherStacks(ctx) : none,
  ]);
  const fix = others.notes.length ? others.notes.join('\n') : undefined;
  const stacks = others.rows.length;
  const them = `${plural(stacks, 'stack')} Otto didn't launch`;
  if (fleets.length === 0 && stacks === 0) return { outcome: 'ok', text: otto.noFleets(), fix };
  return {
    outcome: 'ok',
    text:
      fleets.length === 0
        ? `No fleets configured yet. The Swarm runs ${them}:`
        : `${plural(fleets.length, 'fleet')} on the board${stacks ? `, and ${them}` : ''}:`,
    fields: [
      ...fleets.map((f) => {
        const d = latest.get(f.name);
        return {
          label: f.name,
          value: `cluster ${f.cluster} · ${sourceLabel(ctx.ops.config, f)} · ${d ? `v${d.version} ${d.status}` : 'never launched'}`,
        };
      }),
      ...others.rows.map(stackField),
    ],
    fix,
  };
}
