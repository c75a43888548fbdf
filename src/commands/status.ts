import { userText } from '../user-text.js';
import type { FleetConfig } from '../config/config.js';
import { OttoError } from '../errors.js';
import { readGauges } from '../ops/gauges.js';
import { serviceName } from '../swarm/argv.js';
import { clusterStacks, stackNameSchema } from '../swarm/stacks.js';
import { clusterStatus, type FleetStatus } from '../swarm/status.js';
import { consumerLines } from './top.js';
import {
  byCluster,
  findFleet,
  findStacks,
  mayViewStacks,
  previewStacks,
  visibleFleets,
} from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

type Field = { label: string; value: string };

/** One line a service: `🟢 web 2/2 nginx:1.27`, and why its tasks don't run. */
function serviceLines(s: FleetStatus): string[] {
  return s.services.map((v) => {
    const icon = v.running === v.desired ? '🟢' : v.running === 0 ? '🔴' : '🟡';
    const problems = v.problems.length ? `\n    ${v.problems.slice(0, 3).join('\n    ')}` : '';
    return `${icon} ${v.name} ${v.running}/${v.desired} ${v.image}${problems}`;
  });
}

const healthy = (s: FleetStatus) =>
  s.services.every((v) => v.running === v.desired && v.problems.length === 0);

function describeFleet(s: FleetStatus, last: string): Field {
  if (s.services.length === 0)
    return { label: s.fleet, value: `${otto.notLaunched(s.fleet)}${last}` };
  return {
    label: `${healthy(s) ? '🟢' : '🟡'} ${s.fleet}${last}`,
    value: serviceLines(s).join('\n'),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A stack that runs on the Swarm but is no fleet of otto.yml: its services as a fleet's,
 * marked as not Otto's, with the way to hand it over to Otto.
 */
export function describeStack(s: FleetStatus, cluster: string | undefined): Field {
  return {
    label: `${healthy(s) ? '🟢' : '🟡'} ${s.fleet}${cluster ? ` on cluster ${cluster}` : ''} · not an Otto fleet`,
    value: [
      ...serviceLines(s),
      `Otto didn't launch it, and only reads it (status, logs). To manage it as a fleet: adopt ${s.fleet}${cluster ? ` --cluster ${cluster}` : ''} in Otto's console (or otto adopt ${s.fleet}).`,
    ].join('\n'),
  };
}

/** `status <stack>` of a stack Otto didn't launch, on every cluster that runs one by that name. */
async function stackStatusReply(ctx: Context, name: string): Promise<Reply> {
  const found = await findStacks(ctx, name);
  const named = found.length > 1 || ctx.ops.config.clusters.size > 1;
  return {
    outcome: 'ok',
    text: `Telemetry for ${name}, a stack Otto didn't launch:`,
    fields: found.map((f) => describeStack(f.status, named ? f.cluster : undefined)),
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
 * `status [fleet|stack]`: telemetry of one fleet or all, and of the stacks Otto didn't
 * launch (for those who may view beyond their fleets), in a fixed number of docker calls
 * per cluster: `service ls` and `stack ls` side by side, then one `service ps` when some
 * service is short of replicas. For one fleet, its top consumers too (a `docker stats`
 * per node that runs it, about 2 s: shown once the rest is on screen).
 */
export async function statusCommand(ctx: Context): Promise<Reply> {
  const { ops } = ctx;
  const name = ctx.command.args[0];
  const stacksToo = mayViewStacks(ops.config, ctx.command);
  if (name && !ops.config.fleets.has(name) && stacksToo && stackNameSchema.safeParse(name).success)
    return stackStatusReply(ctx, name);
  const fleets: FleetConfig[] = name ? [findFleet(ops, name, ctx.command)] : visibleFleets(ctx);
  const clusters = new Map(byCluster(fleets));
  const allStacks = !name && stacksToo;
  if (allStacks)
    for (const c of ops.config.clusters.keys()) if (!clusters.has(c)) clusters.set(c, []);
  if (clusters.size === 0) return { outcome: 'ok', text: otto.noFleets() };
  const [latest, skip] = await Promise.all([
    ops.deployments.latestByFleet(),
    allStacks ? previewStacks(ops) : [],
  ]);
  const fields: Field[] = [];
  const stackFields: Field[] = [];
  /** Clusters read only for the stacks Otto didn't launch, that did not answer. */
  const notes: Field[] = [];
  let unreachable = 0;
  /** The services each fleet has in the Swarm (compose names). */
  const read = new Map<string, string[]>();
  await Promise.all(
    [...clusters].map(async ([cluster, members]) => {
      const transport = ops.transport(cluster);
      const names = members.map((f) => f.name);
      try {
        const seen = allStacks
          ? await clusterStacks(transport, names, { skip, signal: ctx.signal })
          : { fleets: await clusterStatus(transport, names), unmanaged: [] };
        for (const s of seen.fleets) {
          read.set(
            s.fleet,
            s.services.map((v) => v.name),
          );
          const d = latest.get(s.fleet);
          const last = d ? ` · v${d.version} ${d.status} by ${d.actor}` : '';
          fields.push(describeFleet(s, last));
        }
        for (const s of seen.unmanaged)
          stackFields.push(describeStack(s, ops.config.clusters.size > 1 ? cluster : undefined));
      } catch (e) {
        if (!(e instanceof OttoError)) throw e;
        // A cluster read only for the stacks Otto didn't launch doesn't fail the status.
        if (members.length === 0) {
          notes.push({
            label: `⚪ cluster ${cluster}`,
            value: `Otto couldn't look for stacks there: ${e.message}${e.fix ? ` ${e.fix}` : ''}`,
          });
          return;
        }
        unreachable++;
        fields.push({
          label: `🔴 cluster ${cluster}`,
          value: `${e.message}${e.fix ? ` ${e.fix}` : ''}`,
        });
      }
    }),
  );
  fields.sort((a, b) => a.label.localeCompare(b.label));
  stackFields.sort((a, b) => a.label.localeCompare(b.label));
  fields.push(...stackFields, ...notes.sort((a, b) => a.label.localeCompare(b.label)));
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
  const stacks = stackFields.length;
  const others = stacks ? `${plural(stacks, 'stack')} Otto didn't launch` : '';
  let text: string;
  if (name) text = `Telemetry for ${name}:`;
  else if (fleets.length === 0)
    text = stacks ? `No fleets configured yet. The Swarm runs ${others}:` : otto.noFleets();
  else text = `Telemetry for ${plural(fleets.length, 'fleet')}${stacks ? ` and ${others}` : ''}:`;
  return { outcome: unreachable ? 'failed' : 'ok', text, fields };
}
