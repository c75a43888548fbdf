import type { Role } from '../config/config.js';
import { adoptCommand } from './adopt.js';
import { alertsCommand } from './alerts.js';
import { approveCommand, denyCommand } from './approve.js';
import { auditCommand } from './audit.js';
import { diffCommand } from './diff.js';
import { fleetsCommand } from './fleets.js';
import { historyCommand } from './history.js';
import { launchCommand } from './launch.js';
import { lockCommand, unlockCommand } from './lock.js';
import { logsCommand } from './logs.js';
import { logsStopCommand } from './follow.js';
import { restartCommand, scaleCommand } from './hands.js';
import { topCommand } from './top.js';
import { availabilityCommand, labelCommand, outpostsCommand } from './nodes.js';
import {
  doctorCommand,
  outpostAddCommand,
  outpostCancelCommand,
  outpostListCommand,
  outpostRemoveCommand,
} from './outposts.js';
import { rollbackCommand } from './rollback.js';
import {
  registryLoginCommand,
  secretListCommand,
  secretRekeyCommand,
  secretSetCommand,
} from './secrets.js';
import { silenceCommand } from './silence.js';
import { statusCommand } from './status.js';
import { previewsCommand } from './previews.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './tokens.js';
import type { RATES } from './rate-limit.js';
import type { Handler, Reply } from './types.js';
import { otto } from './voice.js';

/** `--ref` of a git fleet's `launch` and `diff`: checked by refFlag (ref-flag.ts). */
const REF_FLAG: FlagSpec = {
  name: 'ref',
  about: 'A git fleet: the branch, tag or commit to read (default: its tracked branch)',
  type: 'word',
  max: 200,
};

/** Discord draws these; the text parser counts them. */
export type ArgType = 'fleet' | 'service' | 'word' | 'words' | 'integer' | 'request';

/** One positional argument of a command, in the order the text command takes it. */
export interface ArgSpec {
  readonly name: string;
  /** What it is, in a few words (Discord shows it beside the option). */
  readonly about: string;
  /** `words` takes the rest of the line (a reason); `request` is an approval number. */
  readonly type: ArgType;
  readonly required?: boolean;
  /** Longest text (word types) or largest number (integer). */
  readonly max?: number;
}

/** One `--option value` of a command, or a `--switch` that takes no value. */
export interface FlagSpec {
  readonly name: string;
  readonly about: string;
  readonly type: 'integer' | 'word' | 'switch';
  readonly min?: number;
  readonly max?: number;
  /**
   * With this option given, the command needs this role instead of its own: a
   * `launch --dry-run` only reads, so a viewer may run it.
   */
  readonly role?: Role;
  /** A rate limit per person when the option is given (a dry run costs an SSH round). */
  readonly limit?: keyof typeof RATES;
}

/** How many words a `words` argument may take: a reason of a sentence or two. */
const REST_WORDS = 29;

export interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly example: string;
  /**
   * The arguments, declared once: the parser's counts, Discord's options and its
   * option-to-text mapping all come from this list.
   */
  readonly args: readonly ArgSpec[];
  /** The --options the command takes; any other is a usage error. */
  readonly flags: readonly FlagSpec[];
  /** The role the actor needs (for the command's fleet, when it has one). */
  readonly role: Role;
  /** Where the fleet the command acts on comes from: its first argument, or an approval request. */
  readonly fleetFrom?: 'arg' | 'approval';
  /** The first argument may instead be `#<request id>`, for the request's fleet. */
  readonly requestRef?: boolean;
  /** A costly read, limited per identity (see RATES). */
  readonly limit?: keyof typeof RATES;
  /** Reads a secret value typed on Otto's machine: refused in chat, left out of Discord. */
  readonly local?: boolean;
  /** Why a `local` command is refused in chat, when not for a secret: `prints …, so it is typed only on Otto's own machine`. */
  readonly localReason?: string;
  /**
   * A button's command (and a text command), not a Discord slash command: `logs stop`
   * would need a `/otto logs` group beside the `/otto logs` command.
   */
  readonly buttonOnly?: boolean;
  readonly handler: Handler;
}

/** The fewest and most positional words a command takes. */
export function argCounts(spec: CommandSpec): { min: number; max: number } {
  return {
    min: spec.args.filter((a) => a.required).length,
    max: spec.args.reduce((n, a) => n + (a.type === 'words' ? REST_WORDS : 1), 0),
  };
}

