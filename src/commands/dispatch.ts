import { OttoError, UsageError } from '../errors.js';
import type { Ops } from '../ops/ops.js';
import { fleetsCommand } from './fleets.js';
import { historyCommand } from './history.js';
import { launchCommand } from './launch.js';
import { logsCommand } from './logs.js';
import { parseText } from './parse.js';
import { statusCommand } from './status.js';
import type { Command, Context, Handler, Platform, Reply } from './types.js';
import { otto } from './voice.js';

interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly example: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** The --options the command takes; any other is a usage error. */
  readonly flags?: readonly string[];
  readonly handler: Handler;
}

/** Longer than any command a person types: refuse it before parsing. */
export const MAX_COMMAND_LENGTH = 2000;

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  help: {
    usage: 'help',
    summary: 'what Otto can do',
    example: 'help',
    minArgs: 0,
    maxArgs: 1,
    handler: async () => helpReply(),
  },
  fleets: {
    usage: 'fleets',
    summary: 'the configured fleets and their last launch',
    example: 'fleets',
    minArgs: 0,
    maxArgs: 0,
    handler: fleetsCommand,
  },
  launch: {
    usage: 'launch <fleet>',
    summary: 'deploy a fleet and wait until it is in orbit',
    example: 'launch myapp',
    minArgs: 1,
    maxArgs: 1,
    handler: launchCommand,
  },
  status: {
    usage: 'status [fleet]',
    summary: 'telemetry: services, replicas, failing tasks',
    example: 'status myapp',
    minArgs: 0,
    maxArgs: 1,
    handler: statusCommand,
  },
  logs: {
    usage: 'logs <fleet> [service] [--tail N] [--since 10m]',
    summary: 'recent transmissions (docker service logs)',
    example: 'logs myapp web --tail 100 --since 10m',
    minArgs: 1,
    maxArgs: 2,
    flags: ['tail', 'since'],
    handler: logsCommand,
  },
  history: {
    usage: 'history <fleet> [--limit N]',
    summary: 'the flight log of a fleet',
    example: 'history myapp --limit 20',
    minArgs: 1,
    maxArgs: 1,
    flags: ['limit'],
    handler: historyCommand,
  },
};

export function helpReply(): Reply {
  return {
    outcome: 'ok',
    text: `${otto.prefix} Otto at Mission Control. Commands:`,
    fields: Object.values(COMMANDS).map((c) => ({
      label: c.usage,
      value: `${c.summary} · e.g. ${c.example}`,
    })),
  };
}

/** Turns any error into a reply. OttoErrors carry their own words; others are logged, not shown. */
export function errorReply(
  e: unknown,
  log: (msg: string) => void = (m) => console.error(m),
): Reply {
  if (e instanceof OttoError) {
    return {
      outcome: e instanceof UsageError || e.code === 'config_error' ? 'usage' : 'failed',
      text: e.message,
      fix: e.fix,
    };
  }
  if (e instanceof Error && e.name === 'AbortError') {
    return {
      outcome: 'failed',
      text: 'Stopped: Otto was asked to stop before the command finished.',
    };
  }
  log(`otto: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return { outcome: 'failed', text: otto.unexpected() };
}

export interface Source {
  readonly actor: string;
  readonly channel: string;
  readonly platform: Platform;
}

/** Parses text into a Command. Throws UsageError. */
export function toCommand(text: string, source: Source): Command {
  if (text.length > MAX_COMMAND_LENGTH) {
    throw new UsageError(
      `That command is ${text.length} characters long; Otto reads at most ${MAX_COMMAND_LENGTH}.`,
    );
  }
  const parsed = parseText(text);
  return { ...parsed, text: text.trim(), ...source };
}

/**
 * Runs one command: finds its handler, checks the argument count and turns every
 * failure into a reply. Never throws.
 */
export async function dispatch(
  ops: Ops,
  text: string,
  source: Source,
  options: { progress?: (r: Reply) => void; signal?: AbortSignal } = {},
): Promise<Reply> {
  try {
    const command = toCommand(text, source);
    const spec = COMMANDS[command.name];
    if (!spec) throw new UsageError(otto.unknownCommand(command.name));
    if (command.args.length < spec.minArgs || command.args.length > spec.maxArgs) {
      throw new UsageError(`Usage: ${spec.usage}`, `For example: ${spec.example}`);
    }
    const unknown = Object.keys(command.flags).filter((f) => !(spec.flags ?? []).includes(f));
    if (unknown.length > 0) {
      throw new UsageError(
        `${command.name} has no option --${unknown[0]?.slice(0, 40)}. Usage: ${spec.usage}`,
        `For example: ${spec.example}`,
      );
    }
    const ctx: Context = {
      command,
      ops,
      progress: options.progress ?? (() => {}),
      signal: options.signal,
    };
    return await spec.handler(ctx);
  } catch (e) {
    return errorReply(e);
  }
}
