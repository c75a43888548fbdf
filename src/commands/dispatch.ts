import type { FleetConfig } from '../config/config.js';
import type { Deployment } from '../store/db.js';
import { OttoError, RefusedError, UsageError } from '../errors.js';
import type { Ops } from '../ops/ops.js';
import {
  atLeast,
  flagGiven,
  neededRole,
  requireChannel,
  requireRole,
  roleOf,
  type Grant,
  type Who,
} from './access.js';
import { argCounts, COMMANDS, type CommandSpec } from './catalog.js';
import { parseText, quoteWord } from './parse.js';
import { limiter, RATES, RateLimitedError } from './rate-limit.js';
import type { Command, Context, Platform, Reply } from './types.js';
import { otto } from './voice.js';

/** Longer than any command a person types: refuse it before parsing. */
export const MAX_COMMAND_LENGTH = 2000;

/** Turns any error into a reply. OttoErrors carry their own words; others are logged, not shown. */
export function errorReply(
  e: unknown,
  log: (msg: string) => void = (m) => console.error(m),
): Reply {
  if (e instanceof OttoError) {
    return {
      outcome:
        e instanceof UsageError || e.code === 'config_error'
          ? 'usage'
          : e instanceof RefusedError
            ? 'refused'
            : 'failed',
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
  readonly groups?: readonly string[];
  readonly channel: string;
  readonly platform: Platform;
  /** An API token's own role and fleets. */
  readonly grant?: Grant | undefined;
}

/** Parses text into a Command. Throws UsageError. */
export function toCommand(text: string, source: Source): Command {
  if (text.length > MAX_COMMAND_LENGTH) {
    throw new UsageError(
      `That command is ${text.length} characters long; Otto reads at most ${MAX_COMMAND_LENGTH}.`,
    );
  }
  const parsed = parseText(text);
  return { ...parsed, text: text.trim(), ...source, groups: source.groups ?? [] };
}

/** `secret set shop API`: a two-word command name takes its second word from the arguments. */
function resolveName(command: Command): Command {
  const two = `${command.name} ${command.args[0] ?? ''}`;
  return COMMANDS[two] ? { ...command, name: two, args: command.args.slice(1) } : command;
}

function checkShape(command: Command): CommandSpec {
  const spec = COMMANDS[command.name];
  if (!spec) throw new UsageError(otto.unknownCommand(command.name));
  // A switch takes no value: in `launch --dry-run shop` the parser reads shop as its value.
  const valued = spec.flags.find(
    (f) =>
      f.type === 'switch' && flagGiven(command.flags, f.name) && command.flags[f.name] !== 'true',
  );
  const { min, max } = argCounts(spec);
  if (valued) {
    // The "value" is most likely the argument that should have come first.
    const value = (command.flags[valued.name] ?? '').slice(0, 64);
    const moved = [command.name, ...command.args, value, `--${valued.name}`].join(' ');
    throw new UsageError(
      `--${valued.name} takes no value. Usage: ${spec.usage}`,
      // `--dry-run=false` is not a misplaced argument; `launch --dry-run shop` is.
      command.args.length < max && !/^(true|false|yes|no|on|off|[01])$/i.test(value)
        ? `Put it last: ${moved}`
        : `For example: ${spec.example}`,
    );
  }
  if (command.args.length < min || command.args.length > max) {
    throw new UsageError(`Usage: ${spec.usage}`, `For example: ${spec.example}`);
  }
  const unknown = Object.keys(command.flags).filter((f) => !spec.flags.some((s) => s.name === f));
  if (unknown.length > 0) {
    throw new UsageError(
      `${command.name} has no option --${unknown[0]?.slice(0, 40)}. Usage: ${spec.usage}`,
      `For example: ${spec.example}`,
    );
  }
  return spec;
}

/** The configured fleet a command acts on, if any (an unknown name is the handler's to explain). */
async function targetFleet(
  ops: Ops,
  spec: CommandSpec,
  command: Command,
): Promise<FleetConfig | undefined> {
  const first = command.args[0];
  if (!first || !spec.fleetFrom) return undefined;
  // `diff #42` names an approval request: its fleet's rules apply.
  if (spec.fleetFrom === 'arg' && !(spec.requestRef && first.startsWith('#')))
    return ops.config.fleets.get(first);
  const id = Number(first.replace(/^#/, ''));
  if (!Number.isSafeInteger(id)) return undefined;
  const fleet = await ops.approvals.fleetOf(id);
  return fleet ? ops.config.fleets.get(fleet) : undefined;
}

export interface DispatchOptions {
  readonly progress?: (r: Reply) => void;
  /** Shows a live follow's lines as they arrive (see Context.stream). */
  readonly stream?: (lines: readonly string[]) => void;
  readonly signal?: AbortSignal;
  /** Reads a value typed on Otto's machine (stdin, or a hidden prompt): `secret set`, `registry login`. */
  readonly readSecret?: (prompt: string) => Promise<string>;
  /** Asks the person at Otto's terminal a yes/no question (a host key to trust); absent in chat. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Told of each deployment the command records (the HTTP API answers with it). */
  readonly onDeployment?: (deployment: Deployment) => void;
}

/**
 * Runs one command: parses it, checks its shape, the actor's role and the channel,
 * runs its handler and appends it to the audit log. Never throws.
 */
export async function dispatch(
  ops: Ops,
  text: string,
  source: Source,
  options: DispatchOptions = {},
): Promise<Reply> {
  return execute(ops, text.trim(), source, options, () => toCommand(text, source));
}

/**
 * Runs a command given as words, exactly as a command line split them (`otto secret
 * set shop API`): no quoting and no --options, so a word starting with `-` is an
 * argument. The same checks and audit as {@link dispatch}.
 */
export async function dispatchWords(
  ops: Ops,
  words: readonly string[],
  source: Source,
  options: DispatchOptions = {},
): Promise<Reply> {
  const text = words.map(quoteWord).join(' ');
  return execute(ops, text, source, options, () => ({
    name: words[0] ?? '',
    args: words.slice(1),
    flags: {},
    text,
    ...source,
    groups: source.groups ?? [],
  }));
}

async function execute(
  ops: Ops,
  text: string,
  source: Source,
  options: DispatchOptions,
  read: () => Command,
): Promise<Reply> {
  const started = performance.now();
  let fleet: FleetConfig | undefined;
  let reply: Reply;
  try {
    const command = resolveName(read());
    const spec = checkShape(command);
    if (spec.local && command.platform !== 'cli' && command.platform !== 'console')
      throw new RefusedError(
        `${command.name} ${spec.localReason ?? 'reads a secret value'}, so it is typed only on Otto's own machine, never in chat. Nothing was changed.`,
        `Run it there: otto ${spec.usage}`,
      );
    const who: Who = { actor: command.actor, groups: command.groups, grant: command.grant };
    fleet = await targetFleet(ops, spec, command);
    // An option may ask for another role than the command's (`launch --dry-run` only reads).
    const role = neededRole(spec, command.flags);
    const asked = spec.flags.filter((f) => f.role && flagGiven(command.flags, f.name));
    const named = [command.name, ...asked.map((f) => `--${f.name}`)].join(' ');
    const what = `run ${named}${fleet ? ` for ${fleet.name}` : ''}`;
    // Without a fleet (`status`, `fleets`), a role granted on any one fleet is enough:
    // the handler then shows only the fleets the actor may see.
    const anyFleet = fleet
      ? undefined
      : [...ops.config.fleets.values()].find((f) => atLeast(roleOf(ops.config, who, f), role));
    requireRole(ops.config, who, role, what, fleet ?? anyFleet);
    if (fleet) requireChannel(fleet, command.channel);
    const limit = spec.limit ?? asked.find((f) => f.limit)?.limit;
    if (limit) {
      const wait = limiter(ops, limit).take(command.actor);
      if (wait > 0)
        throw new RateLimitedError(
          `${command.actor} asked for ${named} ${RATES[limit].perMinute} times a minute, Otto's limit per person: the managers' SSH sessions are shared with launches. Nothing was run.`,
          `Try again in ${wait} s.`,
        );
    }
    const ctx: Context = {
      command,
      ops,
      progress: options.progress ?? (() => {}),
      stream: options.stream,
      signal: options.signal,
      readSecret: options.readSecret,
      confirm: options.confirm,
      onDeployment: options.onDeployment,
      role: (f) => roleOf(ops.config, who, f),
      authorize: (needed, action, f) => requireRole(ops.config, who, needed, action, f),
    };
    reply = await spec.handler(ctx);
  } catch (e) {
    reply = errorReply(e);
  }
  await audit(ops, text, source, fleet, reply, performance.now() - started);
  return reply;
}

async function audit(
  ops: Ops,
  text: string,
  source: Source,
  fleet: FleetConfig | undefined,
  reply: Reply,
  durationMs: number,
): Promise<void> {
  try {
    await ops.audit.record({
      actor: source.actor,
      platform: source.platform,
      channel: source.channel,
      command: text.trim(),
      fleet: fleet?.name ?? null,
      outcome: reply.outcome,
      summary: reply.text.split('\n')[0] ?? '',
      durationMs,
    });
  } catch (e) {
    console.error(
      `otto: could not write the audit log: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
