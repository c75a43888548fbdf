import cron from 'node-cron';
import { z } from 'zod';
import {
  ALERT_SINK,
  CHANNEL,
  CLUSTER_NAME,
  DURATION,
  durationSeconds,
  FINGERPRINT,
  FLEET_NAME,
  GIT_PATH,
  GIT_REF,
  GIT_REPO,
  IDENTITY,
  NOTIFY_NAME,
  NOTIFY_URL,
  POLL_SECONDS,
  resolvePath,
  ROLES,
  SERVICE_NAME,
  SNOWFLAKE,
  type Role,
} from './vocabulary.js';

/**
 * otto.yml as zod reads it: snake_case keys checked (unknown keys are errors, every
 * message names its key path), then turned into the camelCase shape the rest of Otto
 * uses by transforms beside each schema. The types below are the schema's output:
 * adding a key is one edit here.
 */

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
  .strict()
  .transform((m) => ({
    host: m.host,
    port: m.port,
    user: m.user,
    /** Resolved against otto.yml's folder by the config's own transform. */
    privateKeyFile: m.private_key_file,
    /** A pinned `SHA256:...` fingerprint; without it the key is trusted on first use. */
    hostKey: m.host_key,
  }));

const dockerHost = z
  .string()
  .regex(
    /^(unix|tcp|ssh|npipe):\/\/\S+$/,
    'must be a Docker host URL such as unix:///var/run/docker.sock',
  );

/**
 * The Traefik image the ingress stack `otto-ingress` runs unless a cluster names
 * another: a pinned Traefik v3 release (v3.7.9, 2026-07-24, in Traefik's CHANGELOG.md;
 * published as `traefik:v3.7.9` by traefik/traefik-library-image).
 */
export const DEFAULT_INGRESS_IMAGE = 'traefik:v3.7.9';

/**
 * A docker image reference: `[registry[:port]/]name[/name...][:tag][@sha256:digest]`,
 * as the distribution reference grammar spells it (names lower case).
 */
