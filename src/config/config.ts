import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import cron from 'node-cron';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

export const FLEET_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const CLUSTER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

const managerSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().min(1),
    private_key_file: z.string().min(1),
    host_key: z
      .string()
      .regex(FINGERPRINT, 'must look like SHA256:<43 base64 characters> (ssh-keygen -lf prints it)')
      .optional(),
  })
  .strict();

const dockerHost = z
  .string()
  .regex(
    /^(unix|tcp|ssh|npipe):\/\/\S+$/,
    'must be a Docker host URL such as unix:///var/run/docker.sock',
  );

const sshClusterSchema = z
  .object({
    managers: z.array(managerSchema).min(1, 'list at least one manager'),
    docker_host: dockerHost.optional(),
    strict_host_keys: z.boolean().default(true),
  })
  .strict();

const localClusterSchema = z
  .object({ local: z.literal(true), docker_host: dockerHost.optional() })
  .strict();

export const ROLES = ['none', 'viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** `slack:U123`, `slack-group:S1`, `discord:42`, `discord-role:7`, `console:alice`, or `<kind>:*`. */
export const IDENTITY =
  /^(slack|slack-group|discord|discord-role|console):(\*|[A-Za-z0-9._@-]{1,128})$/;
/** A channel Otto hears commands in: `slack:C0123`, `discord:98765`. */
export const CHANNEL = /^(slack|discord):[A-Za-z0-9._-]{1,128}$/;

const accessSchema = z.record(
  z
    .string()
    .regex(
      IDENTITY,
      'identities look like slack:U0123, slack-group:S0123, discord:1234, discord-role:5678, console:alice or slack:*',
    ),
  z.enum(ROLES),
);

const approvalsSchema = z
  .object({
    rollback: z.number().int().min(0).max(10).default(1),
    launch: z.number().int().min(0).max(10).default(0),
    self_approve: z.boolean().default(false),
    /** Seconds until an unanswered request expires. */
    timeout: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(900),
  })
  .strict();

/** `15s`, `10m`, `1h`, `2d`: a whole number of seconds, minutes, hours or days. */
export const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Seconds in a duration such as `90s` or `1h`; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] : undefined;
}

const duration = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(DURATION, `${what} is a duration such as 15s, 10m or 1h`)
    .transform((v) => durationSeconds(v)!)
    .refine((v) => v >= min && v <= max, `${what} must be between ${min} s and ${max} s`);

/** Where alerts go: a Slack or Discord channel, or a Discord webhook URL. */
export const ALERT_SINK =
  /^(slack:[A-Z0-9]{2,64}|discord:\d{15,25}|(https:\/\/\S+|http:\/\/(127\.0\.0\.1|localhost)(:\d+)?)\/\S*webhooks\/\d+\/\S+)$/;
const alertSinks = z.array(
  z
    .string()
    .regex(
      ALERT_SINK,
      'alert targets look like slack:C0123ABC, discord:123456789012345678 or a Discord webhook URL (https://discord.com/api/webhooks/<id>/<token>)',
    ),
);

/** Polls are scheduled with cron, so they must divide a minute or an hour evenly. */
const POLL_SECONDS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1800];

const telemetrySchema = z
  .object({
    enabled: z.boolean().default(true),
    events: z.boolean().default(true),
    poll: duration('poll', 1, 1800)
      .refine((v) => POLL_SECONDS.includes(v), {
        message: `poll must divide a minute or an hour evenly: ${POLL_SECONDS.slice(0, 11).join(', ')} seconds or 2, 3, 5, 10, 15, 30 minutes`,
      })
      .default(15),
    grace: duration('grace', 0, 3600).default(60),
    remind: duration('remind', 60, 7 * 86_400).default(3600),
    alerts: alertSinks.default([]),
    digest: z
      .string()
      .refine((v) => cron.validate(v), 'digest is a cron schedule such as "0 9 * * 1-5"')
      .optional(),
  })
  .strict();

const fleetSchema = z
  .object({
    cluster: z.string().min(1),
    compose_file: z.string().min(1),
    converge_timeout: z.number().int().min(1).max(86_400).default(300),
    settle_seconds: z.number().min(0).max(600).default(3),
    on_failure: z.enum(['stay', 'rollback']).default('stay'),
    approvals: approvalsSchema.prefault({}),
    access: accessSchema.optional(),
    channels: z
      .array(z.string().regex(CHANNEL, 'channels look like slack:C0123ABC or discord:123456789'))
      .optional(),
    alerts: alertSinks.optional(),
    deploy_notices: z.boolean().default(true),
  })
  .strict();

