import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GIT_REF, type GitSource } from '../config/config.js';
import { GitSourceError } from '../errors.js';
import { COMPOSE_MAX_BYTES, decodeCompose } from '../swarm/fleet-compose.js';
import { gitBlob, runGit, type GitResult } from '../transport/git.js';

/** Where a compose file is looked for when `git.path` is not set, in this order. */
export const DEFAULT_COMPOSE_PATHS = [
  'compose.yaml',
  'compose.yml',
  'docker-compose.yaml',
  'docker-compose.yml',
] as const;

/** The commit a launch of a git fleet deploys, and how it was named. */
export interface GitCommit {
  /** The full commit SHA. */
  readonly sha: string;
  /** The branch or tag it was reached by; empty when a SHA was asked for. */
  readonly ref: string;
  /** The first line of the commit message. */
  readonly subject: string;
}

/** A compose file read from a commit. */
export interface GitCompose {
  readonly text: string;
  /** Its path in the repository. */
  readonly path: string;
}

/** `a1b2c3d`: the short form Otto shows. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/**
 * A repository URL as Otto shows it: any user and password in it are left out
 * (`https://token@host/org/app.git` → `https://host/org/app.git`).
 */
export function displayRepo(repo: string): string {
  if (!/^[a-z+]+:\/\//i.test(repo)) return repo;
  try {
    const url = new URL(repo);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    // Not a URL the WHATWG parser reads: drop everything up to the last @ of the authority.
    return repo.replace(/^([a-z+]+:\/\/)[^/]*@/i, '$1').replace(/[?#].*$/, '');
  }
}

/** A line git printed, with any `scheme://user:password@` in it left out. */
function withoutCredentials(line: string): string {
  return line.replace(/([a-z+]+:\/\/)[^\s/'"]*@/gi, '$1');
}

/**
 * The clones of git fleets' repositories, one bare clone per repository under
 * `<data_dir>/git/`, fetched before each read. Reads go through `git` with argv
 * (tests/unit/git-repos.test.ts runs real repositories). Compose files are read
 * with `git cat-file` at the resolved commit: no worktree to keep in step, and two
 * launches of different refs read at once without touching each other's files
 * (Otto refuses `env_file` and `file:` references, so the compose file is the
 * whole input of a launch).
 */
export class GitRepos {
  private readonly root: string;
  /** One queue per clone: a clone, a fetch and the reads after it never overlap. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(dataDir: string) {
    this.root = join(dataDir, 'git');
  }

  private swept = false;

  /**
   * Clones a stopped Otto left half-made (`.clone-*`), once per process; only those
   * older than an hour, so another Otto's clone in progress is left alone.
   */
  private async sweepOnce(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    const hourAgo = Date.now() - 3600_000;
    for (const name of await readdir(this.root).catch(() => [] as string[])) {
      if (!name.startsWith('.clone-')) continue;
      const path = join(this.root, name);
      const st = await stat(path).catch(() => undefined);
      if (st && st.mtimeMs < hourAgo) await rm(path, { recursive: true, force: true });
    }
  }

  /** Otto's known-hosts file for git over SSH. */
  get knownHosts(): string {
    return join(this.root, 'known_hosts');
  }

  /** The clone's folder: readable name, plus a hash of the full URL. */
  cloneDir(repo: string): string {
    const base =
      displayRepo(repo)
        .replace(/\.git\/?$/, '')
        .split(/[/:]/)
        .filter(Boolean)
        .pop()
        ?.replace(/[^A-Za-z0-9._-]/g, '_')
        .slice(0, 40) || 'repo';
    const hash = createHash('sha256').update(repo).digest('hex').slice(0, 12);
    return join(this.root, `${base}-${hash}.git`);
  }

  /** Whether the repository has been cloned already (a launch then fetches only). */
  isCloned(repo: string): boolean {
    return existsSync(this.cloneDir(repo));
  }

  /**
   * Brings the clone up to date (cloning it the first time), resolves `ref` (the
   * source's, or the remote's default branch) to a commit, and reads the compose
   * file at that commit.
   */
  read(
    source: GitSource,
    ref: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ commit: GitCommit; compose: GitCompose }> {
    return this.queued(source.repo, async () => {
      await this.update(source, signal);
      const commit = await this.resolve(source, ref ?? source.ref, signal);
      return { commit, compose: await this.compose(source, commit, signal) };
    });
  }

  private async queued<T>(repo: string, work: () => Promise<T>): Promise<T> {
    const dir = this.cloneDir(repo);
    const before = this.queues.get(dir) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.catch(() => undefined);
    this.queues.set(dir, settled);
    try {
      return await mine;
    } finally {
      if (this.queues.get(dir) === settled) this.queues.delete(dir);
    }
  }

  private git(source: GitSource, args: readonly string[], cwd?: string, signal?: AbortSignal) {
    // ssh expands % and splits on unquoted spaces in these paths: Otto quotes them, so a " or % can't be allowed.
    for (const path of [this.knownHosts, source.keyFile ?? ''])
      if (/["%]/.test(path))
        throw new GitSourceError(
          `Otto can't give ssh the path ${path}: it has a " or a %.`,
          'Move the key file or data_dir to a path without those characters.',
        );
    return runGit(args, {
      knownHosts: this.knownHosts,
      ...(source.repo.startsWith('file://')
        ? { globalConfig: `${this.cloneDir(source.repo)}.gitconfig` }
        : {}),
      ...(cwd ? { cwd } : {}),
      ...(source.keyFile ? { keyFile: source.keyFile } : {}),
      ...(signal ? { signal } : {}),
    });
  }

  /** Clones into a fresh folder renamed into place when complete, or fetches. */
  private async update(source: GitSource, signal?: AbortSignal): Promise<void> {
    const dir = this.cloneDir(source.repo);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await this.sweepOnce();
    if (source.repo.startsWith('file://')) {
      // A local repository may belong to another user: git reads it only when it is
      // listed as safe in a config it trusts. Otto's own, for this repository alone
      // (git keeps the environment's config from the local upload-pack).
      await writeFile(`${dir}.gitconfig`, safeDirectories(source.repo), { mode: 0o600 });
    }
    if (existsSync(dir)) {
      const fetched = await this.git(
        source,
        ['fetch', '--quiet', '--prune', '--tags', '--force', 'origin'],
        dir,
        signal,
      );
      if (fetched.exitCode !== 0) throw this.reachFailure(source, 'fetch', fetched);
      await this.followDefaultBranch(source, dir, signal);
      return;
    }
    const tmp = join(this.root, `.clone-${randomBytes(4).toString('hex')}`);
    try {
      const cloned = await this.git(
        source,
        ['clone', '--bare', '--quiet', '--', source.repo, tmp],
        undefined,
        signal,
      );
      if (cloned.exitCode !== 0) throw this.reachFailure(source, 'clone', cloned);
      // A bare clone copies branches but fetches nothing later: track every branch,
      // force-updated (a force-push moves a branch back), and prune deleted ones.
      const set = await this.git(
        source,
        ['config', 'remote.origin.fetch', '+refs/heads/*:refs/heads/*'],
        tmp,
      );
      if (set.exitCode !== 0) throw this.reachFailure(source, 'clone', set);
      try {
        await rename(tmp, dir);
      } catch (e) {
        // Another Otto on the same data_dir finished the same clone first: use theirs.
        if (!existsSync(dir)) throw e;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
      // A clone that did not happen leaves nothing, its safe-directory file included.
      if (!existsSync(dir)) await rm(`${dir}.gitconfig`, { force: true });
    }
  }

  /**
   * A fetch never moves a bare clone's HEAD: the remote's default branch is asked
   * again (`ls-remote --symref`), so a repository that renamed it is followed.
   * When the remote does not say (an empty repository), HEAD stays as it was.
   */
  private async followDefaultBranch(source: GitSource, dir: string, signal?: AbortSignal) {
    const ls = await this.git(source, ['ls-remote', '--symref', 'origin', 'HEAD'], dir, signal);
    const name = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(ls.stdout)?.[1];
    if (ls.exitCode !== 0 || !name || !GIT_REF.test(name)) return;
    await this.git(source, ['symbolic-ref', 'HEAD', `refs/heads/${name}`], dir, signal);
  }

  /** A branch first, then a tag, then a commit SHA (7 to 40 hex digits). */
  private async resolve(
    source: GitSource,
    ref: string | undefined,
    signal?: AbortSignal,
  ): Promise<GitCommit> {
    const dir = this.cloneDir(source.repo);
    let name = ref;
    if (name === undefined) {
      const head = await this.git(source, ['symbolic-ref', '--short', 'HEAD'], dir, signal);
      name = head.stdout.trim();
      if (head.exitCode !== 0 || !GIT_REF.test(name))
        throw new GitSourceError(
          `${displayRepo(source.repo)} names no default branch Otto can read.`,
          `Set git.ref of the fleet in otto.yml, or launch with --ref <branch|tag|sha>.`,
        );
    }
    const commitAt = async (spec: string) => {
      const r = await this.git(
        source,
        ['rev-parse', '--verify', '--quiet', '--end-of-options', `${spec}^{commit}`],
        dir,
        signal,
      );
      const sha = r.stdout.trim();
      return r.exitCode === 0 && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
    };
    const branch = await commitAt(`refs/heads/${name}`);
    const tag = await commitAt(`refs/tags/${name}`);
    // Whoever can push a branch could otherwise shadow a release tag (or the reverse).
    if (branch && tag && branch !== tag)
      throw new GitSourceError(
        `${displayRepo(source.repo)} has both a branch and a tag named ${name}, on different commits: Otto won't guess which.`,
        `Launch with --ref ${shortSha(tag)} (the tag's commit) or --ref ${shortSha(branch)} (the branch's), or rename one of them.`,
      );
    let hex = /^[0-9a-f]{7,40}$/.test(name) ? await commitAt(name) : undefined;
    if (!hex && !branch && !tag && /^[0-9a-f]{40}$/.test(name)) {
      // A commit on no branch of the repository (a pull request from a fork: GitHub
      // keeps it under refs/pull/): asked for by its SHA, which GitHub serves.
      const got = await this.git(source, ['fetch', '--quiet', 'origin', name], dir, signal);
      if (got.exitCode === 0) hex = await commitAt(name);
    }
    const found: [string | undefined, string][] = [
      [branch, name],
      [tag, name],
      [hex, ''],
    ];
    for (const [sha, shown] of found) {
      if (sha) {
        const log = await this.git(source, ['log', '-1', '--format=%s', sha], dir, signal);
        return { sha, ref: shown, subject: log.stdout.trim() };
      }
    }
    throw new GitSourceError(
      `${displayRepo(source.repo)} has no branch, tag or commit named ${name}.`,
      `Check the name (git ls-remote ${displayRepo(source.repo)} lists branches and tags), or push it first.`,
    );
  }

  private async compose(
    source: GitSource,
    commit: GitCommit,
    signal?: AbortSignal,
  ): Promise<GitCompose> {
    const dir = this.cloneDir(source.repo);
    const at = `${displayRepo(source.repo)} at ${shortSha(commit.sha)}${commit.ref ? ` (${commit.ref})` : ''}`;
    let path = source.path;
    if (path === undefined) {
      const ls = await this.git(
        source,
        ['ls-tree', '--name-only', commit.sha, '--', ...DEFAULT_COMPOSE_PATHS],
        dir,
        signal,
      );
      const present = new Set(ls.stdout.split('\n'));
      path = DEFAULT_COMPOSE_PATHS.find((p) => present.has(p));
      if (!path)
        throw new GitSourceError(
          `${at} has no compose file: none of ${DEFAULT_COMPOSE_PATHS.join(', ')} at the top of the repository.`,
          'Add one, or set git.path of the fleet in otto.yml to where it is.',
        );
    }
    const object = `${commit.sha}:${path}`;
    const kind = await this.git(source, ['cat-file', '-t', object], dir, signal);
    if (kind.exitCode !== 0 || kind.stdout.trim() !== 'blob')
      throw new GitSourceError(
        `${at} has no file ${path}.`,
        'Check git.path of the fleet in otto.yml (a path from the top of the repository), or push the file.',
      );
    const size = Number((await this.git(source, ['cat-file', '-s', object], dir, signal)).stdout);
    if (!(size <= COMPOSE_MAX_BYTES))
      throw new GitSourceError(
        `${path} in ${at} is larger than ${COMPOSE_MAX_BYTES / 1024 / 1024} MiB, Otto's limit; Otto did not use it.`,
        'Check git.path of the fleet in otto.yml: a compose file is a few KB.',
      );
    const blob = await gitBlob(dir, object, COMPOSE_MAX_BYTES, signal);
    if (!blob)
      throw new GitSourceError(
        `Otto could not read ${path} from ${at}.`,
        `Remove the clone (${dir}) and launch again: Otto clones it anew.`,
      );
    return { text: decodeCompose(blob, `${path} in ${at}`), path };
  }

  /** Git's refusal in words: which key was tried, the repository, what to fix. */
  private reachFailure(source: GitSource, what: 'clone' | 'fetch', r: GitResult): GitSourceError {
    const repo = displayRepo(source.repo);
    const said = r.stderr;
    const last = lastLine(said);
    if (r.timedOut)
      return new GitSourceError(
        `The ${what} of ${repo} did not finish within ${GIT_MINUTES} minutes.`,
        'Check that the git server answers from where Otto runs, then launch again.',
      );
    if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(said))
      return new GitSourceError(
        `The git server of ${repo} offered a host key other than the one Otto kept for it: Otto stopped.`,
        `If the server really changed its key, remove its line from ${this.knownHosts} and launch again.`,
      );
    if (
      /does not appear to be a git repository|[Rr]epository .*not found|Repository not found/.test(
        said,
      )
    )
      return new GitSourceError(
        `There is no git repository at ${repo} (${last}).`,
        'Check git.repo of the fleet in otto.yml: the URL Otto clones from.',
      );
    if (/Permission denied \(publickey/.test(said))
      return new GitSourceError(
        source.keyFile
          ? `${repo} refused Otto's SSH key ${source.keyFile} (${last}).`
          : `${repo} asked for an SSH key, and the fleet has none (${last}).`,
        source.keyFile
          ? 'Add the public half of that key as a read-only deploy key of the repository, or set git.key_file to the right one.'
          : 'Set git.key_file of the fleet to a private key whose public half is a deploy key of the repository.',
      );
    if (/could not read Username|Authentication failed|terminal prompts disabled/i.test(said))
      return new GitSourceError(
        `${repo} asked for a user name and password, which Otto does not type.`,
        'Use the SSH URL with git.key_file (a read-only deploy key), or make the repository readable without login.',
      );
    return new GitSourceError(
      `The ${what} of ${repo} failed: ${last}.`,
      'Check git.repo of the fleet in otto.yml and that the repository exists, then launch again.',
    );
  }
}

const GIT_MINUTES = 5;

/** Git's first `fatal:` or `error:` line (the cause; what follows is advice), else its last line. */
function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const cause = lines.find((l) => /^(fatal|error): /.test(l)) ?? lines.at(-1);
  return withoutCredentials(cause ?? 'git gave no reason')
    .replace(/^(fatal|error|remote): /, '')
    .replace(/\.$/, '');
}

/**
 * Otto's git config for a `file://` repository: the path listed as a safe
 * directory in each form git may check (as given, without a trailing slash, its
 * `.git` folder, with `.git` added), each quoted for git's config syntax.
 */
function safeDirectories(repo: string): string {
  let path: string;
  try {
    path = decodeURIComponent(new URL(repo).pathname);
  } catch {
    throw new GitSourceError(
      `Otto can't read the path of ${displayRepo(repo)}.`,
      'Check git.repo of the fleet in otto.yml: file:///srv/git/shop.git',
    );
  }
  if (/[\n\r\0]/.test(path))
    throw new GitSourceError(
      `The path of ${displayRepo(repo)} has a line break in it.`,
      'Check git.repo of the fleet in otto.yml.',
    );
  const base = path.replace(/\/+$/, '') || '/';
  const forms = [...new Set([path, base, `${base}/.git`, `${base}.git`])];
  const quote = (p: string) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `[safe]\n${forms.map((p) => `\tdirectory = ${quote(p)}\n`).join('')}`;
}
