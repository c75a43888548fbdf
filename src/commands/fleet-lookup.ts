import { closest, distance } from 'fastest-levenshtein';
import { dirname, isAbsolute, relative } from 'node:path';
import { CHANNEL, FLEET_NAME, type FleetConfig, type OttoConfig } from '../config/config.js';
import { NotFoundError, UsageError } from '../errors.js';
import { commitLine, type FleetCompose } from '../ops/fleet-source.js';
import { displayRepo } from '../ops/git-repos.js';
import type { Ops } from '../ops/ops.js';
import { atLeast, roleOf, type Who } from './access.js';
import type { Context } from './types.js';
import { otto } from './voice.js';

/** The closest of `names` to `name`, if it is close enough to be a typo. */
export function suggest(name: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const best = closest(name, [...names]);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Who asks, and from which channel: a `Command` is one. */
export interface Asker extends Who {
  readonly channel: string;
}

/**
 * Finds a fleet by name, or explains what exists. An unknown name is answered with
 * the closest fleet and the list of fleets `asker` may view from their channel, and
 * no others: a chat handler passes `ctx.command`. `'operator'` names every fleet,
 * which suits only trusted local callers (the `otto secret` CLI, who can read otto.yml).
 *
 * @example findFleet(ctx.ops, 'shp', ctx.command) // NotFoundError: "Did you mean shop?"
 */
export function findFleet(
  ops: Ops,
  name: string | undefined,
  asker: Asker | 'operator',
): FleetConfig {
  if (!name)
    throw new UsageError(
      'Which fleet? Name one, for example: launch myapp',
      'Type fleets to list them.',
    );
  if (!FLEET_NAME.test(name)) {
    throw new UsageError(
      `"${name.slice(0, 64)}" is not a fleet name: fleet names use a-z, 0-9 and -, starting with a letter or digit.`,
      'Type fleets to list them.',
    );
  }
  const fleet = ops.config.fleets.get(name);
  if (fleet) return fleet;
  const names = (
    asker === 'operator'
      ? [...ops.config.fleets.values()]
      : fleetsVisibleTo(ops.config, asker, asker.channel)
  ).map((f) => f.name);
  throw new NotFoundError(
    otto.unknownFleet(name, suggest(name, names)),
    unknownFleetFix(ops, names, asker !== 'operator'),
  );
}

function unknownFleetFix(ops: Ops, names: readonly string[], filtered: boolean): string {
  if (names.length)
    return `${filtered ? 'Fleets you can see from here' : 'Known fleets'}: ${names.join(', ')}.`;
  if (ops.config.fleets.size === 0) return 'Add fleets under fleets: in otto.yml.';
  return 'No fleet is open to you from this channel: ask an admin which fleets and channels you may use.';
}

/** Fleets grouped by the cluster they run on. */
export function byCluster<F extends Pick<FleetConfig, 'cluster'>>(
  fleets: Iterable<F>,
): Map<string, F[]> {
  const groups = new Map<string, F[]>();
  for (const f of fleets) groups.set(f.cluster, [...(groups.get(f.cluster) ?? []), f]);
  return groups;
}

/** The fleet's compose services, after checking that `wanted` (when given) is one of them. */
export async function fleetServicesWith(
  ops: Pick<Ops, 'sources'>,
  fleet: FleetConfig,
  wanted: string | undefined,
): Promise<string[]> {
  const known = await ops.sources.services(fleet);
  if (wanted && !known.includes(wanted)) {
    const s = suggest(wanted, known);
    throw new NotFoundError(
      `Fleet ${fleet.name} has no service named ${wanted.slice(0, 64)}.${s ? ` Did you mean ${s}?` : ''}`,
      `Its services: ${known.join(', ')}.`,
    );
  }
  return known;
}

/** The fleets `who` may view from `channel` (for `status`, `fleets` and autocomplete). */
export function fleetsVisibleTo(config: OttoConfig, who: Who, channel: string): FleetConfig[] {
  return [...config.fleets.values()].filter(
    (f) =>
      atLeast(roleOf(config, who, f), 'viewer') &&
      (!f.channels || !CHANNEL.test(channel) || f.channels.includes(channel)),
  );
}

/** The fleets the actor may view from the command's channel. */
export function visibleFleets(ctx: Context): FleetConfig[] {
  return fleetsVisibleTo(ctx.ops.config, ctx.command, ctx.command.channel);
}

/** A fleet's compose file as people read it: relative to otto.yml when it lies below it. */
export function displayPath(config: OttoConfig, file: string): string {
  const rel = relative(config.path ? dirname(config.path) : process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * Where a fleet's compose comes from, as people read it: `stacks/shop.yml`, or
 * `github.com/acme/shop.git (main)` for a git fleet.
 */
export function sourceLabel(config: OttoConfig, fleet: FleetConfig): string {
  const s = fleet.source;
  if (s.kind === 'file') return displayPath(config, s.path);
  return `${displayRepo(s.repo)}${s.path ? `:${s.path}` : ''}${s.ref ? ` (${s.ref})` : ''}`;
}

/** A compose as read, as people name it: the file, or `repo:path at a1b2c3d (main) “subject”`. */
export function readLabel(config: OttoConfig, read: Pick<FleetCompose, 'label' | 'commit'>) {
  return read.commit
    ? `${read.label} at ${commitLine(read.commit)}`
    : displayPath(config, read.label);
}
