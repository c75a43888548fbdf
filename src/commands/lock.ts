import { processAlive } from '../store/process-alive.js';
import { findFleet } from './fleet-lookup.js';
import { userText } from '../user-text.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

/** `lock <fleet> [reason]`: freezes launches and rollbacks until someone unlocks. */
export async function lockCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const reason = ctx.command.args.slice(1).join(' ').slice(0, 200) || 'no reason given';
  const lock = await ctx.ops.locks.acquire(fleet.name, ctx.command.actor, reason, {
    manual: true,
  });
  return {
    outcome: 'ok',
    text: `🔒 ${fleet.name} is locked by ${lock.holder} at ${otto.when(lock.acquiredAt)}: ${userText(reason)}. Launches and rollbacks wait until it is unlocked.`,
    fix: `When it is safe: unlock ${fleet.name}`,
    buttons: [{ label: 'Unlock', command: `unlock ${fleet.name}` }],
  };
}

/**
 * `unlock <fleet>`: the holder of a manual lock may lift it; an admin may lift
 * any lock, including one left by a launch on another machine.
 */
export async function unlockCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const lock = await ctx.ops.locks.get(fleet.name);
  if (!lock) return { outcome: 'ok', text: `${fleet.name} is not locked. Nothing to do.` };
  const own = lock.manual === 1 && lock.holder === ctx.command.actor;
  if (!own) {
    ctx.authorize(
      'admin',
      lock.manual
        ? `unlock ${fleet.name}, locked by ${lock.holder}`
        : `unlock ${fleet.name} while ${lock.holder}'s ${userText(lock.reason)} holds it`,
      fleet,
    );
  }
  if (!(await ctx.ops.locks.remove(lock))) {
    return {
      outcome: 'failed',
      text: `The lock on ${fleet.name} changed while Otto looked at it. Nothing was changed.`,
      fix: `Check status ${fleet.name} and try again.`,
    };
  }
  const running = !lock.manual && processAlive(lock.pid);
  return {
    outcome: 'ok',
    text:
      `🔓 ${fleet.name} is unlocked (it was locked by ${lock.holder} since ${otto.when(lock.acquiredAt)}: ${userText(lock.reason)}).` +
      (running
        ? ` Note: that ${userText(lock.reason)} may still be running (process ${lock.pid} on ${lock.hostname}).`
        : ''),
  };
}
