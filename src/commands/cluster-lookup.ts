import type { ClusterConfig } from '../config/config.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { Ops } from '../ops/ops.js';
import type { Context } from './types.js';

/** The cluster a command names, or a NotFoundError that lists the known ones. */
export function findCluster(ops: Pick<Ops, 'config'>, name: string | undefined): ClusterConfig {
  const cluster = name ? ops.config.clusters.get(name) : undefined;
  if (!cluster) {
    const known = [...ops.config.clusters.keys()].join(', ') || 'none';
    throw new NotFoundError(
      `There is no cluster named ${name ?? '(none given)'} in otto.yml (known: ${known}).`,
      'Add it under clusters: in otto.yml first: outposts join a cluster Otto knows.',
    );
  }
  return cluster;
}

/** `outposts [cluster]`, `doctor [cluster]`: the one named, or every cluster. */
export function clustersArg(ctx: Context): ClusterConfig[] {
  const name = ctx.command.args[0];
  return name ? [findCluster(ctx.ops, name)] : [...ctx.ops.config.clusters.values()];
}

/** A node named by its hostname or id; the name goes after `--` in every argv. */
const NODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The node a command names (its second word), or a UsageError that says how to see them. */
export function nodeArg(ctx: Context): string {
  const node = ctx.command.args[1] ?? '';
  if (!NODE.test(node))
    throw new UsageError(
      `"${node.slice(0, 60)}" is not a node name or id.`,
      `See the nodes with: outposts ${ctx.command.args[0] ?? '<cluster>'}`,
    );
  return node;
}