export const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::\w[\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

const ingressSchema = z
  .object({
    acme_email: z
      .email("must be an e-mail address such as ops@example.com (Let's Encrypt writes to it)")
      .optional(),
    image: z
      .string()
      .regex(
        IMAGE_REFERENCE,
        `must be a docker image reference such as ${DEFAULT_INGRESS_IMAGE} or registry.example.com/traefik:v3.7.9`,
      )
      .default(DEFAULT_INGRESS_IMAGE),
    enabled: z.boolean().default(true),
    extra_args: z
      .array(
        z
          .string()
          .regex(
            /^--[A-Za-z][\w.[\]-]*(=.*)?$/,
            'each extra argument is one Traefik flag starting with --, such as --log.level=INFO',
          )
          .refine(
            (a) => !/^--providers\.docker\.swarmmode\b/i.test(a),
            'providers.docker.swarmMode is Traefik v2 and stops v3 from starting; the ingress already uses the Swarm provider (--providers.swarm.*)',
          ),
      )
      .default([]),
  })
  .strict()
  .transform((i) => ({
    /** Whether Otto deploys and expects the `otto-ingress` stack (Traefik) on this cluster. */
    enabled: i.enabled,
    /** Let's Encrypt account e-mail; the ingress is not deployed without it. */
    acmeEmail: i.acme_email,
    /** The Traefik v3 image. */
    image: i.image,
    /** Traefik flags appended after Otto's own, in order. */
    extraArgs: i.extra_args as readonly string[],
  }));

const sshClusterSchema = z
  .object({
    managers: z.array(managerSchema).min(1, 'list at least one manager'),
    docker_host: dockerHost.optional(),
    strict_host_keys: z.boolean().default(true),
    ingress: ingressSchema.prefault({}),
  })
  .strict()
  .transform((c) => ({
    kind: 'ssh' as const,
    managers: c.managers,
    dockerHost: c.docker_host,
    /** Refuse to fail over to the next manager when one offers a changed host key. */
    strictHostKeys: c.strict_host_keys,
    /** The cluster's HTTPS ingress (Traefik), deployed once per cluster as `otto-ingress`. */
    ingress: c.ingress,
  }));

const localClusterSchema = z
  .object({
    local: z.literal(true),
    docker_host: dockerHost.optional(),
    ingress: ingressSchema.prefault({}),
  })
  .strict()
  .transform((c) => ({ kind: 'local' as const, dockerHost: c.docker_host, ingress: c.ingress }));

const accessSchema = z.record(
  z
    .string()
    .regex(
      IDENTITY,
      'identities look like slack:U0123, slack-group:S0123, discord:1234, discord-role:5678, console:alice, token:ci or slack:*',
    ),
  z.enum(ROLES),
);
/** Identity → role. */
const accessMap = accessSchema.transform(
  (a) => new Map(Object.entries(a)) as ReadonlyMap<string, Role>,
);

const approvalsSchema = z
  .object({
    rollback: z.number().int().min(0).max(10).default(1),
    launch: z.number().int().min(0).max(10).default(0),
    /** Approvals a `scale` needs; 0: none. */
    scale: z.number().int().min(0).max(10).default(0),
    self_approve: z.boolean().default(false),
    /** Seconds until an unanswered request expires. */
    timeout: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(900),
  })
  .strict()
  .transform((a) => ({
    rollback: a.rollback,
    launch: a.launch,
    scale: a.scale,
    selfApprove: a.self_approve,
    timeoutSeconds: a.timeout,
  }));

const duration = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(DURATION, `${what} is a duration such as 15s, 10m or 1h`)
    .transform((v) => durationSeconds(v)!)
    .refine((v) => v >= min && v <= max, `${what} must be between ${min} s and ${max} s`);

/** What each kind of alert target looks like, for the message of one that is not. */
const SINK_FORMS: Readonly<Record<string, string>> = {
  slack: 'slack:<channel id>, such as slack:C0123ABC',
  discord: 'discord:<channel id>, such as discord:123456789012345678',
  webhook:
    'webhook:<name of an entry under notify:>, such as webhook:ops-hook (the entry holds the URL and its secret, so neither is written here)',
  mattermost:
    'mattermost:<incoming webhook URL>, such as mattermost:https://chat.example.com/hooks/xxx (https; http only to 127.0.0.1 or localhost)',
  teams:
    'teams:<workflow webhook URL>, such as teams:https://prod-00.westeurope.logic.azure.com/workflows/… (https; http only to 127.0.0.1 or localhost)',
  email: 'email:<address>, such as email:oncall@example.com (sent through smtp:)',
};

const alertSink = z.string().superRefine((t, ctx) => {
  if (ALERT_SINK.test(t)) return;
  const kind = t.slice(0, Math.max(0, t.indexOf(':')));
  const form = Object.hasOwn(SINK_FORMS, kind) ? SINK_FORMS[kind] : undefined;
  ctx.addIssue({
    code: 'custom',
    message: form
      ? // Not echoed: a malformed URL may still carry its token.
        `not a ${kind} target Otto can send to: write ${form}`
      : 'alert targets look like slack:C0123ABC, discord:123456789012345678, a Discord webhook URL (https://discord.com/api/webhooks/<id>/<token>), webhook:<notify: entry>, mattermost:<https URL>, teams:<https URL> or email:<address>',
  });
});
const alertSinks = z.array(alertSink);

/**
 * `notify:`: named signed webhooks, targeted as `webhook:<name>`. The URL and its
 * secret live here, so an alert list, a log line or a stored message ref never
 * holds either.
 */
const notifySchema = z.record(
  z.string().regex(NOTIFY_NAME, 'notify: names use a-z, 0-9, - and _ (such as ops-hook)'),
  z
    .object({
      url: z
        .string()
        .regex(
          NOTIFY_URL,
          'url is an https:// URL (http:// only to 127.0.0.1 or localhost), such as https://hooks.example.com/otto',
        ),
      secret: z
        .string()
        .min(16, 'the secret has at least 16 characters: openssl rand -hex 32 makes one'),
    })
    .strict(),
);

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;
/** `smtp:`: the mail server alert and launch mail is sent through. */
const smtpSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).optional(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    from: z
      .string()
      .regex(
        /^(?:[^<>@\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/,
        'from is an address such as otto@example.com or "Otto <otto@example.com>"',
      ),
    tls: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.user === undefined) !== (s.password === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [s.user === undefined ? 'user' : 'password'],
        message: 'user and password go together: give both, or neither for a server without login',
      });
    if (s.tls === 'none' && s.password !== undefined && !LOOPBACK.test(s.host))
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message:
          'tls: none would send the password in clear text over the network: use starttls (port 587) or tls (port 465)',
      });
  })
  .transform((s) => ({
    host: s.host,
    /** 587 for starttls, 465 for tls, 25 for none, unless given. */
    port: s.port ?? { starttls: 587, tls: 465, none: 25 }[s.tls],
    user: s.user,
    /** From otto.yml, usually as `${OTTO_SMTP_PASSWORD}`; never logged or mailed. */
    password: s.password,
    from: s.from,
    /** starttls: upgrade on connect and refuse a server that can't; tls: TLS from the start; none: plain (a local relay). */
    tls: s.tls,
  }));

