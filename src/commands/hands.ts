import type { FleetConfig } from '../config/config.js';
import { SERVICE_NAME } from '../config/vocabulary.js';
import { NotFoundError, OttoError, UsageError } from '../errors.js';
import {
  actionWords,
  checkTarget,
  MAX_REPLICAS,
  operate,
  readService,
  replicasOf,
  type HandsAction,
  type HandsEvent,
  type HandsOutcome,
  type HandsRequest,
  type HandsStage,
} from '../ops/hands.js';
import { serviceName } from '../swarm/argv.js';
import { parseCompose } from '../swarm/compose.js';
import type { ServiceProgress } from '../swarm/progress.js';
import { requestApproval } from './approval-request.js';
import { findFleet, suggest } from './fleet-lookup.js';
import { progressReply } from './launch.js';
import type { Button, Context, Reply } from './types.js';
import { otto } from './voice.js';

/** `1 replica`, `4 replicas`. */
const replicasWord = (n: number) => `${n} replica${n === 1 ? '' : 's'}`;

/** Otto's words for restart and scale (kept here, beside the commands that say them). */
export const hands = {
  /** `restart web`, `scale web to 4` → the icon of its kind in the flight log. */
  icon: (kind: HandsAction['kind']) => (kind === 'restart' ? '🔁' : '⚖️'),

  stage(fleet: string, service: string, action: HandsAction, stage: HandsStage): string {
    const what = `${fleet} ${service}`;
    switch (stage) {
      case 'locking':
        return `Securing the launch pad for ${fleet} (${actionWords(service, action)})...`;
      case 'sending':
        return action.kind === 'restart'
          ? `Restarting ${what}: asking the Swarm to replace its tasks...`
          : `Scaling ${what} to ${replicasWord(action.replicas)}...`;
      case 'converging':
        return action.kind === 'restart'
          ? `${what}: the Swarm is replacing its tasks, batch by batch as its update_config says...`
          : action.replicas === 0
            ? `${what}: waiting for its tasks to stand down...`
            : `${what}: waiting for ${replicasWord(action.replicas)} to reach orbit...`;
      case 'settling':
        return action.kind === 'scale' && action.replicas === 0
          ? `${what}: every task has stood down. Watching telemetry for a few seconds...`
          : `${what}: all tasks are up. Watching telemetry for a few seconds...`;
    }
  },

  restarted: (fleet: string, service: string, running: number, seconds: number) =>
    `🔁 Restart complete! ${fleet} ${service} runs ${running} fresh task${running === 1 ? '' : 's'} (${seconds.toFixed(1)} s).`,

  scaled: (fleet: string, service: string, from: number | undefined, to: number, seconds: number) =>
    `⚖️ Scale complete! ${fleet} ${service} runs ${replicasWord(to)}${from === undefined ? '' : `, was ${from}`} (${seconds.toFixed(1)} s).`,

  /** A scale holds until the next launch, which sets the compose file's count again. */
  untilLaunch: (fleet: string) =>
    `The next launch of ${fleet} sets the compose file's replicas again.`,

  sameVersion: (fleet: string, version: number | undefined) =>
    version === undefined ? 'No new version.' : `No new version: ${fleet} stays at v${version}.`,

  failed: (fleet: string, service: string, action: HandsAction, reason: string) =>
    action.kind === 'restart'
      ? `Restart of ${fleet} ${service} failed: ${reason}`
      : `Scale of ${fleet} ${service} to ${replicasWord(action.replicas)} failed: ${reason}`,

  already: (fleet: string, service: string, replicas: number) =>
    `${fleet} ${service} already runs ${replicasWord(replicas)}. Nothing was changed.`,
};

