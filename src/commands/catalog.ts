import type { Role } from '../config/config.js';
import { alertsCommand } from './alerts.js';
import { approveCommand, denyCommand } from './approve.js';
import { auditCommand } from './audit.js';
import { diffCommand } from './diff.js';
import { fleetsCommand } from './fleets.js';
import { historyCommand } from './history.js';
import { launchCommand } from './launch.js';
import { lockCommand, unlockCommand } from './lock.js';
import { logsCommand } from './logs.js';
import { rollbackCommand } from './rollback.js';
import { silenceCommand } from './silence.js';
import { statusCommand } from './status.js';
import type { RATES } from './rate-limit.js';
import type { Handler, Reply } from './types.js';
import { otto } from './voice.js';

export interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly example: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** The --options the command takes; any other is a usage error. */
  readonly flags?: readonly string[];
  /** The role the actor needs (for the command's fleet, when it has one). */
  readonly role: Role;
  /** Where the fleet the command acts on comes from: its first argument, or an approval request. */
  readonly fleetFrom?: 'arg' | 'approval';
  /** The first argument may instead be `#<request id>`, for the request's fleet. */
  readonly requestRef?: boolean;
  /** A costly read, limited per identity (see RATES). */
  readonly limit?: keyof typeof RATES;
  readonly handler: Handler;
}

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  help: {
    usage: 'help',
    summary: 'what Otto can do',
    example: 'help',
    minArgs: 0,
    maxArgs: 1,
    role: 'viewer',
    handler: async () => helpReply(),
  },
  fleets: {
    usage: 'fleets',
    summary: 'the configured fleets and their last launch',
    example: 'fleets',
    minArgs: 0,
    maxArgs: 0,
    role: 'viewer',
    handler: fleetsCommand,
  },
  status: {
    usage: 'status [fleet]',
    summary: 'telemetry: services, replicas, failing tasks, locks',
    example: 'status myapp',
    minArgs: 0,
    maxArgs: 1,
    role: 'viewer',
    fleetFrom: 'arg',
    handler: statusCommand,
  },
  logs: {
    usage: 'logs <fleet> [service] [--tail N] [--since 10m]',
    summary: 'recent transmissions (docker service logs)',
    example: 'logs myapp web --tail 100 --since 10m',
    minArgs: 1,
    maxArgs: 2,
    flags: ['tail', 'since'],
    role: 'viewer',
    fleetFrom: 'arg',
    limit: 'logs',
    handler: logsCommand,
  },
  history: {
    usage: 'history <fleet> [--limit N]',
    summary: 'the flight log of a fleet: versions, who, when, outcome',
    example: 'history myapp --limit 20',
    minArgs: 1,
    maxArgs: 1,
    flags: ['limit'],
    role: 'viewer',
    fleetFrom: 'arg',
    handler: historyCommand,
  },
  diff: {
    usage: 'diff <fleet> [version] [version] | diff #<request>',
    summary: 'what a launch (or a return to a version) would change, secrets masked',
    example: 'diff myapp 11',
    minArgs: 1,
    maxArgs: 3,
    role: 'viewer',
    fleetFrom: 'arg',
    requestRef: true,
    handler: diffCommand,
  },
  launch: {
    usage: 'launch <fleet>',
    summary: 'deploy a fleet and wait until it is in orbit',
    example: 'launch myapp',
    minArgs: 1,
    maxArgs: 1,
    role: 'deployer',
    fleetFrom: 'arg',
    handler: launchCommand,
  },
  rollback: {
    usage: 'rollback <fleet> [version]',
    summary: 'return to base: re-launch an earlier good version (asks for approval)',
    example: 'rollback myapp 11',
    minArgs: 1,
    maxArgs: 2,
    role: 'deployer',
    fleetFrom: 'arg',
    handler: rollbackCommand,
  },
  approve: {
    usage: 'approve <request>',
    summary: 'approve a rollback or launch request (a second person)',
    example: 'approve 42',
    minArgs: 1,
    maxArgs: 1,
    role: 'approver',
    fleetFrom: 'approval',
    handler: approveCommand,
  },
  deny: {
    usage: 'deny <request> [reason]',
    summary: 'turn a request down (approver), or withdraw your own; it will not run',
    example: 'deny 42 wrong version',
    minArgs: 1,
    maxArgs: 30,
    // Approvers deny; the requester, a deployer, may withdraw their own (checked in the handler).
    role: 'deployer',
    fleetFrom: 'approval',
    handler: denyCommand,
  },
  lock: {
    usage: 'lock <fleet> [reason]',
    summary: 'freeze launches and rollbacks of a fleet',
    example: 'lock myapp database migration',
    minArgs: 1,
    maxArgs: 30,
    role: 'deployer',
    fleetFrom: 'arg',
    handler: lockCommand,
  },
  unlock: {
    usage: 'unlock <fleet>',
    summary: 'lift a lock (its holder, or an admin)',
    example: 'unlock myapp',
    minArgs: 1,
    maxArgs: 1,
    role: 'deployer',
    fleetFrom: 'arg',
    handler: unlockCommand,
  },
  alerts: {
    usage: 'alerts',
    summary: 'open incidents: unhealthy services, nodes down, clusters out of reach',
    example: 'alerts',
    minArgs: 0,
    maxArgs: 0,
    role: 'viewer',
    handler: alertsCommand,
  },
  silence: {
    usage: 'silence <fleet> [service] <duration|off>',
    summary: "mute a fleet's (or a service's) alerts for a while; off lifts it",
    example: 'silence myapp web 1h',
    minArgs: 2,
    maxArgs: 3,
    role: 'deployer',
    fleetFrom: 'arg',
    handler: silenceCommand,
  },
  audit: {
    usage: 'audit [fleet] [--limit N]',
    summary: 'every command run: who, where, what, outcome (all fleets: admin)',
    example: 'audit myapp --limit 50',
    minArgs: 0,
    maxArgs: 1,
    flags: ['limit'],
    role: 'viewer',
    fleetFrom: 'arg',
    handler: auditCommand,
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