/** `backup:`: scheduled online backups of the database while `otto start` runs. */
const backupSchema = z
  .object({
    schedule: z
      .string()
      .refine((v) => cron.validate(v), 'schedule is a cron schedule such as "0 3 * * *"'),
    dir: z.string().min(1),
    keep: z.number().int().min(1).max(1000).default(7),
  })
  .strict();

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
    /** Percent of a task's memory limit that, held for two polls, opens a memory incident. */
    memory_warn: z.number().min(1).max(100).default(90),
    digest: z
      .string()
      .refine((v) => cron.validate(v), 'digest is a cron schedule such as "0 9 * * 1-5"')
      .optional(),
  })
  .strict()
  .transform((t) => ({
    enabled: t.enabled,
    /** Follow `docker events` to wake the watcher between polls. */
    events: t.events,
    pollSeconds: t.poll,
    graceSeconds: t.grace,
    remindSeconds: t.remind,
    /** Default alert targets. */
    alerts: t.alerts as readonly string[],
    /** Cron schedule of the status summary, when wanted. */
    digest: t.digest,
    memoryWarnPercent: t.memory_warn,
  }));

/** `logs:`: how many live follows (`logs --follow`) may run at once. */
const logsSchema = z
  .object({
    follows_per_fleet: z.number().int().min(1).max(50).default(3),
    follows_per_identity: z.number().int().min(1).max(50).default(2),
  })
  .strict()
  .transform((l) => ({
    followsPerFleet: l.follows_per_fleet,
    followsPerIdentity: l.follows_per_identity,
  }));

const gitSchema = z
  .object({
    repo: z
      .string()
      .regex(GIT_REPO, 'repo is an https://, ssh://, file:// or git@host:org/repo.git URL'),
    ref: z
      .string()
      .regex(GIT_REF, 'ref is a branch, tag or commit such as main or v1.4.2')
      .optional(),
    path: z
      .string()
      .regex(GIT_PATH, 'path is a file path from the top of the repository, without ..')
      .optional(),
    key_file: z.string().min(1).optional(),
  })
  .strict()
  .transform((g) => ({
    repo: g.repo,
    /** The branch or tag a launch without --ref deploys; the remote's default branch when unset. */
    ref: g.ref,
    /** The compose file's path in the repository; the first of the default names when unset. */
    path: g.path,
    /** Resolved against otto.yml's folder by the config's own transform. */
    keyFile: g.key_file,
  }));

