import { LockHeldError, NotFoundError, OttoError, RefusedError, UsageError } from '../errors.js';
import { commitOf, overridesOf, withCommit, type Approval } from '../store/db.js';
import { askAgain, closedReply, describeRequest, requestButtons } from './approval-request.js';
import { heldImages, returnImagesLine } from './held-compose.js';
import { carryOut } from './launch.js';
import { carryOutHands, scaleOfRequest } from './hands.js';
import type { Context, Reply } from './types.js';
import { userText } from '../user-text.js';

/** Thrown inside the fleet's lock when another approver's call already claimed the request. */
class AlreadyClaimedError extends OttoError {
  override readonly code = 'already_claimed';
}

/** Loads a request by the id in `approve 42` / `deny #42`, expiring it if its time is up. */
async function loadRequest(ctx: Context): Promise<Approval> {
  const raw = ctx.command.args[0] ?? '';
  const m = /^#?(\d{1,9})$/.exec(raw);
  if (!m) {
    throw new UsageError(
      `"${raw.slice(0, 20)}" is not a request number.`,
      `The number is in the message that asked for approval, e.g. ${ctx.command.name} 42.`,
    );
  }
  const a = await ctx.ops.approvals.get(Number(m[1]));
  if (!a) {
    throw new NotFoundError(
      `There is no approval request ${m[1]}. Nothing was changed.`,
      'The number is in the message that asked for approval.',
    );
  }
  return a;
}

function fleetOf(ctx: Context, a: Approval) {
  const fleet = ctx.ops.config.fleets.get(a.fleet);
  if (!fleet) {
    throw new NotFoundError(
      `Request ${a.id} is for fleet ${a.fleet}, which is no longer in otto.yml. Nothing was changed.`,
    );
  }
  return fleet;
}

/**
 * A request made before the fleet's newest deployment is stale: approving it would
 * undo a launch the approver never saw. Marks it so and returns true.
 */
async function movedOn(ctx: Context, a: Approval): Promise<boolean> {
  const latest = await ctx.ops.deployments.latest(a.fleet);
  if ((latest?.version ?? null) === a.fromVersion) return false;
  await ctx.ops.approvals.close(a.id, 'stale', ctx.command.actor);
  return true;
}

/**
 * `approve <id>`: records the vote; when enough approvers agreed, carries the
 * request out. Of two approvals at the same moment, exactly one runs it: the
 * pending → approved update happens under the fleet's lock, and only once.
 */
export async function approveCommand(ctx: Context): Promise<Reply> {
  const { ops } = ctx;
  const actor = ctx.command.actor;
  const a = await loadRequest(ctx);
  const fleet = fleetOf(ctx, a);
  if (a.status !== 'pending') return closedReply(a);
  if (a.requester === actor && !fleet.approvals.selfApprove) {
    throw new RefusedError(
      `${actor} asked for request ${a.id} (${describeRequest(a)}), so a second person must approve it. Nothing was changed.`,
      `Ask another approver to press Approve (approve ${a.id}). To allow self-approval, set fleets.${fleet.name}.approvals.self_approve: true.`,
    );
  }
  if (await movedOn(ctx, a)) return closedReply((await ops.approvals.get(a.id)) ?? a);
  const { added, approvers } = await ops.approvals.vote(a.id, actor);
  if (approvers.length < a.needed) {
    const more = a.needed - approvers.length;
    return {
      outcome: added ? 'ok' : 'failed',
      text: `${added ? `Approval recorded from ${actor}` : `${actor} has already approved request ${a.id}`}: ${approvers.length} of ${a.needed} for ${describeRequest(a)}. Needs ${more} more approval${more === 1 ? '' : 's'}.`,
      buttons: requestButtons(a),
    };
  }
  const returning = await heldImages(ops, a);
  const header = [
    `✅ Request ${a.id} approved by ${approvers.join(', ')}: ${describeRequest(a)}.`,
    // A return pins what its target version ran: say which images.
    ...(returning && a.targetVersion ? [returnImagesLine(a.targetVersion, returning)] : []),
  ].join('\n');
  const lockReason = `approved request ${a.id} (${describeRequest(a)})`;
  // Checked again under the lock: no launch can slip in between this and the deploy.
  const onLocked = async () => {
    if ((await movedOn(ctx, a)) || !(await ops.approvals.claim(a.id, approvers))) {
      throw new AlreadyClaimedError('already claimed');
    }
  };
  try {
    if (a.action === 'scale') {
      return await carryOutHands(ctx, fleet, {
        ...scaleOfRequest(a),
        actor: a.requester,
        lockReason,
        requestId: a.id,
        header,
        onLocked,
      });
    }
    return await carryOut(ctx, fleet, {
      actor: a.requester,
      composeText: a.composeSnapshot,
      ...withCommit(commitOf(a)),
      overrides: overridesOf(a),
      ...(a.targetVersion ? { rollbackOf: a.targetVersion } : {}),
      lockReason,
      requestId: a.id,
      header,
      onLocked,
      onRecorded: (d) => ops.approvals.started(a.id, d.version),
    });
  } catch (e) {
    const now = (await ops.approvals.get(a.id)) ?? a;
    if (e instanceof AlreadyClaimedError) return closedReply(now);
    if (e instanceof LockHeldError) {
      if (e.requestId === a.id || now.status !== 'pending') {
        return {
          outcome: 'failed',
          text: `Request ${a.id} (${describeRequest(a)}) is already being carried out after another approval. Nothing more to do.`,
          fix: `Follow it with: status ${fleet.name}`,
        };
      }
      return {
        outcome: 'failed',
        text: e.message,
        fix: `Your approval is recorded. When ${fleet.name} is free, press Approve again (approve ${a.id}) before the request expires.`,
      };
    }
    throw e;
  }
}

/** `deny <id> [reason]`: an approver turns a pending request down; its requester may withdraw it. */
export async function denyCommand(ctx: Context): Promise<Reply> {
  const a = await loadRequest(ctx);
  const fleet = fleetOf(ctx, a);
  const withdraw = a.requester === ctx.command.actor;
  if (!withdraw) ctx.authorize('approver', `deny request ${a.id}`, fleet);
  if (a.status !== 'pending') return closedReply(a);
  const why = ctx.command.args.slice(1).join(' ').slice(0, 200);
  if (!(await ctx.ops.approvals.close(a.id, 'denied', ctx.command.actor))) {
    return closedReply((await ctx.ops.approvals.get(a.id)) ?? a);
  }
  return {
    outcome: 'ok',
    text: `🚫 Request ${a.id} ${withdraw ? 'withdrawn' : 'denied'} by ${ctx.command.actor}${why ? ` (${userText(why)})` : ''}: ${describeRequest(a)} will not run. Nothing was changed.`,
    fix: `${withdraw ? 'To ask again' : `${a.requester} can ask again`}: ${askAgain(a)}`,
  };
}
