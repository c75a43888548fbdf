import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { progressPrinter, runConsole } from './adapters/console.js';
import { preflight } from './watch/preflight.js';
import { startSlack } from './adapters/slack/slack.js';
import { startHttpApi } from './adapters/http-api.js';
import { probeHealth } from './adapters/health-probe.js';
import { activeHolder, becomeActive, holderLine } from './ops/standby.js';
import { logFormat, makeLog, redactor } from './adapters/log-format.js';
import { backupDatabase, restoreDatabase } from './store/backup.js';
import { startBackupSchedule } from './watch/backup-schedule.js';
import { join, resolve } from 'node:path';
import { startRequestPoster } from './watch/request-poster.js';
import { startPreviewSweep } from './watch/preview-sweep.js';
import { startPreviewMessages } from './watch/preview-messages.js';
import { registerDiscordCommand, startDiscord } from './adapters/discord/discord.js';
import { consoleOutbox, makeOutbox } from './adapters/alert-outbox.js';
import { confirmInput, readSecretInput } from './adapters/stdin.js';
import type { AlertOutbox } from './watch/incident-messages.js';
import { startTelemetry, type Telemetry } from './watch/telemetry.js';
import { renderText } from './adapters/text.js';
import { dispatch, dispatchWords, errorReply } from './commands/dispatch.js';
import { CHANNEL, loadConfig, SNOWFLAKE } from './config/config.js';
import type { Outcome } from './commands/types.js';
import { ConfigError, InterruptedError, RefusedError, UsageError } from './errors.js';
import { DB_FILE, openOps, type Ops } from './ops/ops.js';
import { otto } from './commands/voice.js';
import { quoteWord } from './commands/parse.js';
import type { Who } from './commands/access.js';
import { renderFleet, verdictFix, verdictOutcome, type FleetRender } from './commands/dry-run.js';

const USAGE = `Usage:
  otto init [--file otto.yml] [--local | --host H [--user U] [--port N] [--key FILE]
            [--fingerprint SHA256:…] [--docker-host URL]] [--cluster-name NAME]
            [--compose FILE | --example] [--fleet NAME] [--chat none|slack|discord]
            [--discord-app-id ID] [--yes]
                                             write a first otto.yml: asks on a terminal, else takes flags;
                                             never overwrites one, never writes a token
  otto start [--config FILE] [--no-standby]  run the bot: Slack and/or Discord when otto.yml configures them, else the console;
                                             a second otto start on one database waits as a standby (--no-standby: exits)
                           [--log-format text|json]  json: one JSON object per log line (also OTTO_LOG_FORMAT=json)
  otto console [--config FILE]               chat with Otto in this terminal
  otto say "<command>" [--config FILE] [--as ID] [--group ID]... [--channel ID]
                                             run one chat command and print the reply
  otto render <fleet> [--offline] [--config FILE] [--as ID] [--group ID]...
                                             print the compose a launch would send (secrets masked) on
                                             stdout; the changes and Docker's verdict on stderr
  otto adopt <stack> [--cluster C] [--write DIR]
                                             a stack Otto didn't launch: the otto.yml lines (stderr) and its
                                             compose file rebuilt from what runs (stdout); --write DIR saves
                                             it as DIR/<stack>.yml (never over a file, never otto.yml)
  otto outpost add <cluster> <host> [--user U] [--port N] [--key FILE] [--role manager|worker]
                   [--fingerprint SHA256:…] [--yes]
                                             set a server up as a node of the cluster (asks to trust its host key)
  otto outpost list [cluster]                the servers Otto added
  otto outpost remove <cluster> <node>       drain a node, let it leave, forget it
  otto doctor [cluster]                      the preflight again for every outpost, and the ingress
  otto token create <name> [--role R] [--fleet F]...
                                             an HTTP API token for CI (printed once, on the last line)
  otto token list | otto token revoke <name> the HTTP API tokens
  otto migrate [--config FILE]               create or update the database
  otto backup <file> [--config FILE]         an online copy of the database (mode 0600, integrity-checked)
  otto restore <file> [--config FILE]        put a backup in place (Otto stopped; the old database is kept aside)
  otto health [--config FILE]                ask the running Otto's /healthz (the image's HEALTHCHECK): 0 healthy, 1 not
  otto secret set <fleet> <NAME>             store a secret (value read from stdin)
  otto secret list <fleet>                   list secret names
  otto secret rekey                          re-encrypt every secret under a new key (new key from stdin, or generated)
  otto registry login <cluster> <registry> <username>   store registry credentials (password from stdin)
  otto discord register [--guild ID]         register /otto with Discord (a guild: at once; else global)

--config defaults to $OTTO_CONFIG, then ./otto.yml. --as defaults to console:<os user>.
--group (slack-group:S1, discord-role:7) and --channel (slack:C1, discord:42) let
otto say act as a chat user would, to try out access: and channels: rules.
--offline renders without asking the Swarm: no verdict from Docker, no changes.
Exit codes: 0 done, 1 failed or nothing changed, 2 usage or config error, 3 refused.
otto render: 0 rendered (and Docker accepts it, or can't check it), 1 Otto or Docker
refuses the file, or the manager can't be reached.`;

