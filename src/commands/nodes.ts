import type { ClusterConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import { clustersArg, findCluster, nodeArg } from './cluster-lookup.js';
import {
  isNodeLabelKey,
  nodeAvailability,
  nodeInspect,
  nodeLabelAdd,
  nodeLabelRm,
  nodeLs,
  nodePs,
  parseJsonLines,
} from '../swarm/argv.js';
import type { Context, Reply } from './types.js';

/** One row of `docker node ls --format '{{json .}}'`. */
interface NodeRow {
  readonly ID: string;
  readonly Hostname: string;
  readonly Status: string;
  readonly Availability: string;
  readonly ManagerStatus: string;
  readonly EngineVersion?: string;
}

/** The part of `docker node inspect` a node line shows. */
interface NodeDetail {
  readonly ID: string;
  readonly Spec?: { readonly Labels?: Record<string, string> };
  readonly Status?: { readonly Addr?: string };
}

/** Lists the cluster's nodes as its managers see them: three docker calls, whatever their number. */
async function listNodes(ctx: Context, cluster: ClusterConfig): Promise<string[]> {
  const t = ctx.ops.transport(cluster.name);
  const rows = parseJsonLines<NodeRow>((await t.run(nodeLs())).stdout);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.ID);
  const [inspect, ps] = await Promise.all([
    t.run(nodeInspect(ids)),
    t.run(nodePs(ids, { running: true })),
  ]);
  const details = inspect.stdout.trim().startsWith('[')
    ? (JSON.parse(inspect.stdout) as NodeDetail[])
    : [];
  const tasks = new Map<string, number>();
  for (const task of parseJsonLines<{ Node?: string }>(ps.stdout))
    if (task.Node) tasks.set(task.Node, (tasks.get(task.Node) ?? 0) + 1);
  return rows.map((r) => {
    const d = details.find((x) => x.ID === r.ID);
    const labels = Object.entries(d?.Spec?.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const role = r.ManagerStatus ? `manager (${r.ManagerStatus.toLowerCase()})` : 'worker';
    const icon =
      r.Status === 'Ready' && r.Availability === 'Active'
        ? '🟢'
        : r.Status === 'Ready'
          ? '🟡'
          : '🔴';
    return [
      `${icon} ${r.Hostname}`,
      role,
      `${r.Status.toLowerCase()}, ${r.Availability.toLowerCase()}`,
      `engine ${r.EngineVersion ?? '?'}`,
      `${tasks.get(r.Hostname) ?? 0} tasks`,
      ...(labels ? [`labels ${labels}`] : []),
      ...(d?.Status?.Addr ? [d.Status.Addr] : []),
    ].join(' · ');
  });
}

/** `outposts [cluster]`: every node of a cluster (or of each), as its managers see it. */
export async function outpostsCommand(ctx: Context): Promise<Reply> {
  const clusters = clustersArg(ctx);
  const block: string[] = [];
  for (const cluster of clusters) {
    block.push(`${cluster.name}:`);
    const nodes = await listNodes(ctx, cluster);
    block.push(...(nodes.length ? nodes.map((n) => `  ${n}`) : ['  (no Swarm yet)']));
  }
  return {
    outcome: 'ok',
    text: 'Outposts, as the managers see them:',
    block,
  };
}

/** `outpost drain|activate <cluster> <node>`: Swarm moves its tasks away, or sends it tasks again. */
export function availabilityCommand(availability: 'drain' | 'active') {
  return async (ctx: Context): Promise<Reply> => {
    const cluster = findCluster(ctx.ops, ctx.command.args[0]);
    const node = nodeArg(ctx);
    const r = await ctx.ops.transport(cluster.name).run(nodeAvailability(node, availability));
    if (r.exitCode !== 0)
      return {
        outcome: 'failed',
        text: `Docker refused to ${availability === 'drain' ? 'drain' : 'activate'} ${node} on ${cluster.name}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`,
        fix: `Check the node's name with: outposts ${cluster.name}`,
      };
    return {
      outcome: 'ok',
      text:
        availability === 'drain'
          ? `${node} on ${cluster.name} is draining: Swarm moves its tasks to other nodes and sends it no new ones. Bring it back with: outpost activate ${cluster.name} ${node}`
          : `${node} on ${cluster.name} is active again: Swarm may place tasks on it (running ones stay where they are until they are updated).`,
      buttons: [{ label: 'Outposts', command: `outposts ${cluster.name}` }],
    };
  };
}

/** `outpost label <cluster> <node> key=value | key-`: sets or removes a node label. */
export async function labelCommand(ctx: Context): Promise<Reply> {
  const cluster = findCluster(ctx.ops, ctx.command.args[0]);
  const node = nodeArg(ctx);
  const spec = ctx.command.args[2] ?? '';
  const remove = spec.endsWith('-') && !spec.includes('=');
  const [key = '', ...rest] = remove ? [spec.slice(0, -1)] : spec.split('=');
  const value = rest.join('=');
  if (!isNodeLabelKey(key) || (!remove && (!spec.includes('=') || value.length > 256)))
    throw new UsageError(
      `"${spec.slice(0, 60)}" is not key=value or key- (to remove it).`,
      `For example: outpost label ${cluster.name} ${node} disk=ssd`,
    );
  const argv = remove ? nodeLabelRm(node, key) : nodeLabelAdd(node, key, value);
  const r = await ctx.ops.transport(cluster.name).run(argv);
  if (r.exitCode !== 0)
    return {
      outcome: 'failed',
      text: `Docker refused to change the labels of ${node} on ${cluster.name}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`,
      fix: `Check the node's name and labels with: outposts ${cluster.name}`,
    };
  return {
    outcome: 'ok',
    text: remove
      ? `Removed the label ${key} from ${node} on ${cluster.name}.`
      : `${node} on ${cluster.name} now has the label ${key}=${value} (placement: node.labels.${key} == ${value}).`,
  };
}
