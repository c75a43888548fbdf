import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { probeHostKey, quoteArg } from '../transport/ssh-transport.js';
import { tokenVariables, type InitAnswers } from './answers.js';
import { checkDocker, type DockerCheck, type DockerTarget } from './cluster-probe.js';
import { missingFlags, parseInitFlags, type InitFlags, type RawInitFlags } from './init-flags.js';
import { nextSteps } from './next-steps.js';
import { ottoHome, SLACK_MANIFEST } from '../config/otto-home.js';
import { typedPath } from './yml-paths.js';
import { ottoYml } from './otto-yml.js';
import { InitStoppedError, terminalPrompter, type Prompter } from './prompter.js';
import { askChat, askCluster, askFleet } from './questions.js';
import { alreadyThere, writeNewFile } from './write-new.js';
import { checkOttoYml } from './yml-check.js';

/** What `otto init` runs with: the terminal (or none), the machine, and the network. */
export interface InitDeps {
  /** Undefined without a terminal: every answer must then come from a flag. */
  readonly prompter: Prompter | undefined;
  /** The result: what was written and what to do next (stdout). */
  readonly out: (text: string) => void;
  /** Progress and warnings (stderr, beside the questions). */
  readonly say: (line: string) => void;
  readonly cwd: string;
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly ottoHome: string;
  readonly defaultUser: string;
  readonly probeHostKey: (host: string, port: number) => Promise<string>;
  readonly checkDocker: (target: DockerTarget, clusterName: string) => Promise<DockerCheck>;
}

const CHAT_NAMES = { none: 'none (otto console)', slack: 'Slack', discord: 'Discord' } as const;

/** The answers in a few lines, for the summary. */
function summary(a: InitAnswers): string[] {
  const c = a.cluster;
  return [
    `   cluster ${c.name}: ${c.kind === 'local' ? 'this machine' : `${c.user}@${c.host}:${c.port}, host key ${c.hostKey} pinned`}`,
    `   fleet ${a.fleet.name}: ${a.fleet.composeFile}`,
    `   chat: ${CHAT_NAMES[a.chat.kind]}`,
  ];
}

/**
 * `otto init`: asks (or reads from flags) where the Swarm runs, the first fleet and
 * the chat; checks the server's host key and Docker; writes a commented otto.yml
 * that never holds a token, without overwriting one; loads it back as Otto will; and
 * says what to do next. Returns the exit code: 0 written and loaded, 1 written but the
 * environment's tokens would not load. Refusals throw (nothing written).
 */
export async function runInit(flags: InitFlags, deps: InitDeps): Promise<number> {
  const path = typedPath(flags.file, deps.cwd, deps.home);
  if (existsSync(path)) throw alreadyThere(path);
  if (!deps.prompter) {
    const missing = missingFlags(flags);
    if (missing.length > 0)
      throw new UsageError(
        `otto init has no terminal to ask on, and these answers are missing: ${missing.join('; ')}.`,
        'Pass them as flags, for example: otto init --local --example --chat none',
      );
  } else {
    deps.say(
      `🦦 Otto will write ${path}: where your Swarm runs, your first fleet, and a chat.\n   Enter takes the answer in [brackets]; Ctrl-C stops with nothing written.`,
    );
  }
  const ask = {
    prompter: deps.prompter,
    say: deps.say,
    cwd: deps.cwd,
    home: deps.home,
    ymlDir: dirname(path),
    ottoHome: deps.ottoHome,
    defaultUser: deps.defaultUser,
    probeHostKey: deps.probeHostKey,
  };
  const cluster = await askCluster(flags, ask);
  const fleet = await askFleet(flags, ask);
  const chat = await askChat(flags, ask);
  const answers: InitAnswers = { cluster: cluster.answer, fleet: fleet.answer, chat };
  // Reported, never a refusal: the file is right even when the server is not ready yet.
  deps.say((await deps.checkDocker(cluster.target, cluster.answer.name)).line);

  const text = ottoYml(answers);
  checkOttoYml(text, path, {});
  // Ctrl-C while Otto checked Docker: still nothing written.
  if (deps.prompter?.stopped()) throw new InitStoppedError();
  writeNewFile(path, text);

  const defaultFile = path === resolve(deps.cwd, 'otto.yml');
  const shown = relative(deps.cwd, path).startsWith('..') ? path : relative(deps.cwd, path);
  const configFlag = defaultFile ? '' : ` --config ${quoteArg(shown)}`;
  const variables = tokenVariables(chat);
  try {
    // From the disk, as otto start reads it, with the tokens exported now (stand-ins for the rest).
    checkOttoYml(readFileSync(path, 'utf8'), path, deps.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    deps.out(
      `⚠️  Wrote ${path}, but with the variables exported in this shell Otto would refuse it:\n${e.message}\n→ Export ${variables.join(' and ')} again with the right values, then otto start${configFlag}.`,
    );
    return 1;
  }
  const manifest = join(deps.ottoHome, SLACK_MANIFEST);
  deps.out(
    [
      `✅ Wrote ${path} and loaded it back as Otto will. Mission Control is configured:`,
      ...summary(answers),
      ...(variables.length > 0
        ? [
            `   No token is in the file: Otto reads ${variables.join(' and ')} from the environment.`,
          ]
        : []),
      'Next:',
      ...nextSteps({
        chat,
        fleet: fleet.answer.name,
        configFlag,
        manifest: existsSync(manifest) ? manifest : "manifest.yml in Otto's folder",
        secrets: fleet.secrets,
      }),
    ].join('\n'),
  );
  return 0;
}

function osUser(): string {
  try {
    return userInfo().username || 'root';
  } catch {
    return 'root';
  }
}

/**
 * The `otto init` command line: flags checked, questions on this terminal when stdin
 * and stderr are both terminals (else none: a missing answer names its flag).
 */
export async function initCommand(
  raw: RawInitFlags,
  positionals: readonly string[],
  io: { out(text: string): void; err(text: string): void },
): Promise<number> {
  const flags = parseInitFlags(raw, positionals);
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  const prompter = interactive ? terminalPrompter() : undefined;
  try {
    return await runInit(flags, {
      prompter,
      out: io.out,
      say: io.err,
      cwd: process.cwd(),
      home: homedir(),
      env: process.env,
      ottoHome: ottoHome(),
      defaultUser: osUser(),
      probeHostKey: (host, port) => probeHostKey(host, port),
      checkDocker: (target, name) => checkDocker(target, name, io.err),
    });
  } finally {
    prompter?.close();
  }
}