const imagePattern = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9.:_/*@-]{0,299}$/,
    'images: a value is an image pattern such as ghcr.io/acme/shop:*, or a list of them',
  );

const fleetSchema = z
  .object({
    cluster: z.string().min(1),
    compose_file: z.string().min(1).optional(),
    git: gitSchema.optional(),
    auto_launch: z.boolean().default(false),
    previews: z
      .object({
        domain: z
          .string()
          .regex(
            /^[a-z0-9{}.-]*\{number\}[a-z0-9{}.-]*$/,
            'previews.domain is a host name with {number} in it, such as pr-{number}.shop.example.com',
          ),
        ttl: duration('previews.ttl', 60, 90 * 86_400).default(7 * 86_400),
        services: z.array(z.string().regex(SERVICE_NAME)).min(1),
      })
      .strict()
      .optional(),
    auto_launch_tags: z
      .string()
      .regex(/^[A-Za-z0-9._/*+-]{1,100}$/, 'auto_launch_tags is a tag pattern such as v*')
      .optional(),
    images: z
      .record(
        z.string().regex(SERVICE_NAME, 'images: keys are service names'),
        z
          .union([imagePattern, z.array(imagePattern).min(1)])
          .transform((p) => (typeof p === 'string' ? [p] : p)),
      )
      .optional(),
    converge_timeout: z.number().int().min(1).max(86_400).default(300),
    settle_seconds: z.number().min(0).max(600).default(3),
    on_failure: z.enum(['stay', 'rollback']).default('stay'),
    approvals: approvalsSchema.prefault({}),
    access: accessMap.optional(),
    channels: z
      .array(z.string().regex(CHANNEL, 'channels look like slack:C0123ABC or discord:123456789'))
      .optional(),
    alerts: alertSinks.optional(),
    deploy_notices: z.boolean().default(true),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (!f.git && f.previews)
      ctx.addIssue({
        code: 'custom',
        path: ['previews'],
        message: 'pull request previews need a git fleet: give it git: { repo: … }',
      });
    if (!f.git && (f.auto_launch || f.auto_launch_tags))
      ctx.addIssue({
        code: 'custom',
        path: [f.auto_launch ? 'auto_launch' : 'auto_launch_tags'],
        message: 'launches on push need a git fleet: give it git: { repo: … }',
      });
    if ((f.compose_file === undefined) === (f.git === undefined))
      ctx.addIssue({
        code: 'custom',
        path: f.git ? ['git'] : [],
        message:
          'a fleet has either compose_file (a file on this machine) or git (a repository), not both',
      });
  })
  .transform((f) => ({
    cluster: f.cluster,
    /**
     * Service → the images `launch <fleet> <service>=<image-or-tag>` may run
     * (`ghcr.io/acme/shop:*`); a service not listed takes no override.
     */
    images: new Map(Object.entries(f.images ?? {})) as ReadonlyMap<string, readonly string[]>,
    /** A git fleet: a push to its tracked branch launches the pushed commit (webhooks). */
    autoLaunch: f.auto_launch,
    /** A git fleet: a pushed tag matching this pattern (`v*`) is launched (webhooks). */
    autoLaunchTags: f.auto_launch_tags,
    /** A git fleet: each pull request runs as `<name>-pr-<number>` on its own domain (webhooks). */
    previews: f.previews
      ? { domain: f.previews.domain, ttlSeconds: f.previews.ttl, services: f.previews.services }
      : undefined,
    /** Whose secrets the fleet's compose is filled with: its own (a preview: its parent's). */
    secretsOf: undefined as string | undefined,
    /** Where the compose comes from; paths are resolved against otto.yml's folder by the config's own transform. */
    source: (f.git
      ? { kind: 'git', ...f.git }
      : { kind: 'file', path: f.compose_file ?? '' }) as FleetSource,
    convergeTimeoutSeconds: f.converge_timeout,
    settleSeconds: f.settle_seconds,
    /** What a failed launch does: stay as it is, or return to the last good version. */
    onFailure: f.on_failure,
    approvals: f.approvals,
    /** Identity → role entries that replace the global ones with the same identity. */
    access: f.access ?? (new Map() as ReadonlyMap<string, Role>),
    /** When set, commands for this fleet are heard only in these chat channels. */
    channels: f.channels as readonly string[] | undefined,
    /** Where this fleet's alerts go; `telemetry.alerts` when unset. */
    alerts: f.alerts as readonly string[] | undefined,
    /** Whether launches of this fleet are announced to its alert targets. */
    deployNotices: f.deploy_notices,
  }));

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
  })
  .transform((s) => ({
    mode: s.mode,
    botToken: s.bot_token,
    appToken: s.app_token,
    signingSecret: s.signing_secret,
    port: s.port,
    /** HTTP mode: the address the listener binds to. */
    host: s.host,
    /** Web API base URL, ending in `/`. */
    apiUrl: (s.api_url ?? 'https://slack.com/api/').replace(/\/?$/, '/'),
  }));

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
  .strict()
  .transform((d) => ({
    token: d.token,
    applicationId: d.application_id,
    /** The only server Otto answers in, and where `otto discord register` puts the command. */
    guildId: d.guild_id,
    /** REST base URL without the version, e.g. https://discord.com/api. */
    apiUrl: (d.api_url ?? 'https://discord.com/api').replace(/\/+$/, ''),
  }));

