import { durationSeconds } from '../config/config.js';
import { UsageError } from '../errors.js';
import { findFleet, fleetServicesWith } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

const MAX_SILENCE_S = 7 * 86_400;

/**
 * `silence <fleet> [service] <duration>`: no new alerts, updates or reminders for
 * the fleet (or one service) until then; recoveries still go into their threads.
 * `silence <fleet> [service] off` lifts it.
 */
export async function silenceCommand(ctx: Context): Promise<Reply> {
  const [, ...rest] = ctx.command.args;
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const when = rest.at(-1) ?? '';
  const service = rest.length === 2 ? rest[0] : undefined;
  if (service) await fleetServicesWith(ctx.ops, fleet, service);
  const what = service ? `${fleet.name} ${service}` : fleet.name;
  const now = new Date();
  if (when === 'off') {
    const lifted = await ctx.ops.silences.lift(fleet.name, service, now.toISOString());
    return {
      outcome: lifted ? 'ok' : 'failed',
      text: lifted
        ? `🔔 Alerts for ${what} are on again.`
        : `${what} is not silenced. Nothing to do.`,
    };
  }
  const seconds = durationSeconds(when);
  if (seconds === undefined || seconds < 60 || seconds > MAX_SILENCE_S) {
    throw new UsageError(
      `silence needs a duration from 1m to 7d, such as 30m, 1h or 1d (got ${when.slice(0, 20)}).`,
      `For example: silence ${fleet.name}${service ? ` ${service}` : ''} 1h`,
    );
  }
  const until = new Date(now.getTime() + seconds * 1000).toISOString();
  await ctx.ops.silences.add(fleet.name, service, until, ctx.command.actor, now.toISOString());
  return {
    outcome: 'ok',
    text: `🔇 ${what} is silenced until ${otto.when(until)} by ${ctx.command.actor}: no new alerts, updates or reminders. A recovery still goes into its thread.`,
    fix: `To lift it sooner: silence ${what} off`,
  };
}
