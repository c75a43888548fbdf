import type { FleetConfig } from '../config/config.js';
import {
  commitOf,
  overridesOf,
  type Approval,
  type ApprovalAction,
  type Deployment,
  type RecordedCommit,
} from '../store/db.js';
import { commitLine } from '../ops/fleet-source.js';
import { shortSha } from '../ops/git-repos.js';
import { heldSummary } from './held-compose.js';
import type { RanImage } from '../store/deployments.js';
import type { Button, Context, Reply } from './types.js';
import { otto } from './voice.js';

/** `return shop v12 → v11`, `launch shop` or `scale shop web=4`. */
export function describeRequest(a: Approval): string {
  if (a.action === 'scale') return scaleWords(a);
  if (a.action === 'rollback') {
    return `return ${a.fleet}${a.fromVersion ? ` v${a.fromVersion}` : ''} → v${a.targetVersion}`;
  }
  const c = commitOf(a);
  const images = overridesWords(overridesOf(a));
  return `launch ${a.fleet}${images ? ` ${images}` : ''}${c ? ` at ${shortSha(c.sha)}${c.ref ? ` (${c.ref})` : ''}` : ''}`;
}

/** The command that makes the same request again. */
export function askAgain(a: Approval): string {
  if (a.action === 'scale') return scaleWords(a);
  if (a.action === 'rollback') return `rollback ${a.fleet} ${a.targetVersion}`;
  // A git fleet's: the same branch or tag (read again), or the same commit.
  const c = commitOf(a);
  const images = overridesWords(overridesOf(a));
  return `launch ${a.fleet}${images ? ` ${images}` : ''}${c ? ` --ref ${c.ref || shortSha(c.sha)}` : ''}`;
}

/** `scale shop web=4`: a scale request as it is typed. */
function scaleWords(a: Approval): string {
  return `scale ${a.fleet} ${a.scaleService ?? '?'}=${a.scaleReplicas ?? '?'}`;
}

export function requestButtons(a: Approval): Button[] {
  return [
    { label: 'Approve', command: `approve ${a.id}`, style: 'primary' },
    { label: 'Deny', command: `deny ${a.id}`, style: 'danger' },
    // Running → the snapshot the request holds: what approving will actually deploy.
    // A scale changes no compose: nothing to compare.
    ...(a.action === 'scale' ? [] : [{ label: 'Diff', command: `diff #${a.id}` }]),
  ];
}

/** What a scale request changes: `web replicas 2 → 4 (no new version)`. */
function changeField(service: string, replicas: number, from?: number) {
  return {
    label: 'Change',
    value: `${service} ${from !== undefined ? `replicas ${from} → ${replicas}` : `to ${replicas} replica${replicas === 1 ? '' : 's'}`} (no new version)`,
  };
}

export interface RequestInput {
  readonly action: ApprovalAction;
  readonly composeSnapshot: string;
  /** A git fleet's commit the snapshot was read at. */
  readonly commit?: RecordedCommit;
  /** Images given for the launch, by service. */
  readonly overrides?: ReadonlyMap<string, string>;
  /** The fleet's newest deployment now; approving after it changed is refused as stale. */
  readonly from: Deployment | undefined;
  /** The version a rollback returns to. */
  readonly target: Deployment | undefined;
  /** A scale's service, the replicas it asks for, and those it has now. */
  readonly scale?: { readonly service: string; readonly replicas: number; readonly from?: number };
}

/** Records an approval request and draws it with Approve / Deny buttons. */
export async function requestApproval(
  ctx: Context,
  fleet: FleetConfig,
  input: RequestInput,
): Promise<Reply> {
  const needed =
    input.action === 'rollback'
      ? fleet.approvals.rollback
      : input.action === 'scale'
        ? fleet.approvals.scale
        : fleet.approvals.launch;
  const a = await ctx.ops.approvals.create({
    fleet: fleet.name,
    action: input.action,
    requester: ctx.command.actor,
    channel: ctx.command.channel,
    needed,
    composeSnapshot: input.composeSnapshot,
    fromVersion: input.from?.version ?? null,
    targetVersion: input.target?.version ?? null,
    timeoutSeconds: fleet.approvals.timeoutSeconds,
    ...(input.commit ? { commit: input.commit } : {}),
    ...(input.overrides?.size ? { overrides: input.overrides } : {}),
    ...(input.scale ? { scale: input.scale } : {}),
  });
  const expires = {
    label: 'Expires',
    value: `${otto.when(a.expiresAt)} (in ${Math.round(fleet.approvals.timeoutSeconds / 60) || 1} min)`,
  };
  if (input.scale) {
    const { service, replicas, from } = input.scale;
    return {
      outcome: 'ok',
      text: `Scale ${fleet.name} ${service}${from !== undefined ? ` from ${from}` : ''} to ${replicas} replica${replicas === 1 ? '' : 's'}? Needs ${otto.directors(needed)}.`,
      fields: [
        { label: 'Request', value: `#${a.id} by ${a.requester}` },
        changeField(service, replicas, from),
        expires,
      ],
      buttons: requestButtons(a),
      approval: a.id,
    };
  }
  const t = input.target;
  const images = overridesWords(input.overrides ?? new Map());
  const given = images ? ` with ${images}` : '';
  const question = t
    ? `Return to base? ${fleet.name}${a.fromVersion ? ` v${a.fromVersion}` : ''} → v${t.version} (launched ${otto.ago(t.startedAt)} by ${t.actor}).`
    : input.commit
      ? `Launch ${fleet.name}${given}? Otto holds its compose at ${commitLine(input.commit)} for approval.`
      : `Launch ${fleet.name}${given}? Otto holds the compose file as read now for approval.`;
  return {
    outcome: 'ok',
    text: `${question} Needs ${otto.directors(needed)}.`,
    fields: [
      { label: 'Request', value: `#${a.id} by ${a.requester}` },
      {
        label: 'Holds',
        value: heldSummary(
          a.composeSnapshot,
          input.target
            ? await ctx.ops.deployments.imagesAt(fleet.name, input.target.version)
            : undefined,
          overridesOf(a),
        ),
      },
      expires,
    ],
    buttons: requestButtons(a),
    approval: a.id,
  };
}

