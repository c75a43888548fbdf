import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

/** The words of otto.yml: names, identities, durations and targets, as patterns. */

export const FLEET_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const CLUSTER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export const ROLES = ['none', 'viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** `slack:U123`, `slack-group:S1`, `discord:42`, `discord-role:7`, `console:alice`, or `<kind>:*`. */
export const IDENTITY =
  /^(slack|slack-group|discord|discord-role|console|token|webhook):(\*|[A-Za-z0-9._@-]{1,128})$/;
/** A channel Otto hears commands in: `slack:C0123`, `discord:98765`. */
export const CHANNEL = /^(slack|discord):[A-Za-z0-9._-]{1,128}$/;

/** `15s`, `10m`, `1h`, `2d`: a whole number of seconds, minutes, hours or days. */
export const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Seconds in a duration such as `90s` or `1h`; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] : undefined;
}

/** The name of an entry under `notify:` (`ops-hook`), as `webhook:<name>` targets it. */
export const NOTIFY_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** An https URL, or http to this machine alone (tests, a local relay): tokens never cross a network in clear. */
const SAFE_URL = String.raw`(?:https:\/\/[^\s/]+|http:\/\/(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?)(?:\/\S*)?`;

/** A URL Otto posts notifications to (a `notify:` entry's `url`): https, or http to this machine. */
export const NOTIFY_URL = new RegExp(`^${SAFE_URL}$`);

const SINKS = [
  'slack:[A-Z0-9]{2,64}',
  String.raw`discord:\d{15,25}`,
  String.raw`(?:https:\/\/\S+|http:\/\/(?:127\.0\.0\.1|localhost)(?::\d+)?)\/\S*webhooks\/\d+\/\S+`,
  `webhook:${NOTIFY_NAME.source.slice(1, -1)}`,
  `mattermost:${SAFE_URL}`,
  `teams:${SAFE_URL}`,
  String.raw`email:[^\s@<>,;:"()\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*`,
];
/**
 * Where alerts and launch notices go: a Slack or Discord channel, a Discord webhook
 * URL, a signed webhook named under `notify:` (`webhook:ops-hook`), a Mattermost
 * incoming webhook (`mattermost:<url>`), a Teams workflow (`teams:<url>`), or an
 * e-mail address sent through `smtp:` (`email:oncall@example.com`).
 */
export const ALERT_SINK = new RegExp(`^(?:${SINKS.map((p) => `(?:${p})`).join('|')})$`);
/** Polls are scheduled with cron, so they must divide a minute or an hour evenly. */
export const POLL_SECONDS = [
  1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1800,
];

/** A Discord id: application, guild, user, role or channel. */
export const SNOWFLAKE = /^\d{15,25}$/;

/** Expands `~/` and makes a path absolute against `base`. */
export function resolvePath(path: string, base: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(base, path);
}

/**
 * A git repository URL Otto clones: `https://…`, `ssh://…`, `git@host:org/repo.git`
 * (scp-like), or `file://…`. Nothing that git would read as an option or as
 * another transport (`ext::`).
 */
export const GIT_REPO =
  /^(?:(?:https|ssh|file):\/\/[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+)$/;

/** A branch, tag or commit SHA as a launch asks for it (`main`, `v1.4.2`, `release/2`, `a1b2c3d`). */
export const GIT_REF = /^(?![-/.])(?!.*\.\.)(?!.*\/\/)(?!.*[/.]$)[A-Za-z0-9._/+-]{1,200}$/;

/** A path inside a repository, from its top: no leading `/`, no `..`. */
export const GIT_PATH = /^(?![/-])(?!(?:.*\/)?\.\.(?:\/|$))[^\0\n\\]{1,300}$/;

/** A compose service name as otto.yml and a launch name it (`web`, `api_v2`). */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
