import type { FleetConfig } from '../config/config.js';
import type { LaunchEvent, ServiceProgress } from '../swarm/progress.js';
import { prepareCompose } from '../ops/render.js';
import { launch, type LaunchOutcome, type LaunchRequest } from '../ops/launch.js';
import { requestApproval } from './approval-request.js';
import { flagGiven } from './access.js';
import { dryRunCommand } from './dry-run.js';
import { findFleet, readLabel } from './fleet-lookup.js';
import { commitLine } from '../ops/fleet-source.js';
import { commitOf, overridesOf } from '../store/db.js';
import { overridesWords } from './approval-request.js';
import { overridesArg, refFlag } from './launch-inputs.js';

import { imagesLine } from './held-compose.js';
import { trialIngressNetwork } from '../ops/trial-network.js';
import { TRAEFIK_NETWORK } from '../swarm/compose.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

/** Draws the launch so far as one reply: the header, the stage line, then a line per service. */
export function progressReply(
  stage: string,
  services: readonly ServiceProgress[],
  header?: string,
): Reply {
  return {
    outcome: 'ok',
    text: header ? `${header}\n${stage}` : stage,
    ...(services.length
      ? { fields: services.map((s) => ({ label: s.name, value: otto.serviceState(s) })) }
      : {}),
  };
}

export type CarryOut = Omit<LaunchRequest, 'fleet' | 'signal' | 'onProgress' | 'autoRollback'> & {
  /** A line shown above the progress, such as who approved. */
  readonly header?: string;
};

/** Runs the launch pipeline with progress and turns its outcome into a reply. */
export async function carryOut(ctx: Context, fleet: FleetConfig, run: CarryOut): Promise<Reply> {
  // The built-in default (no otto.yml) lets the example launch before any ingress exists.
  const made =
    ctx.ops.config.path === undefined &&
    (await trialIngressNetwork(ctx.ops.transport(fleet.cluster), ctx.signal));
  const header = made ? [run.header, otto.trialNetworkMade(TRAEFIK_NETWORK)] : [run.header];
  const said = header.filter((h) => h !== undefined).join('\n') || undefined;
  let stage = '';
  let services: readonly ServiceProgress[] = [];
  const onProgress = (e: LaunchEvent) => {
    if (e.kind === 'stage') stage = otto.stage(e);
    else services = e.services;
    ctx.progress(progressReply(stage, services, said));
  };
  const outcome = await launch(ctx.ops, {
    ...run,
    onRecorded: async (d) => {
      await run.onRecorded?.(d);
      ctx.onDeployment?.(d);
    },
    fleet,
    autoRollback: fleet.onFailure === 'rollback' && !run.rollbackOf,
    onProgress,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const reply = outcomeReply(fleet, outcome);
  return said ? { ...reply, text: `${said}\n${reply.text}` } : reply;
}

/** What an automatic return ran: the recorded digests it pinned (or the tags of local images). */
function pinnedNote(back: LaunchOutcome): string {
  return back.pins?.size && back.images?.length ? ` It runs ${imagesLine(back.images)}.` : '';
}

function outcomeReply(fleet: FleetConfig, outcome: LaunchOutcome): Reply {
  const d = outcome.deployment;
  const fields = outcome.services.map((s) => ({ label: s.name, value: otto.serviceState(s) }));
  const seconds = (d.durationMs ?? 0) / 1000;
  const commit = commitOf(d);
  const given = overridesWords(overridesOf(d));
  const from = `${commit ? `\nFrom ${commitLine(commit)}.` : ''}${given ? `\nImages given: ${given}.` : ''}`;
  if (outcome.ok) {
    return {
      outcome: 'ok',
      text:
        (d.rollbackOf
          ? otto.returned(fleet.name, d.rollbackOf, d.version, seconds)
          : otto.launched(fleet.name, d.version, seconds)) + from,
      fields,
    };
  }
  const svc = outcome.failure?.service;
  const failed =
    otto.launchFailed(fleet.name, d.version, outcome.failure?.message ?? 'unknown reason') + from;
  const auto = outcome.autoRollback;
  const back = auto && 'outcome' in auto ? auto.outcome : undefined;
  const after = !auto
    ? ''
    : back
      ? `\n${back.ok ? otto.autoReturned(fleet.name, back.deployment) + pinnedNote(back) : otto.autoReturnFailed(fleet.name, back.deployment, back.failure?.message ?? 'unknown reason')}`
      : `\n${otto.autoReturnSkipped(fleet.name, 'skipped' in auto ? auto.skipped : '')}`;
  return {
    outcome: 'failed',
    text: failed + after,
    fields: back
      ? back.services.map((s) => ({ label: s.name, value: otto.serviceState(s) }))
      : fields,
    ...(outcome.logTail.length ? { block: outcome.logTail } : {}),
    fix: svc
      ? `Check the transmissions with: logs ${fleet.name} ${svc}. Fix the service and launch again.`
      : `Check status ${fleet.name}, fix the cause and launch again.`,
    buttons: [
      { label: 'Logs', command: svc ? `logs ${fleet.name} ${svc}` : `logs ${fleet.name}` },
      // A rollback picks the last good version; it needs one, and is pointless after an auto-return.
      ...(d.version > 1 && !back?.ok
        ? [{ label: 'Roll back', command: `rollback ${fleet.name}`, style: 'danger' as const }]
        : []),
      { label: 'Status', command: `status ${fleet.name}` },
      { label: 'History', command: `history ${fleet.name}` },
    ],
  };
}

/**
 * `launch <fleet>`: deploys the fleet's compose file, or asks for approval first.
 * `launch <fleet> --dry-run` only shows what would be sent (see {@link dryRunCommand}).
 */
export async function launchCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  // The same test dispatch used to let a viewer in: with --dry-run, nothing launches.
  if (flagGiven(ctx.command.flags, 'dry-run')) return dryRunCommand(ctx, fleet);
  const ref = refFlag(ctx.command.flags);
  // `web=1.4.2 worker=…`: typed as words, or one option on Discord.
  const overrides = overridesArg(ctx.command.args);
  const given = overrides.size ? { overrides } : {};
  if (fleet.approvals.launch === 0)
    return carryOut(ctx, fleet, {
      actor: ctx.command.actor,
      ...(ref !== undefined ? { ref } : {}),
      ...given,
    });
  // The request holds the compose as read now (for a git fleet: at the commit resolved now).
  const read = await ctx.ops.sources.read(fleet, ref, ctx.signal);
  // Checked as a launch would (secrets, images given), before anyone is asked.
  await prepareCompose(ctx.ops, {
    fleet,
    composeText: read.text,
    label: readLabel(ctx.ops.config, read),
    ...given,
  });
  const current = await ctx.ops.deployments.latest(fleet.name);
  return requestApproval(ctx, fleet, {
    action: 'launch',
    composeSnapshot: read.text,
    ...(read.commit ? { commit: read.commit } : {}),
    ...given,
    from: current,
    target: undefined,
  });
}
