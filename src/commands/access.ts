import { CHANNEL, type FleetConfig, type OttoConfig, type Role } from '../config/config.js';
import { RefusedError } from '../errors.js';
import type { CommandSpec } from './catalog.js';

const RANK: Readonly<Record<Role, number>> = {
  none: 0,
  viewer: 1,
  deployer: 2,
  approver: 3,
  admin: 4,
};

/** What an API token may do, as stored with it: its role, on these fleets only (all when unset). */
export interface Grant {
  readonly role: Role;
  readonly fleets?: readonly string[] | undefined;
}

/** Who is asking: their own identity and the groups or roles the platform says they hold. */
export interface Who {
  readonly actor: string;
  readonly groups: readonly string[];
  /** An API token's grant: it adds to the `access:` entries, and its fleets limit both. */
  readonly grant?: Grant | undefined;
}

export function atLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/**
 * Whether the option `name` was given. The role check and the handler both ask
 * this, so an option that lowers the role (`--dry-run`) is on exactly when it let
 * the actor in.
 */
export function flagGiven(flags: Readonly<Record<string, string>>, name: string): boolean {
  return Object.hasOwn(flags, name);
}

/**
 * The role a command needs with the options given: its own, or the role an option
 * that only reads asks instead (`launch --dry-run`: viewer). With several such
 * options, the highest of their roles.
 *
 * @example neededRole(COMMANDS['launch']!, { 'dry-run': 'true' }) // 'viewer'
 */
export function neededRole(
  spec: Pick<CommandSpec, 'role' | 'flags'>,
  flags: Readonly<Record<string, string>>,
): Role {
  const roles = spec.flags.flatMap((f) => (f.role && flagGiven(flags, f.name) ? [f.role] : []));
  if (roles.length === 0) return spec.role;
  return roles.reduce((a, b) => (atLeast(a, b) ? a : b));
}

/** `slack:*` matches every `slack:` identity; anything else matches itself. */
function matches(key: string, id: string): boolean {
  return key.endsWith(':*') ? id.startsWith(key.slice(0, -1)) : key === id;
}

/**
 * The identity → role entries that apply: the global `access:`, then the fleet's
 * entries replacing those with the same identity. The local console operator is
 * admin unless `access:` names some console identity.
 */
function entries(config: OttoConfig, fleet: FleetConfig | undefined): Map<string, Role> {
  const all = new Map(config.access);
  if (![...all.keys()].some((k) => k.startsWith('console:'))) all.set('console:*', 'admin');
  for (const [k, v] of fleet?.access ?? []) all.set(k, v);
  return all;
}

/** The highest role among the entries that match the actor or one of their groups. */
export function roleOf(config: OttoConfig, who: Who, fleet?: FleetConfig): Role {
  // A token limited to some fleets has no role anywhere else, whatever access: says.
  const scope = who.grant?.fleets;
  if (scope && (!fleet || !scope.includes(fleet.name))) return 'none';
  const ids = [who.actor, ...who.groups];
  let best: Role = who.grant?.role ?? 'none';
  for (const [key, role] of entries(config, fleet)) {
    if (RANK[role] > RANK[best] && ids.some((id) => matches(key, id))) best = role;
  }
  return best;
}

/** Throws RefusedError, saying what to add to otto.yml, unless `who` has `needed`. */
export function requireRole(
  config: OttoConfig,
  who: Who,
  needed: Role,
  what: string,
  fleet?: FleetConfig,
): void {
  const role = roleOf(config, who, fleet);
  if (atLeast(role, needed)) return;
  const where = fleet?.access.size ? `access: (or fleets.${fleet.name}.access:)` : 'access:';
  if (role === 'none') {
    throw new RefusedError(
      `Otto doesn't know ${who.actor} yet, so it can't ${what}. Nothing was changed.`,
      `An admin can add \`${who.actor}: ${needed}\` under ${where} in otto.yml.`,
    );
  }
  throw new RefusedError(
    `${who.actor} can't ${what}: that needs the ${needed} role${fleet ? ` for ${fleet.name}` : ''}, and ${who.actor} has ${role}. Nothing was changed.`,
    `An admin can raise it with \`${who.actor}: ${needed}\` under ${where} in otto.yml.`,
  );
}

/**
 * `fleets.<name>.channels` limits the chat channels that may run commands for a
 * fleet. The console and `otto say` (channel `console`, `cli`) are always local.
 * The refusal does not name the allowed channels: whoever is refused may not know
 * them (a private channel's name is news too), so it says whom to ask.
 */
export function requireChannel(fleet: FleetConfig, channel: string): void {
  if (!fleet.channels || !CHANNEL.test(channel) || fleet.channels.includes(channel)) return;
  throw new RefusedError(
    `${fleet.name} is not available from this channel (${channel}). Nothing was changed.`,
    `Ask an admin which channel takes commands for ${fleet.name}: they are listed under fleets.${fleet.name}.channels in otto.yml.`,
  );
}