const slackSchema = z
  .object({
    mode: z.enum(['socket', 'http']).default('socket'),
    bot_token: z.string().regex(/^xoxb-\S+$/, 'a bot token starts with xoxb-'),
    app_token: z
      .string()
      .regex(/^xapp-\S+$/, 'an app-level token starts with xapp-')
      .optional(),
    signing_secret: z
      .string()
      .min(8, "the signing secret is on the app's Basic Information page")
      .optional(),
    port: z.number().int().min(1).max(65535).default(3000),
    host: z
      .string()
      .regex(
        /^[0-9a-fA-F.:]+$|^localhost$/,
        'host is a bind address such as 127.0.0.1, 0.0.0.0 or ::',
      )
      .default('0.0.0.0'),
    api_url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.mode === 'socket' && !s.app_token)
      ctx.addIssue({
        code: 'custom',
        path: ['app_token'],
        message: 'socket mode needs an app-level token (xapp-...) with connections:write',
      });
    if (s.mode === 'http' && !s.signing_secret)
      ctx.addIssue({
        code: 'custom',
        path: ['signing_secret'],
        message: 'http mode needs the signing secret, to verify that requests come from Slack',
      });
  });

/** A Discord id: application, guild, user, role or channel. */
export const SNOWFLAKE = /^\d{15,25}$/;