/** `web=4` → web and 4, or a usage error that says why. */
export function parseScale(word: string | undefined): { service: string; replicas: number } {
  const m = /^([^=\s]+)=(\d{1,9})$/.exec(word ?? '');
  if (!m || !SERVICE_NAME.test(m[1]!)) {
    throw new UsageError(
      `"${(word ?? '').slice(0, 40)}" is not service=replicas.`,
      'For example: scale myapp web=4',
    );
  }
  const replicas = Number(m[2]);
  if (replicas > MAX_REPLICAS) {
    throw new UsageError(
      `Otto scales a service to at most ${MAX_REPLICAS} replicas from chat, so that a slip such as web=400 cannot fill every node. Nothing was changed.`,
      `For more, set deploy.replicas of ${m[1]} in the compose file and launch the fleet.`,
    );
  }
  return { service: m[1]!, replicas };
}

function serviceArg(word: string | undefined, example: string): string {
  if (!word || !SERVICE_NAME.test(word)) {
    throw new UsageError(
      `"${(word ?? '').slice(0, 40)}" is not a service name.`,
      `For example: ${example}`,
    );
  }
  return word;
}

/**
 * The service as the Swarm has it, or a refusal with its fix: an unknown service
 * (with the closest name), a fleet never launched, a service not in the Swarm, a
 * scale of a global service. Read before anything is locked or anyone is asked.
 */
async function lookAt(ctx: Context, fleet: FleetConfig, service: string, action: HandsAction) {
  const transport = ctx.ops.transport(fleet.cluster);
  const now = await readService(transport, fleet.name, service, ctx.signal);
  const state = now.services.get(serviceName(fleet.name, service));
  if (!state) {
    const latest = await ctx.ops.deployments.latest(fleet.name);
    if (!latest) {
      throw new NotFoundError(
        `${fleet.name} has not been launched yet, so there is no ${service} to ${action.kind}. Nothing was changed.`,
        `Launch it first: launch ${fleet.name}`,
      );
    }
    const known = composeServices(latest.composeSnapshot);
    if (known.length && !known.includes(service)) {
      const s = suggest(service, known);
      throw new NotFoundError(
        `Fleet ${fleet.name} has no service named ${service}.${s ? ` Did you mean ${s}?` : ''} Nothing was changed.`,
        `Its services: ${known.join(', ')}.`,
      );
    }
  }
  return checkTarget(fleet.name, service, action, state);
}

function composeServices(text: string): string[] {
  try {
    return [...parseCompose(text, 'the launched compose').services.keys()];
  } catch {
    return [];
  }
}

/** What an approved request or a command carries out: the service, the action, who. */
export type HandsRun = Omit<HandsRequest, 'fleet' | 'signal' | 'onProgress'> & {
  /** A line shown above the progress, such as who approved. */
  readonly header?: string;
};

