import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GitSource } from '../../src/config/config.js';
import { GitSourceError } from '../../src/errors.js';
import { displayRepo, GitRepos } from '../../src/ops/git-repos.js';
import { commitLine } from '../../src/ops/fleet-source.js';
import { gitSshCommand, shellQuote } from '../../src/transport/git.js';
import { testRepo, type TestRepo } from '../support/git-repo.js';

// Git-backed fleets against real repositories on local disk (file://): clone once,
// fetch before each read, refs resolved to commits, the compose read at the commit.
// Over SSH, with deploy keys, in tests/e2e/git.test.ts.

const V1 = 'services:\n  web:\n    image: otto-test:v1\n';
const V2 = 'services:\n  web:\n    image: otto-test:v2\n';

const source = (repo: string, extra: Partial<GitSource> = {}): GitSource => ({
  repo,
  ref: undefined,
  path: undefined,
  keyFile: undefined,
  ...extra,
});

async function refusal(p: Promise<unknown>): Promise<GitSourceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GitSourceError);
  return e as GitSourceError;
}

describe('GitRepos', () => {
  let repo: TestRepo;
  let first = '';
  let second = '';
  let repos: GitRepos;
  let dataDir = '';

  beforeAll(async () => {
    repo = await testRepo();
    first = await repo.commit({ 'compose.yaml': V1 }, 'First flight');
    await repo.git('tag', 'v1');
    second = await repo.commit({ 'compose.yaml': V2 }, 'Second flight: v2 of web');
    dataDir = mkdtempSync(join(tmpdir(), 'otto-data-'));
    repos = new GitRepos(dataDir);
  });

  it('clones once, reads the default branch at its newest commit, and only fetches after', async () => {
    expect(repos.isCloned(repo.url)).toBe(false);
    const a = await repos.read(source(repo.url), undefined);
    expect(a.commit).toEqual({ sha: second, ref: 'main', subject: 'Second flight: v2 of web' });
    expect(a.compose).toEqual({ text: V2, path: 'compose.yaml' });
    expect(repos.isCloned(repo.url)).toBe(true);
    const dir = repos.cloneDir(repo.url);
    const born = statSync(dir).ino;
    const b = await repos.read(source(repo.url), 'main');
    expect(b.commit.sha).toBe(second);
    // The same clone, fetched: not cloned again.
    expect(statSync(dir).ino).toBe(born);
    // Nothing half-made beside it.
    expect(readdirSync(join(dataDir, 'git')).filter((n) => n.startsWith('.clone-'))).toEqual([]);
  });

  it('reads a tag, a full SHA and a short one', async () => {
    const tag = await repos.read(source(repo.url), 'v1');
    expect(tag.commit).toEqual({ sha: first, ref: 'v1', subject: 'First flight' });
    expect(tag.compose.text).toBe(V1);
    const full = await repos.read(source(repo.url), first);
    expect(full.commit).toEqual({ sha: first, ref: '', subject: 'First flight' });
    const short = await repos.read(source(repo.url), first.slice(0, 7));
    expect(short.commit.sha).toBe(first);
    expect(commitLine(tag.commit)).toBe(`${first.slice(0, 7)} (v1) “First flight”`);
  });

  it("follows the fleet's git.ref, and a branch pushed after the clone", async () => {
    await repo.git('checkout', '--quiet', '-b', 'next');
    const next = await repo.commit({ 'compose.yaml': V1.replace('v1', 'next') }, 'On next');
    await repo.git('checkout', '--quiet', 'main');
    const r = await repos.read(source(repo.url, { ref: 'next' }), undefined);
    expect(r.commit).toEqual({ sha: next, ref: 'next', subject: 'On next' });
    // --ref wins over git.ref.
    expect((await repos.read(source(repo.url, { ref: 'next' }), 'main')).commit.sha).toBe(second);
  });

  it('sees a force-push: the branch moves back, the old commit is still readable by SHA', async () => {
    await repo.git('reset', '--quiet', '--hard', first);
    const redone = await repo.commit({ 'compose.yaml': V1.replace('v1', 'redone') }, 'Redone');
    const r = await repos.read(source(repo.url), 'main');
    expect(r.commit).toEqual({ sha: redone, ref: 'main', subject: 'Redone' });
    expect((await repos.read(source(repo.url), second)).compose.text).toBe(V2);
  });

  it('looks for the default names in order, or reads git.path', async () => {
    const other = await testRepo();
    await other.commit(
      { 'docker-compose.yml': V1, 'compose.yml': V2, 'deploy/stack.yaml': V1 },
      'Three files',
    );
    expect((await repos.read(source(other.url), undefined)).compose.path).toBe('compose.yml');
    const at = await repos.read(source(other.url, { path: 'deploy/stack.yaml' }), undefined);
    expect(at.compose).toEqual({ text: V1, path: 'deploy/stack.yaml' });
  });

  it('names a missing file, a missing compose, an unknown ref', async () => {
    const head = (await repos.read(source(repo.url), undefined)).commit.sha.slice(0, 7);
    const missing = await refusal(repos.read(source(repo.url, { path: 'stack.yml' }), undefined));
    expect(missing.message).toBe(`${repo.url} at ${head} (main) has no file stack.yml.`);
    expect(missing.fix).toMatch(/^Check git\.path of the fleet in otto\.yml/);

    const empty = await testRepo();
    await empty.commit({ 'README.md': 'hello\n' }, 'Docs only');
    const none = await refusal(repos.read(source(empty.url), undefined));
    expect(none.message).toMatch(
      /has no compose file: none of compose\.yaml, compose\.yml, docker-compose\.yaml, docker-compose\.yml at the top of the repository\.$/,
    );

    const unknown = await refusal(repos.read(source(repo.url), 'v9'));
    expect(unknown.message).toBe(`${repo.url} has no branch, tag or commit named v9.`);
    expect(unknown.fix).toContain(`git ls-remote ${repo.url}`);
  });

  it('a clone that fails leaves no folder behind and says what git said', async () => {
    const url = `file://${join(tmpdir(), 'otto-no-such-repo', 'gone.git')}`;
    const e = await refusal(repos.read(source(url), undefined));
    expect(e.message).toMatch(
      /^There is no git repository at file:\/\/.*gone\.git \('.*gone\.git' does not appear to be a git repository\)\.$/,
    );
    expect(existsSync(repos.cloneDir(url))).toBe(false);
    expect(readdirSync(join(dataDir, 'git')).filter((n) => n.startsWith('.clone-'))).toEqual([]);
  });

  it('reads a file:// repository that belongs to another user (git would call it dubious)', async () => {
    const theirs = await testRepo();
    const sha = await theirs.commit({ 'compose.yaml': V1 }, 'Not mine');
    await execa('chown', ['-R', 'nobody:', theirs.bare]);
    const r = await repos.read(source(theirs.url), undefined);
    expect(r.commit.sha).toBe(sha);
    expect((await repos.read(source(theirs.url), undefined)).compose.text).toBe(V1);
  });

  it('follows a default branch renamed on the remote', async () => {
    const moving = await testRepo();
    await moving.commit({ 'compose.yaml': V1 }, 'On main');
    expect((await repos.read(source(moving.url), undefined)).commit.ref).toBe('main');
    await moving.git('checkout', '--quiet', '-b', 'trunk');
    const sha = await moving.commit({ 'compose.yaml': V2 }, 'On trunk');
    await execa('git', ['-C', moving.bare, 'symbolic-ref', 'HEAD', 'refs/heads/trunk']);
    await moving.git('push', '--quiet', 'origin', '--delete', 'main');
    const r = await repos.read(source(moving.url), undefined);
    expect(r.commit).toEqual({ sha, ref: 'trunk', subject: 'On trunk' });
  });

  it('refuses a name that is both a branch and a tag on different commits', async () => {
    const twin = await testRepo();
    const tagged = await twin.commit({ 'compose.yaml': V1 }, 'Tagged');
    await twin.git('tag', 'v2');
    await twin.git('checkout', '--quiet', '-b', 'v2');
    const branch = await twin.commit({ 'compose.yaml': V2 }, 'Branch named like a tag');
    const e = await refusal(repos.read(source(twin.url), 'v2'));
    expect(e.message).toBe(
      `${twin.url} has both a branch and a tag named v2, on different commits: Otto won't guess which.`,
    );
    expect(e.fix).toContain(`--ref ${tagged.slice(0, 7)}`);
    expect(e.fix).toContain(`--ref ${branch.slice(0, 7)}`);
  });

  it('a non-bare repository of another user, with or without a trailing slash', async () => {
    const theirs = await testRepo();
    await theirs.commit({ 'compose.yaml': V1 }, 'Work tree');
    const work = theirs.bare.replace(/origin\.git$/, 'work');
    await execa('chown', ['-R', 'nobody:', work]);
    expect((await repos.read(source(`file://${work}/`), 'main')).compose.text).toBe(V1);
    expect((await repos.read(source(`file://${work}`), 'main')).compose.text).toBe(V1);
  });

  it('never shows a password or token of a URL', async () => {
    const url = 'https://bot:s3cret-token@127.0.0.1:9/acme/shop.git';
    const e = await refusal(repos.read(source(url), undefined));
    expect(`${e.message} ${e.fix}`).not.toContain('s3cret');
    expect(e.message).toContain('https://127.0.0.1:9/acme/shop.git');
  });

  it('sweeps a clone a stopped Otto left half-made, an hour old, and leaves a fresh one', async () => {
    const data = mkdtempSync(join(tmpdir(), 'otto-data-'));
    const root = join(data, 'git');
    mkdirSync(join(root, '.clone-0ld0ld00'), { recursive: true });
    mkdirSync(join(root, '.clone-fresh000'));
    const old = (Date.now() - 2 * 3600_000) / 1000;
    utimesSync(join(root, '.clone-0ld0ld00'), old, old);
    await new GitRepos(data).read(source(repo.url), undefined);
    expect(readdirSync(root).filter((n) => n.startsWith('.clone-'))).toEqual(['.clone-fresh000']);
  });

  it("reads a commit on no branch by its SHA, as GitHub serves a fork's pull request", async () => {
    const base = await testRepo();
    await base.commit({ 'compose.yaml': V1 }, 'Base');
    await repos.read(source(base.url), undefined);
    // The fork's commit lands in the base repository under refs/pull/9/head only.
    await base.git('checkout', '--quiet', '-b', 'fork-work');
    const forked = await base.commit({ 'compose.yaml': V2 }, 'From a fork');
    await base.git('push', '--quiet', 'origin', `${forked}:refs/pull/9/head`);
    await base.git('push', '--quiet', 'origin', '--delete', 'fork-work');
    // Like GitHub, the server hands out any commit it has by SHA.
    await execa('git', ['-C', base.bare, 'config', 'uploadpack.allowAnySHA1InWant', 'true']);
    const r = await repos.read(source(base.url), forked);
    expect(r.commit).toEqual({ sha: forked, ref: '', subject: 'From a fork' });
    expect(r.compose.text).toBe(V2);
  });

  it('reads concurrently without two fetches of one clone at once', async () => {
    const reads = await Promise.all(
      ['main', 'v1', 'next', 'main'].map((ref) => repos.read(source(repo.url), ref)),
    );
    expect(reads.map((r) => r.commit.ref)).toEqual(['main', 'v1', 'next', 'main']);
  });
});