const fleet = (required = true): ArgSpec => ({
  name: 'fleet',
  about: 'The fleet (stack) in otto.yml',
  type: 'fleet',
  required,
});
const service: ArgSpec = { name: 'service', about: 'One service of the fleet', type: 'service' };
const request: ArgSpec = {
  name: 'request',
  about: 'The request number',
  type: 'request',
  required: true,
};
const reason = (about: string): ArgSpec => ({ name: 'reason', about, type: 'words', max: 200 });
const limitFlag = (max: number): FlagSpec => ({
  name: 'limit',
  about: `How many, newest first (at most ${max})`,
  type: 'integer',
  min: 1,
  max,
});

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  help: {
    usage: 'help',
    summary: 'what Otto can do',
    example: 'help',
    args: [{ name: 'command', about: 'A command to ask about', type: 'word', max: 20 }],
    flags: [],
    role: 'viewer',
    handler: async (ctx) =>
      helpReply(ctx.command.platform === 'cli' || ctx.command.platform === 'console'),
  },
  fleets: {
    usage: 'fleets',
    summary: "the configured fleets and their last launch, then the stacks Otto didn't launch",
    example: 'fleets',
    args: [],
    flags: [],
    role: 'viewer',
    handler: fleetsCommand,
  },
  status: {
    usage: 'status [fleet|stack]',
    summary: "telemetry: services, replicas, failing tasks, locks; stacks Otto didn't launch too",
    example: 'status myapp',
    args: [fleet(false)],
    flags: [],
    role: 'viewer',
    fleetFrom: 'arg',
    handler: statusCommand,
  },
  logs: {
    usage:
      'logs <fleet|stack> [service] [--tail N] [--since 10m] [--follow [--grep TEXT] [--for 10m]] [--cluster C]',
    summary:
      'recent transmissions (docker service logs) of a fleet or other stack; --follow streams live',
    example: 'logs myapp web --tail 100 --since 10m',
    args: [fleet(), service],
    flags: [
      { name: 'tail', about: 'Lines per service (default 50)', type: 'integer', min: 1, max: 1000 },
      { name: 'since', about: 'How far back: 10m, 2h, 1d, or a date', type: 'word', max: 40 },
      { name: 'follow', about: 'Stream new lines live, in a thread', type: 'switch' },
      {
        name: 'grep',
        about: 'With --follow: only lines holding this text',
        type: 'word',
        max: 100,
      },
      {
        name: 'for',
        about: 'With --follow: how long (default 10m, at most 1h)',
        type: 'word',
        max: 10,
      },
      {
        name: 'cluster',
        about: "A stack Otto didn't launch: the cluster, when several run one by that name",
        type: 'word',
        max: 63,
      },
    ],
    role: 'viewer',
    fleetFrom: 'arg',
    limit: 'logs',
    handler: logsCommand,
  },
  'logs stop': {
    usage: 'logs stop <id>',
    summary: 'end a live follow of transmissions (its Stop button)',
    example: 'logs stop 3',
    args: [{ name: 'id', about: 'The follow number', type: 'integer', required: true }],
    flags: [],
    role: 'viewer',
    buttonOnly: true,
    handler: logsStopCommand,
  },
  top: {
    usage: 'top <fleet> [service]',
    summary: 'gauges: CPU, memory, network and disk I/O per task and per service',
    example: 'top myapp',
    args: [fleet(), service],
    flags: [],
    role: 'viewer',
    fleetFrom: 'arg',
    limit: 'top',
    handler: topCommand,
  },
  restart: {
    usage: 'restart <fleet> <service>',
    summary: "restart a service's tasks one by one (a forced update); no new version",
    example: 'restart myapp web',
    args: [fleet(), { ...service, required: true }],
    flags: [],
    role: 'deployer',
    fleetFrom: 'arg',
    handler: restartCommand,
  },
  scale: {
    usage: 'scale <fleet> <service>=<replicas>',
    summary: 'set how many replicas a service runs (asks for approval when the fleet wants it)',
    example: 'scale myapp web=4',
    args: [
      fleet(),
      {
        name: 'replicas',
        about: 'service=replicas, e.g. web=4',
        type: 'word',
        required: true,
        max: 80,
      },
    ],
    flags: [],
    role: 'deployer',
    fleetFrom: 'arg',
    handler: scaleCommand,
  },
  history: {
    usage: 'history <fleet> [--limit N]',
    summary: 'the flight log of a fleet: versions, who, when, outcome',
    example: 'history myapp --limit 20',
    args: [fleet()],
    flags: [limitFlag(100)],
    role: 'viewer',
    fleetFrom: 'arg',
    handler: historyCommand,
  },
  diff: {
    usage: 'diff <fleet> [version] [version] [--ref <branch|tag|sha>] | diff #<request>',
    summary: 'what a launch (or a return to a version) would change, secrets masked',
    example: 'diff myapp 11',
    args: [
      fleet(),
      { name: 'from', about: 'Compare this version (default: the running one)', type: 'integer' },
      { name: 'to', about: 'With this one (default: the compose file)', type: 'integer' },
    ],
    flags: [REF_FLAG],
    role: 'viewer',
    fleetFrom: 'arg',
    requestRef: true,
    handler: diffCommand,
  },
  launch: {
    usage: 'launch <fleet> [service=image-or-tag …] [--ref <branch|tag|sha>] [--dry-run]',
    summary:
      'deploy a fleet and wait until it is in orbit; --dry-run shows what would be sent, deploying nothing',
    example: 'launch myapp',
    args: [
      fleet(),
      {
        name: 'images',
        about: 'Images for this launch only, as service=tag or service=image (web=1.4.2)',
        type: 'words',
        max: 1000,
      },
    ],
    flags: [
      {
        name: 'dry-run',
        about: 'Show the rendered file, the changes and what Docker says of it; deploy nothing',
        type: 'switch',
        role: 'viewer',
        limit: 'dryRun',
      },
      REF_FLAG,
    ],
    role: 'deployer',
    fleetFrom: 'arg',
    handler: launchCommand,
  },
  rollback: {
    usage: 'rollback <fleet> [version]',
    summary: 'return to base: re-launch an earlier good version (asks for approval)',
    example: 'rollback myapp 11',
    args: [
      fleet(),
      {
        name: 'version',
        about: 'The version to return to (default: the last good one)',
        type: 'integer',
      },
    ],
    flags: [],
    role: 'deployer',
    fleetFrom: 'arg',
    handler: rollbackCommand,
  },
  approve: {
    usage: 'approve <request>',
    summary: 'approve a rollback or launch request (a second person)',
    example: 'approve 42',
    args: [request],
    flags: [],
    role: 'approver',
    fleetFrom: 'approval',
    handler: approveCommand,
  },
  deny: {
    usage: 'deny <request> [reason]',
    summary: 'turn a request down (approver), or withdraw your own; it will not run',
    example: 'deny 42 wrong version',
    args: [request, reason('Why')],
    flags: [],
    // Approvers deny; the requester, a deployer, may withdraw their own (checked in the handler).
    role: 'deployer',
    fleetFrom: 'approval',
    handler: denyCommand,
  },
  lock: {
    usage: 'lock <fleet> [reason]',
    summary: 'freeze launches, rollbacks, restarts and scales of a fleet',
    example: 'lock myapp database migration',
    args: [fleet(), reason('Why, for the others')],
    flags: [],
    role: 'deployer',
    fleetFrom: 'arg',
    handler: lockCommand,
  },
  unlock: {
    usage: 'unlock <fleet>',
    summary: 'lift a lock (its holder, or an admin)',
    example: 'unlock myapp',
    args: [fleet()],
    flags: [],
    role: 'deployer',
    fleetFrom: 'arg',
    handler: unlockCommand,
  },
  alerts: {
    usage: 'alerts',
    summary: 'open incidents: unhealthy services, nodes down, clusters out of reach',
    example: 'alerts',
    args: [],
    flags: [],
    role: 'viewer',
    handler: alertsCommand,
  },
  silence: {
    usage: 'silence <fleet> [service] <duration|off>',
    summary: "mute a fleet's (or a service's) alerts for a while; off lifts it",
    example: 'silence myapp web 1h',
    args: [
      fleet(),
      { ...service, about: 'Only this service' },
      {
        name: 'duration',
        about: 'How long: 30m, 1h, 1d; or off to lift it',
        type: 'word',
        required: true,
        max: 10,
      },
    ],
    flags: [],
    role: 'deployer',
    fleetFrom: 'arg',
    handler: silenceCommand,
  },
  audit: {
    usage: 'audit [fleet] [--limit N]',
    summary: 'every command run: who, where, what, outcome (all fleets: admin)',
    example: 'audit myapp --limit 50',
    args: [fleet(false)],
    flags: [limitFlag(500)],
    role: 'viewer',
    fleetFrom: 'arg',
    handler: auditCommand,
  },
  outposts: {
    usage: 'outposts [cluster]',
    summary: 'every node of a cluster: role, leader, availability, state, engine, labels, tasks',
    example: 'outposts prod',
    args: [{ name: 'cluster', about: 'The cluster in otto.yml (default: all)', type: 'word' }],
    flags: [],
    role: 'viewer',
    handler: outpostsCommand,
  },
  'outpost drain': {
    usage: 'outpost drain <cluster> <node>',
    summary:
      "move a node's tasks to other nodes and send it no new ones (every fleet of the cluster)",
    example: 'outpost drain prod worker-2',
    args: [
      { name: 'cluster', about: 'The cluster in otto.yml', type: 'word', required: true },
      { name: 'node', about: 'The node: its hostname or id', type: 'word', required: true },
    ],
    flags: [],
    role: 'admin',
    handler: availabilityCommand('drain'),
  },
  'outpost activate': {
    usage: 'outpost activate <cluster> <node>',
    summary: 'let Swarm place tasks on a drained node again',
    example: 'outpost activate prod worker-2',
    args: [
      { name: 'cluster', about: 'The cluster in otto.yml', type: 'word', required: true },
      { name: 'node', about: 'The node: its hostname or id', type: 'word', required: true },
    ],
    flags: [],
    role: 'admin',
    handler: availabilityCommand('active'),
  },
  'outpost label': {
    usage: 'outpost label <cluster> <node> <key=value|key->',
    summary: 'set a node label for placement constraints, or remove one with key-',
    example: 'outpost label prod worker-2 disk=ssd',
    args: [
      { name: 'cluster', about: 'The cluster in otto.yml', type: 'word', required: true },
      { name: 'node', about: 'The node: its hostname or id', type: 'word', required: true },
      { name: 'label', about: 'key=value, or key- to remove it', type: 'word', required: true },
    ],
    flags: [],
    role: 'admin',
    handler: labelCommand,
  },
  'outpost add': {
    usage:
      'outpost add <cluster> <host> [--user U] [--port N] [--key FILE] [--role manager|worker] [--fingerprint SHA256:…] [--yes]',
    summary:
      'set up a server as a node of the cluster: preflight, Docker, Swarm, ingress (shows its host key to confirm first)',
    example: 'outpost add prod 203.0.113.5 --user deploy',
    args: [
      { name: 'cluster', about: 'The cluster in otto.yml', type: 'word', required: true },
      {
        name: 'host',
        about: 'The server: a host name or IP address',
        type: 'word',
        required: true,
      },
    ],
    flags: [
      { name: 'user', about: 'SSH user (default: the cluster managers’ user)', type: 'word' },
      { name: 'port', about: 'SSH port (default 22)', type: 'integer', min: 1, max: 65535 },
      { name: 'key', about: 'Private key file on Otto’s machine (console only)', type: 'word' },
      {
        name: 'role',
        about: 'manager or worker (default: manager first, then worker)',
        type: 'word',
      },
      { name: 'fingerprint', about: 'The host key to expect: SHA256:…', type: 'word' },
      { name: 'yes', about: 'Trust the host key on first use without asking', type: 'switch' },
    ],
    role: 'admin',
    handler: outpostAddCommand,
  },
  'outpost cancel': {
    usage: 'outpost cancel <cluster> <host>',
    summary: 'the Cancel button of a host key shown by outpost add: changes nothing',
    example: 'outpost cancel prod 203.0.113.5',
    args: [
      { name: 'cluster', about: 'The cluster in otto.yml', type: 'word', required: true },
      { name: 'host', about: 'The server', type: 'word', required: true },
    ],
    flags: [],
    role: 'admin',
    handler: outpostCancelCommand,
  },
  'outpost remove': {
    usage: 'outpost remove <cluster> <node>',
    summary:
      'take a node out: drain, wait for its tasks to move, leave, remove (never the last manager)',
    example: 'outpost remove prod worker-2',
    args: [
      { name: 'cluster', about: 'The cluster in otto.yml', type: 'word', required: true },
      { name: 'node', about: 'The node: its hostname or id', type: 'word', required: true },
    ],
    flags: [],
    role: 'admin',
    handler: outpostRemoveCommand,
  },
  doctor: {
    usage: 'doctor [cluster]',
    summary: 'a check-up: the preflight again for every outpost Otto added, and the ingress',
    example: 'doctor prod',
    args: [{ name: 'cluster', about: 'The cluster in otto.yml (default: all)', type: 'word' }],
    flags: [],
    role: 'admin',
    handler: doctorCommand,
  },
  'outpost list': {
    usage: 'outpost list [cluster]',
    summary: 'the servers Otto added to clusters, as recorded',
    example: 'outpost list prod',
    args: [{ name: 'cluster', about: 'The cluster in otto.yml', type: 'word' }],
    flags: [],
    role: 'viewer',
    handler: outpostListCommand,
  },
  previews: {
    usage: 'previews [fleet]',
    summary: 'the live pull request previews: domain, commit, expiry',
    example: 'previews shop',
    args: [fleet(false)],
    flags: [],
    role: 'viewer',
    fleetFrom: 'arg',
    handler: previewsCommand,
  },
  adopt: {
    usage: 'adopt <stack> [--cluster C] [--write DIR]',
    summary:
      "hand a stack Otto didn't launch to Otto: its otto.yml lines and a compose file rebuilt from what runs (admin; console and otto CLI)",
    example: 'adopt legacy --write stacks',
    args: [
      {
        name: 'stack',
        about: "A stack on the Swarm that Otto didn't launch",
        type: 'word',
        required: true,
        max: 63,
      },
    ],
    flags: [
      {
        name: 'cluster',
        about: 'The cluster that runs it, when several run one by that name',
        type: 'word',
      },
      {
        name: 'write',
        about: 'Write the compose file as DIR/<stack>.yml (a new file only; never otto.yml)',
        type: 'word',
      },
    ],
    role: 'admin',
    local: true,
    localReason:
      "prints a stack's whole configuration, environment values included, and may write files",
    handler: adoptCommand,
  },
  'token create': {
    usage: 'token create <name> [--role viewer|deployer|approver|admin] [--fleet shop,web]',
    summary: "an HTTP API token for CI, shown once (Otto's machine only)",
    example: 'token create github-ci --role deployer --fleet shop',
    args: [{ name: 'name', about: 'The token name: token:<name>', type: 'word', required: true }],
    flags: [
      { name: 'role', about: 'What it may do (default deployer)', type: 'word' },
      { name: 'fleet', about: 'The fleets it may act on, comma-separated', type: 'word' },
    ],
    role: 'admin',
    local: true,
    handler: tokenCreateCommand,
  },
  'token list': {
    usage: 'token list',
    summary: 'the HTTP API tokens, their roles and last use; never a token',
    example: 'token list',
    args: [],
    flags: [],
    role: 'admin',
    handler: tokenListCommand,
  },
  'token revoke': {
    usage: 'token revoke <name>',
    summary: 'an HTTP API token stops working at once',
    example: 'token revoke github-ci',
    args: [{ name: 'name', about: 'The token name', type: 'word', required: true }],
    flags: [],
    role: 'admin',
    handler: tokenRevokeCommand,
  },
  'secret set': {
    usage: 'secret set <fleet> <NAME>',
    summary: "store a secret, encrypted; the value is read from stdin (Otto's machine only)",
    example: 'secret set myapp API_KEY',
    args: [
      fleet(),
      { name: 'name', about: 'The ${NAME} in the compose file', type: 'word', required: true },
    ],
    flags: [],
    role: 'admin',
    fleetFrom: 'arg',
    local: true,
    handler: secretSetCommand,
  },
  'secret list': {
    usage: 'secret list <fleet>',
    summary: "the names of a fleet's secrets and when they were set; never values",
    example: 'secret list myapp',
    args: [fleet()],
    flags: [],
    role: 'deployer',
    fleetFrom: 'arg',
    local: true,
    handler: secretListCommand,
  },
  'secret rekey': {
    usage: 'secret rekey',
    summary: 'move every secret to a new key, read from stdin or made by Otto',
    example: 'secret rekey',
    args: [],
    flags: [],
    role: 'admin',
    local: true,
    handler: secretRekeyCommand,
  },
  'registry login': {
    usage: 'registry login <cluster> <registry> <username>',
    summary:
      "store registry credentials, encrypted; the password is read from stdin (Otto's machine only)",
    example: 'registry login prod ghcr.io deploy-bot',
    args: [
      { name: 'cluster', about: 'The cluster in otto.yml', type: 'word', required: true },
      { name: 'registry', about: 'host[:port], e.g. ghcr.io', type: 'word', required: true },
      { name: 'username', about: 'The registry user', type: 'word', required: true },
    ],
    flags: [],
    role: 'admin',
    local: true,
    handler: registryLoginCommand,
  },
};

/** Every command, with an example; on Otto's machine also those that read a typed secret. */
export function helpReply(local = false): Reply {
  return {
    outcome: 'ok',
    text: `${otto.prefix} Otto at Mission Control. Commands:`,
    fields: Object.values(COMMANDS)
      .filter((c) => local || !c.local)
      .map((c) => ({
        label: c.usage,
        value: `${c.summary} · e.g. ${c.example}`,
      })),
  };
}