function defaultActor(): string {
  try {
    return `console:${userInfo().username}`;
  } catch {
    return 'console:operator';
  }
}

/** `--as` names an identity such as console:alice or slack:U123. */
function actorId(as: string | undefined): string {
  if (as === undefined) return defaultActor();
  if (!/^[a-z][a-z-]{1,20}:[A-Za-z0-9._@-]{1,128}$/.test(as)) {
    throw new UsageError(
      `--as ${as.slice(0, 40)} is not an identity.`,
      'Use platform:id, for example --as console:alice or --as slack:U0123ABC.',
    );
  }
  return as;
}

/** `--group slack-group:S1` or `discord-role:7`. */
function groupId(g: string): string {
  if (!/^(slack-group|discord-role):[A-Za-z0-9._-]{1,128}$/.test(g)) {
    throw new UsageError(
      `--group ${g.slice(0, 40)} is not a group.`,
      'Use slack-group:<id> or discord-role:<id>.',
    );
  }
  return g;
}

/** `--channel slack:C1`; without it, `cli`. */
function channelId(c: string | undefined): string {
  if (c === undefined) return 'cli';
  if (!CHANNEL.test(c)) {
    throw new UsageError(
      `--channel ${c.slice(0, 40)} is not a channel.`,
      'Use slack:<channel id> or discord:<channel id>.',
    );
  }
  return c;
}

