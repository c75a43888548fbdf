import type { FleetConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import { userText } from '../user-text.js';
import { parseCompose } from '../swarm/compose.js';
import { readFleetCompose } from '../swarm/fleet-compose.js';
import type { Deployments } from '../store/deployments.js';
import { displayRepo, shortSha, type GitCommit, type GitRepos } from './git-repos.js';

/** A fleet's compose as a launch reads it, and where from. */
export interface FleetCompose {
  readonly text: string;
  /** Where it came from, for messages: a file's path, or `repo:path`. */
  readonly label: string;
  /** For a git fleet: the commit it was read at. */
  readonly commit?: GitCommit;
}

/** `a1b2c3d (main) "Fix the login page"`: a commit as history and launch messages show it. */
export function commitLine(commit: Pick<GitCommit, 'sha' | 'ref' | 'subject'>): string {
  // Anyone who can push wrote the subject: drawn as plain text, never a mention.
  const cut = commit.subject.length > 72 ? `${commit.subject.slice(0, 71)}…` : commit.subject;
  const subject = userText(cut);
  const ref = commit.ref ? ` (${userText(commit.ref)})` : '';
  return `${shortSha(commit.sha)}${ref}${subject ? ` “${subject}”` : ''}`;
}

/**
 * Reads fleets' compose files from where otto.yml says they are: a file on this
 * machine, or a git repository at a branch, tag or commit (cloned and fetched by
 * {@link GitRepos}).
 */
export class FleetSources {
  constructor(
    private readonly repos: GitRepos,
    private readonly deployments: Deployments,
  ) {}

  /**
   * The compose to launch: the file as it is now, or the repository at `ref` (the
   * fleet's `git.ref`, or the remote's default branch, when not given).
   */
  async read(fleet: FleetConfig, ref?: string, signal?: AbortSignal): Promise<FleetCompose> {
    const source = fleet.source;
    if (source.kind === 'file') {
      if (ref !== undefined)
        throw new UsageError(
          `Fleet ${fleet.name} launches its compose file from Otto's machine (${source.path}), not from git: there is no ref to choose.`,
          `Launch it without --ref, or give it git: { repo: … } in otto.yml.`,
        );
      return { text: await readFleetCompose(fleet.name, source.path), label: source.path };
    }
    const { commit, compose } = await this.repos.read(source, ref, signal);
    return { text: compose.text, label: `${displayRepo(source.repo)}:${compose.path}`, commit };
  }

  /**
   * The fleet's service names (`web`, `db`). A git fleet's come from its newest
   * recorded launch, so `logs` and `silence` need no fetch; before its first launch,
   * from the repository (none with `fetch: false`).
   */
  async services(
    fleet: FleetConfig,
    options: { readonly fetch?: boolean } = {},
  ): Promise<string[]> {
    let text: string;
    if (fleet.source.kind === 'git') {
      const last = await this.deployments.latest(fleet.name);
      if (!last && options.fetch === false) return [];
      text = last ? last.composeSnapshot : (await this.read(fleet)).text;
    } else text = await readFleetCompose(fleet.name, fleet.source.path);
    return [...parseCompose(text, fleet.name).services.keys()];
  }

  /** Whether a git fleet's repository is cloned already (its next launch only fetches). */
  isCloned(fleet: FleetConfig): boolean {
    return fleet.source.kind === 'git' && this.repos.isCloned(fleet.source.repo);
  }
}
