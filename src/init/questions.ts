import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { FLEET_NAME } from '../config/config.js';
import { OttoError, UnreachableError, UsageError } from '../errors.js';
import { parseCompose } from '../swarm/compose.js';
import type { ChatAnswer, ClusterAnswer, FleetAnswer } from './answers.js';
import { trustHostKey, type DockerTarget } from './cluster-probe.js';
import { checkField, type Chat, type Checked } from './fields.js';
import type { InitFlags } from './init-flags.js';
import { EXAMPLE_COMPOSE, EXAMPLE_FLEET } from '../config/otto-home.js';
import { pathForYml, typedPath } from './yml-paths.js';
import type { Choice, Prompter } from './prompter.js';

/** What the questions need besides the flags: the terminal (or none) and the machine. */
export interface AskDeps {
  /** Undefined without a terminal: then a flag must answer every question. */
  readonly prompter: Prompter | undefined;
  /** Progress and notes, on stderr. */
  readonly say: (line: string) => void;
  readonly cwd: string;
  readonly home: string;
  /** otto.yml's folder: paths are written relative to it. */
  readonly ymlDir: string;
  readonly ottoHome: string;
  readonly defaultUser: string;
  /** Reads the host key a server offers, before any login (probeHostKey). */
  readonly probeHostKey: (host: string, port: number) => Promise<string>;
}

/** A question's answer from its flag, else from the person; with neither, the flag to pass. */
async function ask<T>(
  flagValue: T | undefined,
  flag: string,
  prompter: Prompter | undefined,
  question: (p: Prompter) => Promise<T>,
): Promise<T> {
  if (flagValue !== undefined) return flagValue;
  if (!prompter)
    throw new UsageError(
      `otto init has no terminal to ask on, and nothing answers it: pass ${flag}.`,
      'For example: otto init --local --example --chat none',
    );
  return question(prompter);
}

/** A flag's value through a check that refuses it with the flag's name. */
function flagged<T>(flag: string, checked: Checked<T>): T {
  if (checked.ok) return checked.value;
  throw new UsageError(`${flag}: ${checked.message}.`);
}

const KEY_FILES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];

export interface ClusterAsked {
  readonly answer: ClusterAnswer;
  /** Where to check that Docker answers: the key's path made absolute. */
  readonly target: DockerTarget;
}

/**
 * Where the Swarm runs. For a server: host, user, port and key (asked only when the
 * person chose SSH here; flags take their defaults), then its host key, read before
 * any login and trusted only as {@link trustHostKey} says.
 */
export async function askCluster(flags: InitFlags, d: AskDeps): Promise<ClusterAsked> {
  const kind = flags.local
    ? 'local'
    : flags.host !== undefined
      ? 'ssh'
      : await ask(undefined, '--local or --host HOST', d.prompter, (p) =>
          p.choose<'local' | 'ssh'>(
            'Where does your Swarm run?',
            [
              { value: 'local', label: 'on this machine: Otto uses the docker CLI here' },
              { value: 'ssh', label: 'on a server Otto reaches over SSH' },
            ],
            'local',
          ),
        );
  const dockerHost = flags.dockerHost;
  if (kind === 'local') {
    const name = flags.clusterName ?? 'local';
    return { answer: { kind, name, dockerHost }, target: { kind, dockerHost } };
  }
  // Asked one by one only when the person picked SSH at the question above.
  const p = flags.host === undefined ? d.prompter : undefined;
  const askHost = (q: Prompter, def?: string) =>
    q.text('Manager host name or IP address', {
      ...(def === undefined ? {} : { default: def }),
      check: (v) => checkField('host', v),
    });
  const askPort = (q: Prompter, def: string) =>
    q.text('SSH port', { default: def, check: (v) => checkField('port', v) });
  let host = await ask(flags.host, '--host HOST', d.prompter, (q) => askHost(q));
  const user =
    flags.user ??
    (p
      ? await p.text('SSH user', { default: d.defaultUser, check: (v) => checkField('user', v) })
      : d.defaultUser);
  let port = flags.port ?? (p ? await askPort(p, '22') : 22);
  const keyCheck = (v: string): Checked<{ abs: string; typed: string }> => {
    const abs = typedPath(v, d.cwd, d.home);
    return existsSync(abs)
      ? { ok: true, value: { abs, typed: v } }
      : { ok: false, message: `there is no file ${abs}` };
  };
  const defaultKey =
    KEY_FILES.find((k) => existsSync(typedPath(k, d.cwd, d.home))) ?? KEY_FILES[0]!;
  const keyFile =
    flags.key !== undefined
      ? flagged('--key', keyCheck(flags.key))
      : p
        ? await p.text('Private key file', { default: defaultKey, check: keyCheck })
        : flagged('--key FILE (no key given, and the default)', keyCheck(defaultKey));
  let offered: string;
  for (;;) {
    d.say(`📡 Asking ${host}:${port} for its host key...`);
    try {
      offered = await d.probeHostKey(host, port);
      break;
    } catch (e) {
      // A server typed here that can't be reached: told why, and asked again.
      if (!p || !(e instanceof UnreachableError)) throw e;
      d.say(`⚠️  ${e.message}${e.fix ? ` ${e.fix}` : ''}`);
      host = await askHost(p, host);
      port = await askPort(p, String(port));
    }
  }
  const at = `${host}:${port}`;
  const hostKey = await trustHostKey(
    at,
    offered,
    { pinned: flags.fingerprint, yes: flags.yes, prompter: d.prompter },
    d.say,
  );
  const name = flags.clusterName ?? 'swarm';
  return {
    answer: {
      kind,
      name,
      host,
      port,
      user,
      // ~/.ssh/… stays so, as typed: the same key for whoever runs Otto from their home.
      privateKeyFile: keyFile.typed.startsWith('~/')
        ? keyFile.typed
        : pathForYml(keyFile.abs, d.ymlDir, d.home, d.cwd),
      hostKey,
      dockerHost,
    },
    target: { kind, host, port, user, privateKeyFile: keyFile.abs, hostKey, dockerHost },
  };
}

