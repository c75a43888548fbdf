import type { LaunchEvent, ServiceProgress } from '../ops/events.js';
import { launch } from '../ops/launch.js';
import { findFleet } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

/** Draws the launch so far as one reply: the stage line, then a line per service. */
export function progressReply(stage: string, services: readonly ServiceProgress[]): Reply {
  return {
    outcome: 'ok',
    text: stage,
    ...(services.length
      ? { fields: services.map((s) => ({ label: s.name, value: otto.serviceState(s) })) }
      : {}),
  };
}

/** `launch <fleet>`: deploys the fleet's compose file and waits for it to converge. */
export async function launchCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0]);
  let stage = '';
  let services: readonly ServiceProgress[] = [];
  const onProgress = (e: LaunchEvent) => {
    if (e.kind === 'stage') stage = otto.stage(e);
    else services = e.services;
    ctx.progress(progressReply(stage, services));
  };
  const outcome = await launch(ctx.ops, {
    fleet,
    actor: ctx.command.actor,
    onProgress,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const d = outcome.deployment;
  const fields = outcome.services.map((s) => ({ label: s.name, value: otto.serviceState(s) }));
  if (outcome.ok) {
    return {
      outcome: 'ok',
      text: otto.launched(fleet.name, d.version, (d.duration_ms ?? 0) / 1000),
      fields,
    };
  }
  const svc = outcome.failure?.service;
  return {
    outcome: 'failed',
    text: otto.launchFailed(fleet.name, d.version, outcome.failure?.message ?? 'unknown reason'),
    fields,
    ...(outcome.logTail.length ? { block: outcome.logTail } : {}),
    fix: svc
      ? `Check the transmissions with: logs ${fleet.name} ${svc}. Fix the service and launch again.`
      : `Check status ${fleet.name}, fix the cause and launch again.`,
    buttons: [
      { label: 'Logs', command: svc ? `logs ${fleet.name} ${svc}` : `logs ${fleet.name}` },
      { label: 'Status', command: `status ${fleet.name}` },
    ],
  };
}