/** Runs a restart or scale with progress in one message, and turns its outcome into a reply. */
export async function carryOutHands(
  ctx: Context,
  fleet: FleetConfig,
  run: HandsRun,
): Promise<Reply> {
  const { service, action } = run;
  let stage = '';
  let services: readonly ServiceProgress[] = [];
  const onProgress = (e: HandsEvent) => {
    if (e.kind === 'stage') stage = hands.stage(fleet.name, service, action, e.stage);
    else services = e.services;
    ctx.progress(progressReply(stage, services, run.header));
  };
  const { header, ...request } = run;
  const outcome = await operate(ctx.ops, {
    ...request,
    fleet,
    onProgress,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const reply = await outcomeReply(ctx, fleet, run, outcome);
  return header ? { ...reply, text: `${header}\n${reply.text}` } : reply;
}

async function outcomeReply(
  ctx: Context,
  fleet: FleetConfig,
  run: HandsRun,
  outcome: HandsOutcome,
): Promise<Reply> {
  const { service, action } = run;
  const fields = outcome.services.map((s) => ({ label: s.name, value: otto.serviceState(s) }));
  const seconds = (outcome.operation.durationMs ?? 0) / 1000;
  if (outcome.ok) {
    const version = (await ctx.ops.deployments.latest(fleet.name))?.version;
    const running = outcome.services[0]?.running ?? 0;
    const done =
      action.kind === 'restart'
        ? hands.restarted(fleet.name, service, running, seconds)
        : `${hands.scaled(fleet.name, service, outcome.from, action.replicas, seconds)} ${hands.untilLaunch(fleet.name)}`;
    return {
      outcome: 'ok',
      text: `${done}\n${hands.sameVersion(fleet.name, version)}`,
      fields,
    };
  }
  const reason = outcome.failure?.message ?? 'unknown reason';
  const back =
    action.kind === 'scale' && outcome.from !== undefined && outcome.from !== action.replicas
      ? outcome.from
      : undefined;
  const buttons: Button[] = [
    { label: 'Logs', command: `logs ${fleet.name} ${service}` },
    ...(back !== undefined
      ? [{ label: `Scale back to ${back}`, command: `scale ${fleet.name} ${service}=${back}` }]
      : []),
    { label: 'Status', command: `status ${fleet.name}` },
    { label: 'History', command: `history ${fleet.name}` },
  ];
  const logs = `Check the transmissions with: logs ${fleet.name} ${service}.`;
  return {
    outcome: 'failed',
    text: hands.failed(fleet.name, service, action, reason),
    fields,
    ...(outcome.logTail.length ? { block: outcome.logTail } : {}),
    fix:
      action.kind === 'restart'
        ? `${logs} Fix the cause, then restart ${fleet.name} ${service} again (or launch ${fleet.name}).`
        : `${logs} The Swarm keeps asking for ${action.replicas} replicas${back !== undefined ? `; to go back: scale ${fleet.name} ${service}=${back}` : ''}.`,
    buttons,
  };
}

/** `restart <fleet> <service>`: replaces the service's tasks (a forced update); no new version. */
export async function restartCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const service = serviceArg(ctx.command.args[1], `restart ${fleet.name} web`);
  const action: HandsAction = { kind: 'restart' };
  await lookAt(ctx, fleet, service, action);
  return carryOutHands(ctx, fleet, { service, action, actor: ctx.command.actor });
}

/**
 * `scale <fleet> <service>=<n>`: sets the replicas of a replicated service (0 to
 * {@link MAX_REPLICAS}), after the approvals `fleets.<name>.approvals.scale` asks for.
 */
export async function scaleCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const { service, replicas } = parseScale(ctx.command.args[1]);
  const action: HandsAction = { kind: 'scale', replicas };
  const state = await lookAt(ctx, fleet, service, action);
  const from = replicasOf(state);
  if (from === replicas) return { outcome: 'ok', text: hands.already(fleet.name, service, from) };
  if (fleet.approvals.scale === 0) {
    return carryOutHands(ctx, fleet, { service, action, actor: ctx.command.actor });
  }
  // A manual lock freezes requests too: refuse before anyone is asked to approve.
  await ctx.ops.locks.refuseIfFrozen(fleet.name);
  const current = await ctx.ops.deployments.latest(fleet.name);
  return requestApproval(ctx, fleet, {
    action: 'scale',
    // What runs now: a scale changes no compose, and diff #N shows no change.
    composeSnapshot: current?.composeSnapshot ?? '',
    from: current,
    target: undefined,
    scale: { service, replicas, ...(from !== undefined ? { from } : {}) },
  });
}

/** The scale an approved request carries out, from its columns. */
export function scaleOfRequest(a: {
  readonly id: number;
  readonly scaleService: string | null;
  readonly scaleReplicas: number | null;
}): { service: string; action: HandsAction } {
  if (a.scaleService === null || a.scaleReplicas === null) {
    throw new OttoError(
      `Request ${a.id} asks for a scale but does not say of which service or to how many replicas. Nothing was changed.`,
      'Deny it and ask again with: scale <fleet> <service>=<replicas>',
    );
  }
  return { service: a.scaleService, action: { kind: 'scale', replicas: a.scaleReplicas } };
}