/**
 * Where the first fleet comes from. `adopt` (a stack already running on the Swarm)
 * joins this list as a third choice when Otto can adopt stacks.
 */
export const FLEET_SOURCES: readonly Choice<'file' | 'example'>[] = [
  { value: 'file', label: 'a compose file you already have' },
  { value: 'example', label: "Otto's example: hello, one small web page" },
];

const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/**
 * A fleet name from a compose file's path: its name (`stacks/shop.yml` → shop), or its
 * folder's for the usual names (`shop/compose.yml` → shop); `app` when neither fits.
 * @example fleetNameFor('/srv/shop/docker-compose.yml') // 'shop'
 */
export function fleetNameFor(path: string): string {
  const base = basename(path, extname(path));
  const word = /^(docker-)?(compose|stack)$/.test(base) ? basename(dirname(path)) : base;
  const name = word
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return FLEET_NAME.test(name) ? name : 'app';
}

export interface FleetAsked {
  readonly answer: FleetAnswer;
  /** Variables the compose file needs (`${DB_PASSWORD}`): secrets to set before a launch. */
  readonly secrets: readonly string[];
}

/** A compose file that exists and that Otto's own parser reads; its variables. */
function composeCheck(v: string, d: AskDeps): Checked<{ abs: string; secrets: string[] }> {
  const abs = typedPath(v, d.cwd, d.home);
  if (!existsSync(abs)) return { ok: false, message: `there is no file ${abs}` };
  try {
    const parsed = parseCompose(readFileSync(abs, 'utf8'), v);
    return { ok: true, value: { abs, secrets: [...parsed.required].sort() } };
  } catch (e) {
    if (e instanceof OttoError) return { ok: false, message: e.message.replace(/\.$/, '') };
    return { ok: false, message: `Otto can't read ${abs}` };
  }
}

/** The first fleet: a compose file (checked with Otto's parser) or Otto's example. */
export async function askFleet(flags: InitFlags, d: AskDeps): Promise<FleetAsked> {
  const found = COMPOSE_NAMES.find((n) => existsSync(join(d.cwd, n)));
  const source =
    flags.compose !== undefined
      ? 'file'
      : flags.example
        ? 'example'
        : await ask(undefined, '--compose FILE or --example', d.prompter, (p) =>
            p.choose(
              'Your first fleet: which stack should Otto launch?',
              FLEET_SOURCES,
              found ? 'file' : 'example',
            ),
          );
  // The name is asked only when the person chose the source here.
  const p = flags.compose === undefined && !flags.example ? d.prompter : undefined;
  const named = async (suggested: string) =>
    flags.fleet ??
    (p
      ? await p.text('Fleet name', { default: suggested, check: (v) => checkField('fleetName', v) })
      : suggested);
  if (source === 'example') {
    const abs = join(d.ottoHome, EXAMPLE_COMPOSE);
    let secrets: string[] = [];
    if (existsSync(abs)) secrets = flagged('The example', composeCheck(abs, d)).secrets;
    else
      d.say(
        `ℹ️  Otto's example is not in this copy of Otto yet (${abs}): the fleet names it anyway.`,
      );
    const name = await named(EXAMPLE_FLEET);
    return {
      answer: { name, composeFile: pathForYml(abs, d.ymlDir, d.home, d.cwd), example: true },
      secrets,
    };
  }
  const file =
    flags.compose !== undefined
      ? flagged('--compose', composeCheck(flags.compose, d))
      : await d.prompter!.text('Compose file', {
          ...(found ? { default: found } : {}),
          check: (v) => composeCheck(v, d),
        });
  const name = await named(fleetNameFor(file.abs));
  return {
    answer: { name, composeFile: pathForYml(file.abs, d.ymlDir, d.home, d.cwd), example: false },
    secrets: file.secrets,
  };
}

/** Which chat Otto joins, and for Discord the application id (digits, never a token). */
export async function askChat(flags: InitFlags, d: AskDeps): Promise<ChatAnswer> {
  const chat: Chat = await ask(flags.chat, '--chat none|slack|discord', d.prompter, (p) =>
    p.choose<Chat>(
      'Which chat should Otto join?',
      [
        { value: 'none', label: 'none for now: talk to Otto in this terminal (otto console)' },
        { value: 'slack', label: 'Slack' },
        { value: 'discord', label: 'Discord' },
      ],
      'none',
    ),
  );
  if (chat !== 'discord') return { kind: chat };
  const applicationId = await ask(flags.discordAppId, '--discord-app-id ID', d.prompter, (p) =>
    p.text("Discord application id (your app's General Information page)", {
      check: (v) => checkField('applicationId', v),
    }),
  );
  return { kind: 'discord', applicationId };
}