const hookSecret = z.string().min(16, 'a webhook secret has at least 16 characters');
const httpSchema = z
  .object({
    port: z.number().int().min(0).max(65_535),
    host: z.string().min(1).default('127.0.0.1'),
    public_url: z.url({ protocol: /^https?$/ }).optional(),
    hooks: z
      .object({
        github: z.object({ secret: hookSecret }).strict().optional(),
        gitlab: z.object({ token: hookSecret }).strict().optional(),
        generic: z.object({ secret: hookSecret }).strict().optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .transform((h) => ({
    /** Each webhook is on only when its secret is set. */
    hooks: {
      github: h.hooks.github?.secret,
      gitlab: h.hooks.gitlab?.token,
      generic: h.hooks.generic?.secret,
    },
    /** 0: any free port (tests). */
    port: h.port,
    /** The address to bind: 127.0.0.1 by default (behind a proxy that terminates TLS). */
    host: h.host,
    /** Where CI reaches the API, for messages. */
    publicUrl: h.public_url,
  }));

const rawConfigSchema = z
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
    access: accessMap.default(new Map()),
    slack: slackSchema.optional(),
    discord: discordSchema.optional(),
    http: httpSchema.optional(),
    telemetry: telemetrySchema.prefault({}),
    logs: logsSchema.prefault({}),
    notify: notifySchema.default({}),
    smtp: smtpSchema.optional(),
    backup: backupSchema.optional(),
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
    // A named webhook must be under notify:, and mail needs smtp:, whatever runs Otto.
    for (const [path, target] of targets) {
      const name = /^webhook:(.*)$/.exec(target)?.[1];
      if (name !== undefined && !Object.hasOwn(cfg.notify, name))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${target} names "${name}", which is not under notify: (known: ${Object.keys(cfg.notify).join(', ') || 'none'}); add it there with its url and secret`,
        });
      if (target.startsWith('email:') && !cfg.smtp)
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${target} is an e-mail address, but there is no smtp: section to send mail with (smtp: { host, port, user, password, from, tls })`,
        });
    }
    // An alert target needs its platform, unless Otto runs as the console (no chat at all).
    if (!cfg.slack && !cfg.discord) return;
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

/**
 * The whole schema for an otto.yml in `baseDir` (`path` is the file, or undefined for
 * the embedded default): names joined to clusters and fleets, a fleet's alert
 * targets defaulted from telemetry, and paths made absolute.
 */
export function configSchema(baseDir: string, path: string | undefined) {
  return rawConfigSchema.transform((cfg) => ({
    /** Absolute path of otto.yml, or undefined for the embedded default. */
    path,
    dataDir: resolvePath(cfg.data_dir, baseDir),
    clusters: new Map(
      Object.entries(cfg.clusters).map(([name, c]) => [
        name,
        c.kind === 'ssh'
          ? {
              name,
              ...c,
              managers: c.managers.map((m) => ({
                ...m,
                privateKeyFile: resolvePath(m.privateKeyFile, baseDir),
              })),
            }
          : { name, ...c },
      ]),
    ) as ReadonlyMap<string, ClusterEntry>,
    fleets: new Map(
      Object.entries(cfg.fleets).map(([name, f]) => [
        name,
        {
          name,
          ...f,
          source: resolveSource(f.source, baseDir),
          alerts: f.alerts ?? cfg.telemetry.alerts,
        },
      ]),
    ) as ReadonlyMap<string, FleetEntry>,
    access: cfg.access,
    slack: cfg.slack,
    http: cfg.http,
    discord: cfg.discord,
    telemetry: cfg.telemetry,
    logs: cfg.logs,
    /** Named signed webhooks (`webhook:<name>` targets): name → URL and secret. */
    notify: new Map(Object.entries(cfg.notify)) as ReadonlyMap<string, NotifyEntry>,
    smtp: cfg.smtp,
    /** Scheduled backups in `otto start`: when, where (absolute), how many to keep. */
    backup: cfg.backup && {
      schedule: cfg.backup.schedule,
      dir: resolvePath(cfg.backup.dir, baseDir),
      keep: cfg.backup.keep,
    },
  }));
}

/** `notify.<name>`: a signed webhook's URL and its HMAC secret. */
export interface NotifyEntry {
  readonly url: string;
  readonly secret: string;
}

type ClusterShape = z.output<typeof sshClusterSchema> | z.output<typeof localClusterSchema>;
type ClusterEntry = ClusterShape & { readonly name: string };
/** A git fleet's repository: `fleets.<name>.git`, camelCased. */
export interface GitSource {
  readonly repo: string;
  readonly ref: string | undefined;
  readonly path: string | undefined;
  /** Absolute path of the SSH deploy key. */
  readonly keyFile: string | undefined;
}

/** Where a fleet's compose comes from: a file on Otto's machine, or a git repository. */
export type FleetSource =
  | { readonly kind: 'file'; /** Absolute path of the compose file. */ readonly path: string }
  | ({ readonly kind: 'git' } & GitSource);

function resolveSource(source: FleetSource, baseDir: string): FleetSource {
  if (source.kind === 'file') return { kind: 'file', path: resolvePath(source.path, baseDir) };
  return {
    ...source,
    keyFile: source.keyFile === undefined ? undefined : resolvePath(source.keyFile, baseDir),
  };
}

type FleetEntry = z.output<typeof fleetSchema> & {
  readonly name: string;
  readonly alerts: readonly string[];
};

export type OttoConfig = z.output<ReturnType<typeof configSchema>>;
export type ClusterConfig = ClusterEntry;
export type SshCluster = Extract<ClusterConfig, { kind: 'ssh' }>;
export type LocalCluster = Extract<ClusterConfig, { kind: 'local' }>;
export type ManagerConfig = SshCluster['managers'][number];
export type FleetConfig = FleetEntry;
export type TelemetryConfig = OttoConfig['telemetry'];
export type LogsConfig = OttoConfig['logs'];
/** `smtp:`: the server alert and launch mail goes through. */
export type SmtpConfig = NonNullable<OttoConfig['smtp']>;
export type SlackConfig = NonNullable<OttoConfig['slack']>;
export type DiscordConfig = NonNullable<OttoConfig['discord']>;
/** `http:`: Otto's HTTP API for CI. */
export type HttpConfig = NonNullable<OttoConfig['http']>;
/** `clusters.<name>.ingress`, camelCased, defaults filled in. */
export type IngressConfig = z.output<typeof ingressSchema>;
