import type { FleetConfig } from '../config/config.js';
import { NotFoundError, UsageError } from '../errors.js';
import { checkCompose } from '../swarm/compose-check.js';
import { commitOf, overridesOf, withCommit, type Deployment } from '../store/db.js';
import type { Ops } from '../ops/ops.js';
import { requestApproval } from './approval-request.js';
import { findFleet } from './fleet-lookup.js';
import { returnImagesLine } from './held-compose.js';
import { carryOut } from './launch.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

/** `12` or `v12`. */
export function parseVersion(text: string): number {
  const m = /^v?(\d{1,9})$/i.exec(text);
  if (!m) {
    throw new UsageError(
      `"${text.slice(0, 20)}" is not a version. Versions are numbers like 12 or v12.`,
    );
  }
  return Number(m[1]);
}

async function goodVersions(ops: Ops, fleet: string): Promise<string> {
  const good = await ops.deployments.succeeded(fleet, 5);
  return good.length
    ? `Recent good versions: ${good.map((d) => `v${d.version} (${otto.ago(d.startedAt)} by ${d.actor})`).join(', ')}.`
    : `${fleet} has no successful launch yet.`;
}

/** The deployment a rollback returns to, or an error that lists the good versions. */
async function pickTarget(
  ops: Ops,
  fleet: FleetConfig,
  current: Deployment,
  wanted: string | undefined,
): Promise<Deployment> {
  if (wanted === undefined) {
    const [target] = await ops.deployments.succeeded(fleet.name, 1, current.version);
    if (target) return target;
    throw new NotFoundError(
      `There is no successful launch of ${fleet.name} before v${current.version} to return to. Nothing was changed.`,
      await goodVersions(ops, fleet.name),
    );
  }
  const version = parseVersion(wanted);
  const target = await ops.deployments.get(fleet.name, version);
  if (!target || target.status !== 'succeeded') {
    throw new NotFoundError(
      target
        ? `${fleet.name} v${version} never reached orbit (${target.status}), so Otto won't return to it. Nothing was changed.`
        : `${fleet.name} has no v${version}. Nothing was changed.`,
      `${await goodVersions(ops, fleet.name)} For example: rollback ${fleet.name} <version>`,
    );
  }
  if (target.version === current.version) {
    throw new UsageError(
      `${fleet.name} v${version} is the current version already. Nothing was changed.`,
      `${await goodVersions(ops, fleet.name)} To launch the compose file again: launch ${fleet.name}`,
    );
  }
  return target;
}

/**
 * `rollback <fleet> [version]`: re-launches the stored compose of an earlier
 * successful version, after the approvals the fleet asks for.
 */
export async function rollbackCommand(ctx: Context): Promise<Reply> {
  const { ops } = ctx;
  const fleet = findFleet(ops, ctx.command.args[0], ctx.command);
  const current = await ops.deployments.latest(fleet.name);
  if (!current) {
    throw new NotFoundError(
      `${fleet.name} has never been launched, so there is no base to return to.`,
      `Launch it first: launch ${fleet.name}`,
    );
  }
  const target = await pickTarget(ops, fleet, current, ctx.command.args[1]);
  await checkCompose(
    ops,
    fleet,
    target.composeSnapshot,
    `the stored compose of ${fleet.name} v${target.version}`,
  );
  // A manual lock freezes requests too: refuse before anyone is asked to approve.
  await ops.locks.refuseIfFrozen(fleet.name);
  if (fleet.approvals.rollback === 0) {
    return carryOut(ctx, fleet, {
      actor: ctx.command.actor,
      composeText: target.composeSnapshot,
      ...withCommit(commitOf(target)),
      overrides: overridesOf(target),
      rollbackOf: target.version,
      // The launch pins what that version ran; say which images, and which run their tags.
      header: returnImagesLine(target.version, await ops.deployments.images(target.id)),
    });
  }
  return requestApproval(ctx, fleet, {
    action: 'rollback',
    composeSnapshot: target.composeSnapshot,
    ...withCommit(commitOf(target)),
    overrides: overridesOf(target),
    from: current,
    target,
  });
}
