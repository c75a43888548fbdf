import { UsageError } from '../errors.js';
import { checkField, type Chat, type Field } from './fields.js';

/** The command line's values for `otto init`, as parseArgs reads them. */
export interface RawInitFlags {
  readonly file?: string | undefined;
  readonly config?: string | undefined;
  readonly 'cluster-name'?: string | undefined;
  readonly local?: boolean | undefined;
  readonly host?: string | undefined;
  readonly user?: string | undefined;
  readonly port?: string | undefined;
  readonly key?: string | undefined;
  readonly fingerprint?: string | undefined;
  readonly 'docker-host'?: string | undefined;
  readonly compose?: string | undefined;
  readonly example?: boolean | undefined;
  readonly fleet?: readonly string[] | undefined;
  readonly chat?: string | undefined;
  readonly 'discord-app-id'?: string | undefined;
  readonly yes?: boolean | undefined;
}

/** `otto init`'s flags, checked: each one answers a question, which is then not asked. */
export interface InitFlags {
  /** Where otto.yml goes, as given (default `otto.yml`). */
  readonly file: string;
  readonly clusterName?: string | undefined;
  readonly local: boolean;
  readonly host?: string | undefined;
  readonly user?: string | undefined;
  readonly port?: number | undefined;
  readonly key?: string | undefined;
  readonly fingerprint?: string | undefined;
  readonly dockerHost?: string | undefined;
  readonly compose?: string | undefined;
  readonly example: boolean;
  readonly fleet?: string | undefined;
  readonly chat?: Chat | undefined;
  readonly discordAppId?: string | undefined;
  /** Trust the host key on first use, without asking. */
  readonly yes: boolean;
}

export const INIT_USAGE =
  'Usage: otto init [--file otto.yml] [--cluster-name NAME] [--local | --host H [--user U] [--port N] [--key FILE] [--fingerprint SHA256:…] [--docker-host URL]] [--compose FILE | --example] [--fleet NAME] [--chat none|slack|discord] [--discord-app-id ID] [--yes]';

/**
 * Checks `otto init`'s flags and the ones that contradict each other. Throws one
 * UsageError naming every flag that is wrong.
 * @example parseInitFlags({ local: true, example: true, chat: 'none' }, []).chat // 'none'
 */
export function parseInitFlags(raw: RawInitFlags, positionals: readonly string[]): InitFlags {
  const problems: string[] = [];
  if (positionals.length > 0)
    problems.push(`otto init takes no words, only --flags (got "${positionals[0]!.slice(0, 30)}")`);
  const field = <F extends Field>(flag: string, f: F, value: string | undefined) => {
    if (value === undefined) return undefined;
    const c = checkField(f, value);
    if (c.ok) return c.value;
    problems.push(`--${flag}: ${c.message}`);
    return undefined;
  };
  if (raw.fleet && raw.fleet.length > 1) problems.push('--fleet: otto init sets up one fleet');
  const flags: InitFlags = {
    file: raw.file ?? raw.config ?? 'otto.yml',
    clusterName: field('cluster-name', 'clusterName', raw['cluster-name']),
    local: raw.local === true,
    host: field('host', 'host', raw.host),
    user: field('user', 'user', raw.user),
    port: field('port', 'port', raw.port),
    key: raw.key,
    fingerprint: field('fingerprint', 'fingerprint', raw.fingerprint),
    dockerHost: field('docker-host', 'dockerHost', raw['docker-host']),
    compose: raw.compose,
    example: raw.example === true,
    fleet: field('fleet', 'fleetName', raw.fleet?.[0]),
    chat: field('chat', 'chat', raw.chat),
    discordAppId: field('discord-app-id', 'applicationId', raw['discord-app-id']),
    yes: raw.yes === true,
  };
  if (raw.file !== undefined && raw.config !== undefined && raw.file !== raw.config)
    problems.push('--file and --config name two files: give one');
  if (flags.local && raw.host !== undefined)
    problems.push('--local and --host: the Swarm is on this machine or on a server, not both');
  const sshOnly = ['user', 'port', 'key', 'fingerprint'] as const;
  if (flags.local)
    for (const f of sshOnly)
      if (raw[f] !== undefined) problems.push(`--${f} is for an SSH cluster, not --local`);
  if (raw.compose !== undefined && flags.example)
    problems.push('--compose and --example: the first fleet is one of them');
  if (raw.compose === '') problems.push('--compose: give the path of a compose file');
  if (raw.key === '') problems.push('--key: give the path of a private key file');
  if (raw['discord-app-id'] !== undefined && flags.chat !== undefined && flags.chat !== 'discord')
    problems.push('--discord-app-id is for --chat discord');
  if (problems.length > 0)
    throw new UsageError(
      `otto init can't use these flags:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      INIT_USAGE,
    );
  return flags;
}

/**
 * The flags a run without a terminal still needs: each question nobody can answer.
 * Empty when the flags answer them all.
 * @example missingFlags({ ...flags, local: true, example: true }) // ['--chat none|slack|discord']
 */
export function missingFlags(flags: InitFlags): string[] {
  const missing: string[] = [];
  if (!flags.local && flags.host === undefined) missing.push('--local or --host HOST');
  if (flags.compose === undefined && !flags.example) missing.push('--compose FILE or --example');
  if (flags.chat === undefined) missing.push('--chat none|slack|discord');
  if (flags.chat === 'discord' && flags.discordAppId === undefined)
    missing.push('--discord-app-id ID');
  return missing;
}