const EXIT: Readonly<Record<Outcome, number>> = { ok: 0, failed: 1, usage: 2, refused: 3 };

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const io: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Aborts on the first SIGINT/SIGTERM; a second one exits at once. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new InterruptedError(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/** Every alert target otto.yml names. */
function alertTargets(ops: Ops): string[] {
  return [
    ...new Set([
      ...ops.config.telemetry.alerts,
      ...[...ops.config.fleets.values()].flatMap((f) => f.alerts),
    ]),
  ];
}

/** Starts telemetry when it is on and there are fleets to watch. */
function maybeTelemetry(
  ops: Ops,
  outbox: AlertOutbox,
  log: (line: string) => void,
  targets?: readonly string[],
): Telemetry | undefined {
  if (!ops.config.telemetry.enabled || ops.config.fleets.size === 0) return undefined;
  return startTelemetry(ops, outbox, { log, ...(targets ? { targets } : {}) });
}

/**
 * Runs the configured chat adapters until a signal asks Otto to stop (0), or until
 * another Otto takes the database over (`lost`: 1, at once).
 */
async function runChatAdapters(
  ops: Ops,
  signal: AbortSignal,
  lost: Promise<void>,
  log: (line: string) => void,
): Promise<number> {
  log(`${otto.prefix} Otto at Mission Control: connecting to chat. Ctrl-C stops.`);
  for (const n of ops.notices) log(`ℹ️  ${n}`);
  await preflight(ops, log);
  const slack = ops.config.slack && startSlack(ops, ops.config.slack, log);
  const discord = ops.config.discord && startDiscord(ops, ops.config.discord, log);
  const api =
    ops.config.http &&
    startHttpApi(ops, ops.config.http, log, () => ({
      ...(slack ? { slack: slack.connected?.() ?? false } : {}),
      ...(discord ? { discord: discord.connected?.() ?? false } : {}),
    }));
  const adapters = [slack, discord, api].filter((a) => a !== undefined);
  const outbox = makeOutbox({
    slack: slack?.alerts,
    discord: discord?.alerts,
    targets: alertTargets(ops),
    notify: ops.config.notify,
    smtp: ops.config.smtp,
    log,
  });
  const telemetry = maybeTelemetry(ops, outbox, log);
  // Requests from CI or a webhook have no message yet: post them where people approve.
  const poster = (slack || discord) && startRequestPoster(ops, outbox, log);
  const previews = startPreviewSweep(ops, log);
  const previewMessages = (slack || discord) && startPreviewMessages(ops, outbox, log);
  const backups = startBackupSchedule(ops.config, join(ops.config.dataDir, DB_FILE), log);
  const stopped = await Promise.race([
    new Promise<'signal'>((resolve) =>
      signal.addEventListener('abort', () => resolve('signal'), { once: true }),
    ),
    lost.then(() => 'lost' as const),
  ]);
  log('Otto is landing: letting running commands finish as interrupted...');
  if (poster) poster.stop();
  previews.stop();
  backups?.stop();
  if (previewMessages) previewMessages.stop();
  await telemetry?.stop();
  // Webhook and e-mail notifications still queued get a few seconds to go out.
  await outbox.close(5_000);
  await Promise.all(
    adapters.map((a) =>
      a.stop(stopped === 'signal' ? signal.reason : new Error('another Otto took over')),
    ),
  );
  return stopped === 'signal' ? 0 : 1;
}

/**
 * Opens the config and the database for one command. Start-up notices (a key that
 * was just generated and must be backed up, launches cleaned up) are printed here,
 * once, whatever the command: `otto secret set` as the very first command says it too.
 */
async function withOps<T>(
  configFile: string | undefined,
  fn: (ops: Ops) => Promise<T>,
  { notices = true }: { notices?: boolean } = {},
): Promise<T> {
  const file = configFile ?? process.env['OTTO_CONFIG'];
  const config = loadConfig(file ?? 'otto.yml', file !== undefined);
  const ops = await openOps(config);
  // The console and the chat adapters print them after their greeting.
  if (notices) for (const n of ops.notices) io.err(`ℹ️  ${n}`);
  try {
    return await fn(ops);
  } finally {
    await ops.close();
  }
}

/**
 * `otto render <fleet>`: stdout gets the rendered compose alone (secrets masked), so
 * `otto render web > out.yml` is a clean file; the changes against what runs and
 * Docker's verdict go to stderr. Refusals exit as `otto say` would.
 */
async function renderCommand(
  ops: Ops,
  name: string | undefined,
  who: Who,
  options: { offline: boolean; signal: AbortSignal },
): Promise<number> {
  let r: FleetRender;
  try {
    r = await renderFleet(ops, who, name, options);
  } catch (e) {
    const reply = errorReply(e);
    io.err(renderText(reply));
    return EXIT[reply.outcome];
  }
  io.out(r.dry.display);
  if (r.changes) {
    const { from, to, lines } = r.changes;
    io.err(
      lines.length
        ? [`Changes from ${from.label} to ${to.label} (secret values masked):`, ...lines].join('\n')
        : `No changes: ${to.label} renders the same as ${from.label}.`,
    );
  }
  const again = `otto render ${r.fleet.name}`;
  const fix = verdictFix(r.fleet, r.file, r.dry.verdict, again);
  io.err(
    renderText({
      outcome: verdictOutcome(r.dry.verdict),
      text: otto.dryRun(r.fleet.name, r.file, r.dry.verdict, r.dry.target),
      fix,
    }),
  );
  return EXIT[verdictOutcome(r.dry.verdict)];
}

/** The command line's --options, as parseArgs reads them. */
interface CliValues {
  readonly config?: string | undefined;
  readonly as?: string | undefined;
}

/** Runs the otto command line. Returns the exit code: 0 ok, 1 failed, 2 usage or config error. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        as: { type: 'string' },
        group: { type: 'string', multiple: true },
        channel: { type: 'string' },
        guild: { type: 'string' },
        offline: { type: 'boolean' },
        'no-standby': { type: 'boolean' },
        'log-format': { type: 'string' },
        // otto outpost add:
        user: { type: 'string' },
        port: { type: 'string' },
        key: { type: 'string' },
        role: { type: 'string' },
        fingerprint: { type: 'string' },
        yes: { type: 'boolean' },
        // otto token create:
        fleet: { type: 'string', multiple: true },
        // otto adopt:
        cluster: { type: 'string' },
        write: { type: 'string' },
        // otto init (with user, port, key, fingerprint, yes and fleet above):
        file: { type: 'string' },
        'cluster-name': { type: 'string' },
        local: { type: 'boolean' },
        host: { type: 'string' },
        'docker-host': { type: 'string' },
        compose: { type: 'string' },
        example: { type: 'boolean' },
        chat: { type: 'string' },
        'discord-app-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, ...rest] = positionals;
  if (values.help || !sub || sub === 'help') {
    io.out(USAGE);
    return sub || values.help ? 0 : 2;
  }
  try {
    switch (sub) {
      case 'init': {
        // Loaded only here: the other commands never pay for it.
        const { initCommand } = await import('./init/init.js');
        return await initCommand(values, rest, io);
      }
      case 'say': {
        if (rest.length === 0)
          throw new UsageError('otto say needs the command text, e.g. otto say "status"');
        const source = {
          actor: actorId(values.as),
          groups: (values.group ?? []).map(groupId),
          channel: channelId(values.channel),
          platform: 'cli' as const,
        };
        const signal = stopSignal();
        return await withOps(values.config, async (ops) => {
          const reply = await dispatch(ops, rest.join(' '), source, {
            progress: progressPrinter((l) => io.err(l)),
            // A live follow's lines, as they come (`otto say "logs shop --follow"`).
            stream: (lines) => lines.forEach((l) => io.out(l)),
            signal,
          });
          io.out(renderText(reply));
          return EXIT[reply.outcome];
        });
      }
      case 'console':
      case 'start': {
        const format = logFormat(values['log-format'], process.env);
        const signal = stopSignal();
        return await withOps(
          values.config,
          async (ops) => {
            const log = makeLog(format, redactor(ops.config, process.env));
            if (sub === 'start' && (ops.config.slack || ops.config.discord || ops.config.http)) {
              // One active instance per database; a second one waits as a standby.
              const got = await becomeActive(ops, { wait: !values['no-standby'], log, signal });
              if (!got) return 0;
              if ('held' in got) {
                log(`⏸️  ${holderLine(got.held)}. --no-standby: not waiting.`);
                return 1;
              }
              try {
                return await runChatAdapters(ops, signal, got.active.lost, log);
              } finally {
                await got.active.release();
              }
            }
            // Alerts are the active Otto's: a console beside it would post them twice.
            const active = await activeHolder(ops);
            if (active)
              log(
                `ℹ️  ${holderLine(active)}: its alerts go to chat, so this console runs without telemetry.`,
              );
            const telemetry = active
              ? undefined
              : maybeTelemetry(
                  ops,
                  consoleOutbox((t) => io.out(t)),
                  log,
                  ['console'],
                );
            try {
              await runConsole(
                ops,
                { actor: actorId(values.as), channel: 'console', platform: 'console' },
                signal,
              );
            } finally {
              await telemetry?.stop();
            }
            return 0;
          },
          { notices: false },
        );
      }
      case 'render': {
        if (rest.length !== 1)
          throw new UsageError(
            'Usage: otto render <fleet> [--offline]',
            'For example: otto render myapp > rendered.yml',
          );
        const signal = stopSignal();
        return await withOps(values.config, (ops) =>
          renderCommand(
            ops,
            rest[0],
            { actor: actorId(values.as), groups: (values.group ?? []).map(groupId) },
            {
              offline: values.offline === true,
              signal,
            },
          ),
        );
      }
      case 'doctor':
      case 'outpost': {
        // The chat command, with its --options as typed here, and a question on this terminal.
        const words = [sub, ...rest.map(quoteWord)];
        for (const name of ['user', 'port', 'key', 'role', 'fingerprint'] as const) {
          const v = values[name];
          if (v !== undefined) words.push(`--${name}`, quoteWord(v));
        }
        if (values.yes) words.push('--yes');
        const signal = stopSignal();
        return await withOps(values.config, async (ops) => {
          const reply = await dispatch(
            ops,
            words.join(' '),
            { actor: actorId(values.as), channel: 'cli', platform: 'cli' },
            { progress: progressPrinter((l) => io.err(l)), signal, confirm: confirmInput },
          );
          io.out(renderText(reply));
          return EXIT[reply.outcome];
        });
      }
      case 'adopt': {
        if (rest.length !== 1)
          throw new UsageError(
            'Usage: otto adopt <stack> [--cluster C] [--write DIR]',
            'For example: otto adopt legacy --write stacks',
          );
        const words = ['adopt', quoteWord(rest[0]!)];
        if (values.cluster !== undefined) words.push('--cluster', quoteWord(values.cluster));
        if (values.write !== undefined) words.push('--write', quoteWord(values.write));
        const signal = stopSignal();
        return await withOps(values.config, async (ops) => {
          const reply = await dispatch(
            ops,
            words.join(' '),
            { actor: actorId(values.as), channel: 'cli', platform: 'cli' },
            { signal },
          );
          // The compose file alone on stdout (otto adopt legacy > stacks/legacy.yml), the rest on stderr.
          if (reply.outcome === 'ok' && reply.block?.length) {
            io.err(renderText({ ...reply, block: undefined }));
            io.out(reply.block.join('\n'));
          } else io.out(renderText(reply));
          return EXIT[reply.outcome];
        });
      }
      case 'token': {
        const words = ['token', ...rest.map(quoteWord)];
        if (values.role !== undefined) words.push('--role', quoteWord(values.role));
        if (values.fleet?.length) words.push('--fleet', quoteWord(values.fleet.join(',')));
        return await withOps(values.config, async (ops) => {
          const reply = await dispatch(ops, words.join(' '), {
            actor: actorId(values.as),
            channel: 'cli',
            platform: 'cli',
          });
          io.out(renderText(reply));
          return EXIT[reply.outcome];
        });
      }
      case 'health': {
        const file = values.config ?? process.env['OTTO_CONFIG'];
        const config = loadConfig(file ?? 'otto.yml', file !== undefined);
        const probe = await probeHealth(config.http, config.dataDir);
        (probe.code === 0 ? io.out : io.err)(probe.line);
        return probe.code;
      }
      case 'backup':
      case 'restore': {
        if (rest.length !== 1)
          throw new UsageError(
            `Usage: otto ${sub} <file>`,
            sub === 'backup'
              ? 'For example: otto backup /backups/otto-2026-11-27.db'
              : 'For example: otto restore /backups/otto-2026-11-27.db (stop otto start first)',
          );
        const file = values.config ?? process.env['OTTO_CONFIG'];
        const config = loadConfig(file ?? 'otto.yml', file !== undefined);
        const dbFile = join(config.dataDir, DB_FILE);
        const target = resolve(rest[0]!);
        if (sub === 'backup') {
          const copy = await backupDatabase(dbFile, target);
          io.out(otto.backedUp(copy, config.dataDir));
          return 0;
        }
        const { copy, aside } = await restoreDatabase(dbFile, target);
        // Opening migrates the restored file to this Otto's schema.
        return await withOps(values.config, async () => {
          io.out(otto.restored(copy, aside));
          return 0;
        });
      }
      case 'migrate':
        return await withOps(values.config, async (ops) => {
          io.out(`Otto's flight log database in ${ops.config.dataDir} is up to date.`);
          return 0;
        });
      case 'secret':
      case 'registry':
        return await localCommand([sub, ...rest], values);
      case 'discord': {
        if (rest[0] !== 'register' || rest.length !== 1)
          throw new UsageError('Usage: otto discord register [--guild ID]');
        const file = values.config ?? process.env['OTTO_CONFIG'];
        const config = loadConfig(file ?? 'otto.yml', file !== undefined);
        if (!config.discord)
          throw new UsageError(
            'otto.yml has no discord: section, so Otto does not know the bot token or application id.',
            'Add discord: with token and application_id (README, section Discord).',
          );
        const guild = values.guild ?? config.discord.guildId;
        if (guild !== undefined && !SNOWFLAKE.test(guild))
          throw new UsageError(`--guild ${guild.slice(0, 30)} is not a guild id (a number).`);
        io.out(await registerDiscordCommand(config.discord, guild));
        return 0;
      }
      default:
        throw new UsageError(`otto has no subcommand "${sub}".`, 'Run otto --help.');
    }
  } catch (e) {
    const reply = errorReply(e);
    io.err(renderText(reply));
    if (e instanceof RefusedError) return 3;
    return e instanceof ConfigError || e instanceof UsageError ? 2 : 1;
  }
}

/**
 * `otto secret …` and `otto registry …`: chat commands that read a value typed here
 * (stdin, or a hidden prompt), run through dispatch like every other command, with
 * the same roles and audit. Their words are passed as they are: no --options.
 */
async function localCommand(words: string[], values: CliValues): Promise<number> {
  return withOps(values.config, async (ops) => {
    const reply = await dispatchWords(
      ops,
      words,
      { actor: actorId(values.as), channel: 'cli', platform: 'cli' },
      { readSecret: readSecretInput },
    );
    io.out(renderText(reply));
    return EXIT[reply.outcome];
  });
}
