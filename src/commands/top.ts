import type { FleetConfig } from '../config/config.js';
import { NotFoundError } from '../errors.js';
import { readGauges, type Gauges, type UngaugedNode } from '../ops/gauges.js';
import { parseJsonLines, serviceLs, serviceName } from '../swarm/argv.js';
import {
  formatIo,
  formatMemory,
  formatPercent,
  taskLabel,
  topConsumers,
  type ServiceGauge,
  type TaskGauge,
} from '../swarm/stats.js';
import { suggest, findFleet } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

const HEADER = ['SERVICE / TASK', 'NODE', 'CPU', 'MEMORY', 'NET IN / OUT', 'DISK READ / WRITE'];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** The columns of a row, from a task's or a service's reading. */
function cells(name: string, where: string, g: ServiceGauge | TaskGauge): string[] {
  return [
    name,
    where,
    formatPercent(g.cpuPercent),
    formatMemory(g),
    formatIo(g.netInBytes, g.netOutBytes),
    formatIo(g.blockReadBytes, g.blockWriteBytes),
  ];
}

/** Rows padded into columns; the last cell of a row is not padded, nor counted in its column's width. */
function table(rows: readonly string[][]): string[] {
  const widths = HEADER.map((_, i) =>
    Math.max(0, ...rows.filter((r) => i < r.length - 1).map((r) => r[i]!.length)),
  );
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The gauges as a table: each service summed, then its tasks; tasks that showed no
 * reading say why. Nodes Otto could not read are named apart (see {@link ungaugedFields}).
 */
function gaugeTable(g: Gauges, fleet: string): string[] {
  const rows = [HEADER];
  for (const s of g.services) {
    rows.push(cells(taskLabel(s.service, fleet), plural(s.tasks, 'task'), s));
    for (const t of g.tasks
      .filter((x) => x.service === s.service)
      .sort((a, b) => byName(a.task, b.task)))
      rows.push(cells(`  ${taskLabel(t.task, fleet)}`, t.node, t));
  }
  for (const t of g.unread)
    rows.push([`  ${taskLabel(t.name, fleet)}`, t.node, `no reading yet (${t.state})`]);
  return table(rows);
}

/** One field per node Otto could not read: which tasks it runs, why, and the fix. */
function ungaugedFields(
  ungauged: readonly UngaugedNode[],
  fleet: string,
): { label: string; value: string }[] {
  return ungauged.map((u) => ({
    label: `📡 Not gauged: ${u.node}${u.addr ? ` (${u.addr})` : ''}`,
    value: `${u.reason}. It runs ${u.tasks.map((t) => taskLabel(t, fleet)).join(', ')}. ${u.fix}`,
  }));
}

/** `web.1 on node-1 12.0%, …` and `db.1 on node-2 480 MiB / 512 MiB (94%), …`: the top three of each. */
export function consumerLines(g: Gauges, fleet: string): string[] {
  const top = topConsumers(g.tasks);
  const who = (t: TaskGauge) => `${taskLabel(t.task, fleet)} on ${t.node}`;
  return [
    ...(top.cpu.length
      ? [`CPU: ${top.cpu.map((t) => `${who(t)} ${formatPercent(t.cpuPercent)}`).join(', ')}`]
      : []),
    ...(top.memory.length
      ? [`Memory: ${top.memory.map((t) => `${who(t)} ${formatMemory(t)}`).join(', ')}`]
      : []),
  ];
}

function topReply(fleet: FleetConfig, wanted: string | undefined, g: Gauges): Reply {
  const subject = wanted ? `${fleet.name} ${wanted}` : fleet.name;
  const again = [{ label: 'Refresh', command: `top ${subject}` }];
  const fields = ungaugedFields(g.ungauged, fleet.name);
  if (g.tasks.length === 0 && g.unread.length === 0 && g.ungauged.length === 0)
    return {
      outcome: 'ok',
      text: `${subject} has no running tasks to gauge.`,
      buttons: [{ label: 'Status', command: `status ${fleet.name}` }],
    };
  if (g.nodes.length === 0)
    return {
      outcome: 'failed',
      text: `📊 Otto could not gauge any task of ${subject}: no node that runs them could be read.`,
      fields,
      fix: g.ungauged[0]?.fix,
      buttons: again,
    };
  const tasks = g.tasks.length + g.unread.length;
  const missed = g.ungauged.length
    ? `; ${plural(g.ungauged.length, 'node')} could not be read`
    : '';
  return {
    outcome: 'ok',
    text: `📊 Gauges of ${subject}: ${plural(g.services.length, 'service')}, ${plural(tasks, 'task')} on ${plural(g.nodes.length, 'node')} (one docker stats reading${missed}).`,
    block: gaugeTable(g, fleet.name),
    fields,
    buttons: again,
  };
}

/**
 * `top <fleet> [service]`: CPU, memory (used / limit), network and block I/O of each
 * task and summed per service, from one `docker stats` on every node that runs the
 * fleet's tasks (all at once). Nodes Otto has no SSH way into are named with the fix.
 */
export async function topCommand(ctx: Context): Promise<Reply> {
  const { ops, signal } = ctx;
  const fleet = findFleet(ops, ctx.command.args[0], ctx.command);
  const wanted = ctx.command.args[1];
  const ls = await ops.transport(fleet.cluster).run(serviceLs(), { signal, timeoutMs: 30_000 });
  const all = parseJsonLines<{ Name: string }>(ls.stdout)
    .map((r) => r.Name)
    .filter((n) => n.startsWith(`${fleet.name}_`))
    .sort();
  if (all.length === 0) return { outcome: 'failed', text: otto.notLaunched(fleet.name) };
  let services = all;
  if (wanted) {
    if (!all.includes(serviceName(fleet.name, wanted))) {
      const known = all.map((n) => n.slice(fleet.name.length + 1));
      const s = suggest(wanted, known);
      throw new NotFoundError(
        `Fleet ${fleet.name} has no service named ${wanted.slice(0, 64)} in the Swarm.${s ? ` Did you mean ${s}?` : ''}`,
        `Its services: ${known.join(', ')}.`,
      );
    }
    services = [serviceName(fleet.name, wanted)];
  }
  // No progress message: Slack would move the table of the final reply into a thread.
  const gauges = await readGauges(ops, fleet.cluster, [fleet.name], { services, signal });
  return topReply(fleet, wanted, gauges);
}