/**
 * What the message that asked for approval shows now: redrawn by the chat
 * adapters when a vote, a decision or the expiry changes it, wherever that happened.
 * `held`: the images a rollback request returns to (see heldImages), to show the pins.
 */
export function requestCard(
  a: Approval,
  approvers: readonly string[],
  held?: readonly RanImage[],
): Reply {
  const what = `Request ${a.id}: ${describeRequest(a)}, asked by ${a.requester}.`;
  const at = a.decidedAt ? otto.when(a.decidedAt) : '';
  const votes = approvers.length ? ` (${approvers.join(', ')})` : '';
  switch (a.status) {
    case 'pending':
      return {
        outcome: 'ok',
        text: `${what} Waiting for approval: ${approvers.length} of ${a.needed} so far${votes}.`,
        fields: [
          a.action === 'scale'
            ? changeField(a.scaleService ?? '?', a.scaleReplicas ?? 0)
            : { label: 'Holds', value: heldSummary(a.composeSnapshot, held, overridesOf(a)) },
          { label: 'Expires', value: otto.when(a.expiresAt) },
        ],
        buttons: requestButtons(a),
        approval: a.id,
      };
    case 'approved':
      return {
        outcome: 'ok',
        text: `✅ ${what} Approved by ${a.needed > 1 ? approvers.join(', ') : a.decidedBy} at ${at}.${a.deploymentVersion ? ` It launched v${a.deploymentVersion}.` : ''}`,
      };
    case 'denied':
      return {
        outcome: 'failed',
        text: `🚫 ${what} ${a.decidedBy === a.requester ? 'Withdrawn' : 'Denied'} by ${a.decidedBy} at ${at}. Nothing was changed.`,
        buttons: [{ label: 'Ask again', command: askAgain(a) }],
      };
    case 'expired':
    case 'stale':
      return { ...closedReply(a), buttons: [{ label: 'Ask again', command: askAgain(a) }] };
  }
}

/** Why a request that is no longer pending can't be approved or denied. */
export function closedReply(a: Approval): Reply {
  const what = `Request ${a.id} (${describeRequest(a)})`;
  const at = a.decidedAt ? otto.when(a.decidedAt) : '';
  switch (a.status) {
    case 'approved':
      return {
        outcome: 'failed',
        text: `${what} was already approved by ${a.decidedBy} at ${at}${a.deploymentVersion ? `; it launched v${a.deploymentVersion}` : ''}. Nothing more to do.`,
        fix: `See history ${a.fleet}.`,
      };
    case 'denied':
      return {
        outcome: 'failed',
        text: `${what} was ${a.decidedBy === a.requester ? 'withdrawn' : 'denied'} by ${a.decidedBy} at ${at}; it will not run. Nothing was changed.`,
        fix: `To ask again: ${askAgain(a)}`,
      };
    case 'expired':
      return {
        outcome: 'failed',
        text: `${what} expired at ${otto.when(a.expiresAt)} without enough approvals. Nothing was changed.`,
        fix: `To ask again: ${askAgain(a)}`,
      };
    case 'stale':
      return {
        outcome: 'failed',
        text: `${what} is out of date: ${a.fleet} changed after it was asked. Nothing was changed.`,
        fix: `Check history ${a.fleet}, then ask again: ${askAgain(a)}`,
      };
    case 'pending':
      return {
        outcome: 'ok',
        text: `${what} is waiting for approval.`,
        buttons: requestButtons(a),
      };
  }
}

/** `web=1.4.2 worker=…`: the images a launch was given, as they are typed. */
export function overridesWords(overrides: ReadonlyMap<string, string>): string {
  return [...overrides].map(([service, image]) => `${service}=${image}`).join(' ');
}
