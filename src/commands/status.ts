import { userText } from '../user-text.js';
import type { FleetConfig } from '../config/config.js';
import { OttoError } from '../errors.js';
import { readGauges } from '../ops/gauges.js';
import { serviceName } from '../swarm/argv.js';
import { clusterStatus, type FleetStatus } from '../swarm/status.js';
import { consumerLines } from './top.js';
import { byCluster, findFleet, visibleFleets } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

function describeFleet(s: FleetStatus, last: string): { label: string; value: string } {
  if (s.services.length === 0)
    return { label: s.fleet, value: `${otto.notLaunched(s.fleet)}${last}` };
  const healthy = s.services.every((v) => v.running === v.desired && v.problems.length === 0);
  const lines = s.services.map((v) => {
    const icon = v.running === v.desired ? '🟢' : v.running === 0 ? '🔴' : '🟡';
    const problems = v.problems.length ? `\n    ${v.problems.slice(0, 3).join('\n    ')}` : '';
    return `${icon} ${v.name} ${v.running}/${v.desired} ${v.image}${problems}`;
  });
  return {
    label: `${healthy ? '🟢' : '🟡'} ${s.fleet}${last}`,
    value: lines.join('\n'),
  };
}

/**
 * The top consumers of one fleet, for `status <fleet>`: a `docker stats` on each node
 * that runs its tasks, all at once. Never fails the status: a failure is one line.
 */
async function consumersField(
  ctx: Context,
  fleet: FleetConfig,
  services: readonly string[],
): Promise<{ label: string; value: string } | undefined> {
  try {
    const g = await readGauges(ctx.ops, fleet.cluster, [fleet.name], {
      services: services.map((s) => serviceName(fleet.name, s)),
      signal: ctx.signal,
    });
    const lines = [
      ...consumerLines(g, fleet.name),
      ...g.ungauged.map((u) => `Not gauged: ${u.node}: ${u.reason}. ${u.fix}`),
    ];
    return lines.length ? { label: '📊 Top consumers', value: lines.join('\n') } : undefined;
  } catch (e) {
    if (!(e instanceof OttoError)) throw e;
    return { label: '📊 Top consumers', value: `Not read: ${e.message}` };
  }
}

/**
 * `status [fleet]`: telemetry of one fleet or all, two docker calls per cluster. For
 * one fleet, its top consumers too (a `docker stats` per node that runs it, about 2 s:
 * shown once the rest is on screen; `status` of every fleet stays quick without them).
 */
export async function statusCommand(ctx: Context): Promise<Reply> {
  const { ops } = ctx;
  const name = ctx.command.args[0];
  const fleets: FleetConfig[] = name ? [findFleet(ops, name, ctx.command)] : visibleFleets(ctx);
  if (fleets.length === 0) return { outcome: 'ok', text: otto.noFleets() };
  const latest = await ops.deployments.latestByFleet();
  const fields: { label: string; value: string }[] = [];
  let unreachable = 0;
  /** The services each fleet has in the Swarm (compose names). */
  const read = new Map<string, string[]>();
  await Promise.all(
    [...byCluster(fleets)].map(async ([cluster, members]) => {
      try {
        const statuses = await clusterStatus(
          ops.transport(cluster),
          members.map((f) => f.name),
        );
        for (const s of statuses) {
          read.set(
            s.fleet,
            s.services.map((v) => v.name),
          );
          const d = latest.get(s.fleet);
          const last = d ? ` · v${d.version} ${d.status} by ${d.actor}` : '';
          fields.push(describeFleet(s, last));
        }
      } catch (e) {
        if (!(e instanceof OttoError)) throw e;
        unreachable++;
        fields.push({
          label: `🔴 cluster ${cluster}`,
          value: `${e.message}${e.fix ? ` ${e.fix}` : ''}`,
        });
      }
    }),
  );
  fields.sort((a, b) => a.label.localeCompare(b.label));
  const one = name ? read.get(name) : undefined;
  if (one && one.length > 0 && fleets[0]) {
    ctx.progress({
      outcome: 'ok',
      text: `Telemetry for ${name}: reading its gauges...`,
      fields: [...fields],
    });
    const consumers = await consumersField(ctx, fleets[0], one);
    if (consumers) fields.push(consumers);
  }
  const locks = await ops.locks.list();
  for (const l of locks.filter((l) => fleets.some((f) => f.name === l.fleet))) {
    fields.push({
      label: `🔒 ${l.fleet}`,
      value: `locked by ${l.holder} since ${otto.when(l.acquiredAt)}: ${userText(l.reason)}`,
    });
  }
  return {
    outcome: unreachable ? 'failed' : 'ok',
    text: name
      ? `Telemetry for ${name}:`
      : `Telemetry for ${fleets.length} fleet${fleets.length === 1 ? '' : 's'}:`,
    fields,
  };
}