describe('what git is given', () => {
  it('hides a user and password in a URL shown to people', () => {
    expect(displayRepo('https://bot:ghp_secret@github.com/acme/shop.git')).toBe(
      'https://github.com/acme/shop.git',
    );
    expect(displayRepo('ssh://git@example.com:2222/acme/shop.git')).toBe(
      'ssh://example.com:2222/acme/shop.git',
    );
    expect(displayRepo('git@github.com:acme/shop.git')).toBe('git@github.com:acme/shop.git');
    expect(displayRepo('https://u:p@ss@h.example/x.git')).toBe('https://h.example/x.git');
    expect(displayRepo('https://h.example/x.git?private_token=abc')).toBe(
      'https://h.example/x.git',
    );
  });

  it("pins git's ssh to the fleet's key and Otto's known hosts, quoted for the shell git uses", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(gitSshCommand('/data/git/known_hosts', "/keys/o'k key")).toBe(
      `ssh -F /dev/null -i '/keys/o'\\''k key' -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o 'UserKnownHostsFile="/data/git/known_hosts"' -o ConnectTimeout=20`,
    );
    // Without a key file: no key at all (not the user's default ones).
    expect(gitSshCommand('/k')).toContain(
      'ssh -F /dev/null -o IdentityFile=none -o IdentitiesOnly=yes',
    );
  });
});