const discordSchema = z
  .object({
    token: z.string().min(20, "the bot token is on the application's Bot page"),
    application_id: z
      .string()
      .regex(SNOWFLAKE, 'an application id is a number like "123456789012345678" (quote it)'),
    guild_id: z
      .string()
      .regex(SNOWFLAKE, 'a guild id is a number like "123456789012345678" (quote it)')
      .optional(),
    api_url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .strict();

const configSchema = z
  .object({
    data_dir: z.string().min(1).default('.otto'),
    clusters: z.record(
      z.string().regex(CLUSTER_NAME, 'cluster names use a-z, 0-9, - and _'),
      // A cluster is `local: true` or has managers; pick the schema first so errors
      // name the exact key instead of "no union member matched".
      z.unknown().transform((value, ctx) => {
        const schema =
          value && typeof value === 'object' && 'local' in value
            ? localClusterSchema
            : sshClusterSchema;
        const r = schema.safeParse(value);
        if (r.success) return r.data;
        for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
        return z.NEVER;
      }),
    ),
    fleets: z
      .record(
        z
          .string()
          .regex(FLEET_NAME, 'fleet names use a-z, 0-9 and -, starting with a letter or digit'),
        fleetSchema,
      )
      .default({}),
    access: accessSchema.default({}),
    slack: slackSchema.optional(),
    discord: discordSchema.optional(),
    telemetry: telemetrySchema.prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const [name, fleet] of Object.entries(cfg.fleets)) {
      if (!(fleet.cluster in cfg.clusters)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fleets', name, 'cluster'],
          message: `names cluster "${fleet.cluster}", which is not under clusters (known: ${Object.keys(cfg.clusters).join(', ') || 'none'})`,
        });
      }
    }
    // An alert target needs its platform, unless Otto runs as the console (no chat at all).
    if (!cfg.slack && !cfg.discord) return;
    const targets: [(string | number)[], string][] = [
      ...cfg.telemetry.alerts.map((t, i): [(string | number)[], string] => [
        ['telemetry', 'alerts', i],
        t,
      ]),
      ...Object.entries(cfg.fleets).flatMap(([name, f]) =>
        (f.alerts ?? []).map((t, i): [(string | number)[], string] => [
          ['fleets', name, 'alerts', i],
          t,
        ]),
      ),
    ];
    for (const [path, target] of targets) {
      const platform = target.startsWith('slack:')
        ? 'slack'
        : target.startsWith('discord:')
          ? 'discord'
          : undefined;
      if (platform && !cfg[platform])
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${target} is a ${platform === 'slack' ? 'Slack' : 'Discord'} channel, but there is no ${platform}: section to post with`,
        });
    }
  });

type RawConfig = z.infer<typeof configSchema>;
export type ManagerConfig = z.infer<typeof managerSchema>;

export interface SshCluster {
  readonly name: string;
  readonly kind: 'ssh';
  readonly managers: readonly ManagerConfig[];
  readonly dockerHost: string | undefined;
  /** Refuse to fail over to the next manager when one offers a changed host key. */
  readonly strictHostKeys: boolean;
}
export interface LocalCluster {
  readonly name: string;
  readonly kind: 'local';
  readonly dockerHost: string | undefined;
}
export type ClusterConfig = SshCluster | LocalCluster;

export interface FleetConfig {
  readonly name: string;
  readonly cluster: string;
  /** Absolute path of the compose file. */
  readonly composeFile: string;
  readonly convergeTimeoutSeconds: number;
  readonly settleSeconds: number;
  /** What a failed launch does: stay as it is, or return to the last good version. */
  readonly onFailure: 'stay' | 'rollback';
  readonly approvals: {
    readonly rollback: number;
    readonly launch: number;
    readonly selfApprove: boolean;
    readonly timeoutSeconds: number;
  };
  /** Identity → role entries that replace the global ones with the same identity. */
  readonly access: ReadonlyMap<string, Role>;
  /** When set, commands for this fleet are heard only in these chat channels. */
  readonly channels: readonly string[] | undefined;
  /** Where this fleet's alerts go; `telemetry.alerts` when unset. */
  readonly alerts: readonly string[];
  /** Whether launches of this fleet are announced to its alert targets. */
  readonly deployNotices: boolean;
}

export interface TelemetryConfig {
  readonly enabled: boolean;
  /** Follow `docker events` to wake the watcher between polls. */
  readonly events: boolean;
  readonly pollSeconds: number;
  readonly graceSeconds: number;
  readonly remindSeconds: number;
  /** Default alert targets. */
  readonly alerts: readonly string[];
  /** Cron schedule of the daily status summary, when wanted. */
  readonly digest: string | undefined;
}

export interface SlackConfig {
  readonly mode: 'socket' | 'http';
  readonly botToken: string;
  readonly appToken: string | undefined;
  readonly signingSecret: string | undefined;
  readonly port: number;
  /** HTTP mode: the address the listener binds to. */
  readonly host: string;
  /** Web API base URL, ending in `/`. */
  readonly apiUrl: string;
}

export interface DiscordConfig {
  readonly token: string;
  readonly applicationId: string;
  /** Where `otto discord register` puts the command; global when unset. */
  readonly guildId: string | undefined;
  /** REST base URL without the version, e.g. https://discord.com/api. */
  readonly apiUrl: string;
}

export interface OttoConfig {
  /** Absolute path of otto.yml, or undefined for the embedded default. */
  readonly path: string | undefined;
  readonly dataDir: string;
  readonly clusters: ReadonlyMap<string, ClusterConfig>;
  readonly fleets: ReadonlyMap<string, FleetConfig>;
  /** Identity → role. */
  readonly access: ReadonlyMap<string, Role>;
  readonly slack: SlackConfig | undefined;
  readonly discord: DiscordConfig | undefined;
  readonly telemetry: TelemetryConfig;
}

/** Expands `~/` and makes a path absolute against `base`. */
export function resolvePath(path: string, base: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(base, path);
}

/** Replaces `${NAME}` in every string value with the environment's value. */
function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        throw new ConfigError(
          `otto.yml: ${path.join('.')} uses \${${name}}, but the environment has no ${name}.`,
          `Export ${name} before starting Otto, or write the value into otto.yml.`,
        );
      }
      return v;
    });
  }
  if (Array.isArray(value))
    return value.map((v, i) => interpolateEnv(v, env, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, [...path, k])]),
    );
  }
  return value;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const nested =
        'issues' in i && Array.isArray(i.issues)
          ? (i.issues[0] as { message?: string } | undefined)
          : undefined;
      const what =
        i.code === 'invalid_key' && nested?.message ? `invalid name: ${nested.message}` : i.message;
      return `  - ${i.path.length ? i.path.join('.') : '(top level)'}: ${what}`;
    })
    .join('\n');
}

/** Validates a parsed otto.yml object and resolves paths against `baseDir`. */
export function buildConfig(
  raw: unknown,
  baseDir: string,
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): OttoConfig {
  const parsed = configSchema.safeParse(interpolateEnv(raw ?? {}, env, []));
  if (!parsed.success) {
    throw new ConfigError(
      `${path ?? 'otto.yml'} has a problem:\n${formatIssues(parsed.error)}`,
      'Fix the keys named above; README.md lists every key with an example.',
    );
  }
  return fromRaw(parsed.data, baseDir, path);
}

function fromRaw(cfg: RawConfig, baseDir: string, path: string | undefined): OttoConfig {
  const clusters = new Map<string, ClusterConfig>();
  for (const [name, c] of Object.entries(cfg.clusters)) {
    clusters.set(
      name,
      'local' in c
        ? { name, kind: 'local', dockerHost: c.docker_host }
        : {
            name,
            kind: 'ssh',
            dockerHost: c.docker_host,
            strictHostKeys: c.strict_host_keys,
            managers: c.managers.map((m) => ({
              ...m,
              private_key_file: resolvePath(m.private_key_file, baseDir),
            })),
          },
    );
  }
  const fleets = new Map<string, FleetConfig>();
  for (const [name, f] of Object.entries(cfg.fleets)) {
    fleets.set(name, {
      name,
      cluster: f.cluster,
      composeFile: resolvePath(f.compose_file, baseDir),
      convergeTimeoutSeconds: f.converge_timeout,
      settleSeconds: f.settle_seconds,
      onFailure: f.on_failure,
      approvals: {
        rollback: f.approvals.rollback,
        launch: f.approvals.launch,
        selfApprove: f.approvals.self_approve,
        timeoutSeconds: f.approvals.timeout,
      },
      access: new Map(Object.entries(f.access ?? {})),
      channels: f.channels,
      alerts: f.alerts ?? cfg.telemetry.alerts,
      deployNotices: f.deploy_notices,
    });
  }
  return {
    path,
    dataDir: resolvePath(cfg.data_dir, baseDir),
    clusters,
    fleets,
    access: new Map(Object.entries(cfg.access)),
    slack: cfg.slack && {
      mode: cfg.slack.mode,
      botToken: cfg.slack.bot_token,
      appToken: cfg.slack.app_token,
      signingSecret: cfg.slack.signing_secret,
      port: cfg.slack.port,
      host: cfg.slack.host,
      apiUrl: (cfg.slack.api_url ?? 'https://slack.com/api/').replace(/\/?$/, '/'),
    },
    discord: cfg.discord && {
      token: cfg.discord.token,
      applicationId: cfg.discord.application_id,
      guildId: cfg.discord.guild_id,
      apiUrl: (cfg.discord.api_url ?? 'https://discord.com/api').replace(/\/+$/, ''),
    },
    telemetry: {
      enabled: cfg.telemetry.enabled,
      events: cfg.telemetry.events,
      pollSeconds: cfg.telemetry.poll,
      graceSeconds: cfg.telemetry.grace,
      remindSeconds: cfg.telemetry.remind,
      alerts: cfg.telemetry.alerts,
      digest: cfg.telemetry.digest,
    },
  };
}

/** The configuration Otto runs with when there is no otto.yml at all. */
export function embeddedDefault(cwd: string = process.cwd()): OttoConfig {
  return buildConfig({ data_dir: '.otto', clusters: { local: { local: true } } }, cwd, undefined);
}

/**
 * Loads otto.yml. `explicit` is true when the user named the file (--config or
 * OTTO_CONFIG): then a missing file is an error instead of the embedded default.
 */
export function loadConfig(file: string, explicit: boolean): OttoConfig {
  const path = resolve(file);
  if (!existsSync(path)) {
    if (explicit) {
      throw new ConfigError(
        `Otto can't find the config file ${path}.`,
        'Check the path given to --config or OTTO_CONFIG.',
      );
    }
    return embeddedDefault();
  }
  const doc = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(
      `${path} is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      'Fix the YAML at that spot and try again.',
    );
  }
  let data: unknown;
  try {
    // yaml's default limit, made explicit: a "billion laughs" file nests aliases to exhaust memory.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    throw /^Excessive alias count/.test(e.message)
      ? new ConfigError(
          `${path} expands its YAML aliases (*name) more than 100 times over, as a "billion laughs" file does to exhaust memory. Otto did not expand it.`,
          'Write the repeated parts out, or alias smaller anchors, and try again.',
        )
      : new ConfigError(
          `${path} has a YAML alias Otto can't resolve: ${e.message}.`,
          'Define the anchor (&name) before its alias (*name) and try again.',
        );
  }
  return buildConfig(data, dirname(path), path);
}
