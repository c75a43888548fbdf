import type { FleetConfig } from '../config/config.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { Deployment } from '../store/db.js';
import { composeDiff, MAX_DIFF_LINES, type ComposeSide } from '../swarm/diff.js';
import { readFleetCompose } from '../swarm/fleet-compose.js';
import { displayPath, findFleet } from './fleet-lookup.js';
import { heldSummary } from './held-compose.js';
import { parseVersion } from './rollback.js';
import type { Context, Reply } from './types.js';

export function side(d: Deployment, note = ''): ComposeSide {
  return { label: `${d.fleet} v${d.version}${note}`, text: d.composeSnapshot };
}

/**
 * `diff <fleet>`: the compose file against the running version (what a launch
 * would change). `diff <fleet> <v>`: running → v (what a rollback to v would
 * change). `diff <fleet> <a> <b>`: a → b.
 */
export async function diffCommand(ctx: Context): Promise<Reply> {
  if (ctx.command.args[0]?.startsWith('#')) return requestDiff(ctx);
  const { ops } = ctx;
  const [name, ...versions] = ctx.command.args;
  const fleet = findFleet(ops, name, ctx.command);
  const get = async (text: string) => {
    const version = parseVersion(text);
    const d = await ops.deployments.get(fleet.name, version);
    if (!d)
      throw new NotFoundError(`${fleet.name} has no v${version}.`, `See history ${fleet.name}.`);
    return d;
  };
  const current = await ops.deployments.latest(fleet.name);
  let from: ComposeSide;
  let to: ComposeSide;
  if (versions.length === 2) {
    from = side(await get(versions[0]!));
    to = side(await get(versions[1]!));
  } else {
    const file = displayPath(ops.config, fleet.composeFile);
    from = current
      ? side(current, ` (running, ${current.status})`)
      : { label: `${fleet.name} (never launched)`, text: 'services: {}\n' };
    to = versions[0]
      ? side(await get(versions[0]))
      : { label: file, text: await readFleetCompose(fleet) };
  }
  return drawDiff(ctx, fleet, from, to);
}

/**
 * `diff #42`: the running version → the compose snapshot request 42 holds, which is
 * exactly what approving it deploys (not the file on disk now).
 */
async function requestDiff(ctx: Context): Promise<Reply> {
  const { ops } = ctx;
  const [ref, ...rest] = ctx.command.args;
  const id = Number(ref?.slice(1));
  if (rest.length > 0 || !Number.isSafeInteger(id) || id < 1)
    throw new UsageError(`diff ${ref} names no request.`, 'For example: diff #42');
  const a = await ops.approvals.get(id);
  if (!a)
    throw new NotFoundError(
      `There is no request #${id}.`,
      'Requests are numbered as their message shows: #42.',
    );
  const fleet = findFleet(ops, a.fleet, ctx.command);
  const current = await ops.deployments.latest(fleet.name);
  const from: ComposeSide = current
    ? side(current, ` (running, ${current.status})`)
    : { label: `${fleet.name} (never launched)`, text: 'services: {}\n' };
  const to = {
    label: `request #${a.id} (${heldSummary(a.composeSnapshot)})`,
    text: a.composeSnapshot,
  };
  return drawDiff(ctx, fleet, from, to);
}

export async function drawDiff(
  ctx: Context,
  fleet: FleetConfig,
  from: ComposeSide,
  to: ComposeSide,
): Promise<Reply> {
  const lines = await composeDiff(ctx.ops, fleet, from, to);
  if (lines.length === 0) {
    return { outcome: 'ok', text: `No changes: ${to.label} renders the same as ${from.label}.` };
  }
  const shown = lines.slice(0, MAX_DIFF_LINES);
  const more = lines.length - shown.length;
  return {
    outcome: 'ok',
    text: `Changes from ${from.label} to ${to.label} (secret values masked):`,
    block: more > 0 ? [...shown, `... ${more} more lines`] : shown,
  };
}
