import type { FleetConfig } from '../config/config.js';
import { NotFoundError, UsageError } from '../errors.js';
import { atLeast } from './access.js';
import { quoteWord } from './parse.js';
import type { LogsOptions } from '../swarm/argv.js';
import { followLogs, type FollowEnd } from '../swarm/log-follow.js';
import { followsOf, type Follow } from './follows.js';
import type { Context, Reply } from './types.js';
import { userText } from '../user-text.js';

/** How long a follow runs in chat when `--for` is not given. */
export const DEFAULT_FOLLOW_SECONDS = 600;

export interface FollowAsk {
  readonly grep: string | undefined;
  /** `--for`, in seconds; the default in chat, until Ctrl-C on Otto's terminal. */
  readonly seconds: number | undefined;
  readonly from: LogsOptions;
}

/** Why a follow was stopped, as its abort reason carries it. */
class Stopped extends Error {}

/** An adapter's reason to end a follow, given as the abort reason of the command's signal. */
export class FollowEnded extends Error {}

const what = (fleet: string, services: readonly string[], all: boolean) =>
  all ? `${fleet} (all services)` : `${fleet} ${services.join(', ')}`;

const minutes = (s: number) => (s % 60 ? `${s} s` : `${s / 60} min`);

/**
 * `logs <fleet> [service] --follow [--grep TEXT] [--for 10m]`: the fleet's new lines
 * as they are written, across every replica, until Stop, its time, the services'
 * removal or Otto stopping. The reply is the follow's message; the lines go below it
 * (a chat thread, the terminal) through `ctx.stream`.
 */
export async function followCommand(
  ctx: Context,
  fleet: FleetConfig,
  services: readonly string[],
  ask: FollowAsk,
): Promise<Reply> {
  const stream = ctx.stream;
  if (!stream)
    throw new UsageError(
      'logs --follow needs somewhere to show lines as they come: a chat thread or a terminal.',
      `Read the latest lines instead: logs ${fleet.name} --tail 100`,
    );
  const local = ctx.command.platform === 'console' || ctx.command.platform === 'cli';
  const seconds = ask.seconds ?? (local ? undefined : DEFAULT_FOLLOW_SECONDS);
  const follows = followsOf(ctx.ops);
  const follow = follows.open(fleet, services, ctx.command.actor);
  const all = ctx.command.args[1] === undefined;
  const subject = what(fleet.name, services, all);
  try {
    const timer = seconds === undefined ? undefined : AbortSignal.timeout(seconds * 1000);
    const signal = AbortSignal.any(
      [follow.controller.signal, ctx.signal, timer].filter((s): s is AbortSignal => !!s),
    );
    ctx.progress(startedReply(follow, subject, ask.grep, seconds, local));
    let shown = 0;
    const end = await followLogs(ctx.ops.transport(fleet.cluster), {
      fleet: fleet.name,
      services,
      mask: await ctx.ops.secrets.mask(fleet.name, fleet.cluster),
      grep: ask.grep,
      from: ask.from,
      signal,
      onLines: (lines) => {
        shown += lines.length;
        stream(lines);
      },
    });
    const why = endReason(end, follow, ctx.signal, seconds, local);
    // A follow that ended is not a failure to act on: its reason says what happened.
    return {
      outcome: 'ok',
      text: `📡 Follow ${follow.id} of ${subject} ended: ${why}. ${shown} line${shown === 1 ? '' : 's'} came in.`,
      buttons: [{ label: 'Follow again', command: again(fleet.name, ctx.command.args[1], ask) }],
    };
  } finally {
    follows.close(follow.id);
  }
}

function startedReply(
  follow: Follow,
  subject: string,
  grep: string | undefined,
  seconds: number | undefined,
  local: boolean,
): Reply {
  const only = grep ? `, only lines with “${userText(grep)}”` : '';
  if (local)
    return {
      outcome: 'ok',
      text: `📡 Following ${subject} live (follow ${follow.id}${only}${seconds ? `, for ${minutes(seconds)}` : ''}). Ctrl-C to stop.`,
    };
  return {
    outcome: 'ok',
    text: `📡 Following ${subject} live (follow ${follow.id}${only}), for ${minutes(seconds ?? DEFAULT_FOLLOW_SECONDS)}: new lines appear in the thread.`,
    buttons: [{ label: 'Stop', command: `logs stop ${follow.id}`, style: 'danger' }],
  };
}

function endReason(
  end: FollowEnd,
  follow: Follow,
  outer: AbortSignal | undefined,
  seconds: number | undefined,
  local: boolean,
): string {
  switch (end.kind) {
    case 'removed':
      return `${end.services.join(', ')} ${end.services.length === 1 ? 'was' : 'were'} removed from the Swarm`;
    case 'ended':
      return `the log stream ended${end.detail ? ` (${userText(end.detail)})` : ''}`;
    case 'aborted': {
      const stop: unknown = follow.controller.signal.reason;
      if (follow.controller.signal.aborted && stop instanceof Stopped) return stop.message;
      if (outer?.aborted) {
        // The adapter may say why it ended the follow (nowhere to show its lines).
        const said: unknown = outer.reason;
        if (said instanceof FollowEnded) return said.message;
        return local ? 'stopped' : 'Otto was stopped';
      }
      return `its ${minutes(seconds ?? DEFAULT_FOLLOW_SECONDS)} are up`;
    }
  }
}

/** The command that starts the same follow again. */
function again(fleet: string, service: string | undefined, ask: FollowAsk): string {
  return [
    'logs',
    fleet,
    ...(service ? [service] : []),
    '--follow',
    ...(ask.grep ? ['--grep', quoteWord(ask.grep)] : []),
    ...(ask.seconds ? ['--for', `${ask.seconds}s`] : []),
  ].join(' ');
}

/** `logs stop <id>`: ends a follow (its Stop button); its starter, or a deployer of its fleet. */
export async function logsStopCommand(ctx: Context): Promise<Reply> {
  const raw = ctx.command.args[0] ?? '';
  const id = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  const follow = followsOf(ctx.ops).get(id);
  const gone = () =>
    new NotFoundError(
      `There is no live follow ${userText(raw.slice(0, 20))}: it has ended already. Nothing to stop.`,
    );
  if (!follow) throw gone();
  const fleet = ctx.ops.config.fleets.get(follow.fleet);
  if (follow.actor !== ctx.command.actor) {
    // Someone who may not see the fleet learns nothing of it, not even that it is followed.
    if (!fleet || !atLeast(ctx.role(fleet), 'viewer')) throw gone();
    ctx.authorize('deployer', `stop ${follow.actor}'s follow of ${follow.fleet}`, fleet);
  }
  follow.controller.abort(new Stopped(`stopped by ${ctx.command.actor}`));
  return { outcome: 'ok', text: `📡 Follow ${id} of ${follow.fleet} stopped.` };
}
