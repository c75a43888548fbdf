import type { FleetConfig, OttoConfig } from '../config/config.js';

/** A push as any git host tells it, after the adapter read and checked its payload. */
export interface Push {
  /** `github`, `gitlab`, `generic`: the hook it came through. */
  readonly via: string;
  /** Every URL the host gives for the repository (clone, SSH, web). */
  readonly repoUrls: readonly string[];
  /** `refs/heads/main` or `refs/tags/v1.4.2`. */
  readonly ref: string;
  /** The commit the ref points to now; absent or all zeros when it was deleted. */
  readonly sha?: string | undefined;
  /** The repository's default branch, when the host says it. */
  readonly defaultBranch?: string | undefined;
  /** Who pushed, as the host names them. */
  readonly pusher?: string | undefined;
}

/** One launch a push asks for. */
export interface PushLaunch {
  readonly fleet: FleetConfig;
  /** What to launch: the pushed commit for a branch, the tag's name for a tag. */
  readonly ref: string;
  /** Why, for the log and the reply: `main pushed`, `tag v1.4.2`. */
  readonly reason: string;
}

/**
 * A repository URL reduced to `host/path` in lower case, whatever its form:
 * `https://github.com/Acme/Shop.git`, `git@github.com:acme/shop`,
 * `ssh://git@github.com/acme/shop.git` all read `github.com/acme/shop`.
 */
export function normalizeRepo(url: string): string {
  let hostPath: string;
  const scp = /^[^@/\s]+@([^:/\s]+):(?!\/\/)(.+)$/.exec(url);
  if (scp) hostPath = `${scp[1]}/${scp[2]}`;
  else {
    try {
      const u = new URL(url);
      hostPath = u.protocol === 'file:' ? `file${u.pathname}` : `${u.hostname}${u.pathname}`;
    } catch {
      hostPath = url;
    }
  }
  return hostPath
    .toLowerCase()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+/g, '/');
}

/** `v*` style: `*` is any characters; the rest is literal. */
function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${re}$`).test(value);
}

/**
 * Which fleets a push launches: git fleets of that repository (any of its URLs,
 * normalised) that opted in. A branch push launches the pushed commit of fleets
 * with `auto_launch: true` that track that branch (`git.ref`, or the repository's
 * default branch); a tag push launches fleets whose `auto_launch_tags` pattern
 * matches the tag. A deleted ref launches nothing. `known` says whether any fleet
 * uses that repository at all (an unknown repository is a different answer from a
 * branch nobody tracks).
 */
export function pushLaunches(
  config: Pick<OttoConfig, 'fleets'>,
  push: Push,
): { readonly known: boolean; readonly launches: PushLaunch[] } {
  const urls = new Set(push.repoUrls.map(normalizeRepo));
  const fleets = [...config.fleets.values()].filter(
    (f) => f.source.kind === 'git' && urls.has(normalizeRepo(f.source.repo)),
  );
  const deleted = !push.sha || /^0+$/.test(push.sha);
  const launches: PushLaunch[] = [];
  if (deleted) return { known: fleets.length > 0, launches };
  const branch = /^refs\/heads\/(.+)$/.exec(push.ref)?.[1];
  const tag = /^refs\/tags\/(.+)$/.exec(push.ref)?.[1];
  for (const fleet of fleets) {
    if (fleet.source.kind !== 'git') continue;
    if (branch !== undefined && fleet.autoLaunch) {
      const tracked = fleet.source.ref ?? push.defaultBranch;
      if (tracked === branch) launches.push({ fleet, ref: push.sha!, reason: `${branch} pushed` });
    }
    if (tag !== undefined && fleet.autoLaunchTags && globMatch(fleet.autoLaunchTags, tag))
      launches.push({ fleet, ref: tag, reason: `tag ${tag}` });
  }
  return { known: fleets.length > 0, launches };
}
