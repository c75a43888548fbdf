import { closest, distance } from 'fastest-levenshtein';
import { dirname, isAbsolute, relative } from 'node:path';
import { CHANNEL, FLEET_NAME, type FleetConfig, type OttoConfig } from '../config/config.js';
import { NotFoundError, OttoError, UsageError } from '../errors.js';
import { commitLine, type FleetCompose } from '../ops/fleet-source.js';
import { displayRepo } from '../ops/git-repos.js';
import type { Ops } from '../ops/ops.js';
import { stackNames, stackNameSchema, stackStatus } from '../swarm/stacks.js';
import type { FleetStatus } from '../swarm/status.js';
import { INGRESS_STACK } from '../swarm/ingress.js';
import { atLeast, roleOf, type Who } from './access.js';
import { findCluster } from './cluster-lookup.js';
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

/* ---- Stacks Otto didn't launch ---- */

/**
 * Whether `who` may see the stacks Otto didn't launch: they belong to no fleet, so the
 * viewer role outside any fleet (`access:`) is needed; a role on one fleet is not enough.
 */
export function mayViewStacks(config: OttoConfig, who: Who): boolean {
  return atLeast(roleOf(config, who), 'viewer');
}

/** Stacks Otto launched that are not fleets of otto.yml: the live pull request previews. */
export async function previewStacks(ops: Pick<Ops, 'previews'>): Promise<string[]> {
  return (await ops.previews.list()).map((p) => p.fleet);
}

/** A stack Otto didn't launch, where it runs and what it runs. */
export interface FoundStack {
  readonly cluster: string;
  readonly status: FleetStatus;
}

/** A stack name from chat or the command line, checked as Docker names stacks. */
export function stackArg(name: string | undefined, example: string): string {
  const parsed = stackNameSchema.safeParse(name ?? '');
  if (!parsed.success)
    throw new UsageError(
      name
        ? `"${name.slice(0, 64)}" is not a stack name: ${parsed.error.issues[0]?.message ?? 'invalid'}.`
        : `Which stack? Name one, for example: ${example}`,
      'Type status to see the fleets and the stacks that run.',
    );
  return parsed.data;
}

/**
 * Finds the stack `name` (not a fleet of otto.yml) on every cluster, or on `cluster`:
 * one `docker service ls` filtered on its label per cluster, all at once. When no
 * cluster runs it, a NotFoundError names the closest fleet or stack and lists the
 * stacks that run (a `docker stack ls` per cluster, only then).
 *
 * @example await findStacks(ctx, 'legacy') // [{ cluster: 'local', status: { fleet: 'legacy', services: [...] } }]
 */
export async function findStacks(
  ctx: Context,
  name: string,
  cluster?: string,
): Promise<FoundStack[]> {
  const { ops } = ctx;
  const clusters = cluster ? [findCluster(ops, cluster).name] : [...ops.config.clusters.keys()];
  const skip = new Set([...(await previewStacks(ops)), INGRESS_STACK]);
  const isFleetOn = (c: string) => ops.config.fleets.get(name)?.cluster === c;
  type Read = { cluster: string; status?: FleetStatus; error?: OttoError };
  const reads = await Promise.all(
    clusters.map(async (c): Promise<Read> => {
      if (skip.has(name) || isFleetOn(c)) return { cluster: c };
      try {
        return {
          cluster: c,
          status: await stackStatus(ops.transport(c), name, { signal: ctx.signal }),
        };
      } catch (e) {
        if (!(e instanceof OttoError)) throw e;
        return { cluster: c, error: e };
      }
    }),
  );
  const found = reads.flatMap((r) =>
    r.status && r.status.services.length ? [{ cluster: r.cluster, status: r.status }] : [],
  );
  if (found.length) return found;
  const failed = reads.flatMap((r) => (r.error ? [{ cluster: r.cluster, error: r.error }] : []));
  const listed = await Promise.all(
    reads
      .filter((r) => !r.error)
      .map(async (r) => {
        const names = await stackNames(ops.transport(r.cluster), { signal: ctx.signal }).catch(
          () => [],
        );
        return names.filter((s) => !skip.has(s) && !isFleet(ops, s, r.cluster));
      }),
  );
  const stacks = [...new Set(listed.flat())].sort();
  const fleets = fleetsVisibleTo(ops.config, ctx.command, ctx.command.channel).map((f) => f.name);
  const s = suggest(name, [...fleets, ...stacks]);
  const where = cluster ? ` on cluster ${cluster}` : '';
  const first = failed[0];
  const unread = first
    ? ` Otto couldn't look for a stack of that name on cluster ${failed.map((f) => f.cluster).join(', ')}: ${first.error.message}`
    : '';
  throw new NotFoundError(
    `There is no ${failed.length === reads.length ? 'fleet' : 'fleet or stack'} named ${name}${where}.${s ? ` Did you mean ${s}?` : ''}${unread}`,
    [
      unknownFleetFix(ops, fleets, true),
      stacks.length ? `Stacks Otto didn't launch: ${stacks.join(', ')}.` : '',
    ]
      .filter(Boolean)
      .join(' '),
  );
}

const isFleet = (ops: Pick<Ops, 'config'>, name: string, cluster: string) =>
  ops.config.fleets.get(name)?.cluster === cluster;

/** The one stack of `found`; when several clusters run one by that name, which to name. */
export function oneStack(found: readonly FoundStack[], again: string): FoundStack {
  if (found.length === 1) return found[0]!;
  const clusters = found.map((f) => f.cluster);
  throw new UsageError(
    `A stack named ${found[0]?.status.fleet ?? ''} runs on ${clusters.length} clusters: ${clusters.join(', ')}.`,
    `Name the cluster: ${again} --cluster ${clusters[0]}`,
  );
}
