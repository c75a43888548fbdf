import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rows as dbRows } from '../support/db.js';
import { testRepo, type TestRepo } from '../support/git-repo.js';
import { docker, serviceImage, SSH_USER } from '../support/testbed.js';
import { webService, type Workspace, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/**
 * Git-backed fleets on the real Swarm: a bare repository on local disk served by the
 * test bed's real sshd (`ssh://otto-deploy@127.0.0.1:<port>/…`, the bed's client key
 * as the deploy key) and over `file://`. Launch by branch, tag and SHA; a
 * force-push; a return to a version (same commit); diff --ref; a missing path and a
 * wrong deploy key (nothing recorded, nothing locked).
 */
describe.skipIf(bed === null)('git-backed fleets on a real Swarm', () => {
  if (!bed) return;
  let dir = '';
  let repo: TestRepo;
  let ws: Workspace;
  /** The commits: v1 (tagged v1), then v2 on main. */
  let first = '';
  let second = '';
  /** The commit that replaced `second` on main by a force-push. */
  let redone = '';
  let sshUrl = '';
  let wrongKey = '';
  const short = (sha: string) => sha.slice(0, 7);
  const compose = (image: string) => stringify({ services: { web: webService(image) } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'otto-git-e2e-'));
    chmodSync(dir, 0o755);
    repo = await testRepo(dir);
    first = await repo.commit({ 'compose.yaml': compose(bed.images.v1) }, 'First flight');
    await repo.git('tag', 'v1');
    second = await repo.commit({ 'compose.yaml': compose(bed.images.v2) }, 'Second flight');
    // The SSH user reads the repository as its own (git refuses a repository owned by
    // someone else).
    await execa('chown', ['-R', `${SSH_USER}:`, repo.bare]);
    sshUrl = `ssh://${SSH_USER}@127.0.0.1:${bed.sshPort}${repo.bare}`;
    wrongKey = join(dir, 'wrong_key');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    ws = workspace(
      bed,
      {
        gitshop: {
          extra: {
            git: { repo: sshUrl, key_file: bed.privateKeyFile },
            approvals: { rollback: 0 },
          },
        },
        filegit: { extra: { git: { repo: repo.url, ref: 'v1' } } },
        nopath: { extra: { git: { repo: repo.url, path: 'deploy/stack.yml' } } },
        locked: { extra: { git: { repo: sshUrl, key_file: wrongKey } } },
        gitgated: { extra: { git: { repo: repo.url }, approvals: { launch: 1 } } },
        tagged: {
          compose: { services: { web: webService(bed.images.v1) } },
          extra: { images: { web: 'otto-test:*' }, approvals: { rollback: 0 } },
        },
      },
      undefined,
      {
        access: {
          'console:tester': 'admin',
          'console:alice': 'deployer',
          'console:bob': 'approver',
        },
      },
    );
  }, 60_000);

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'gitshop', 'filegit', 'gitgated', 'tagged']);
    rmSync(dir, { recursive: true, force: true });
  });

  const image = (service: string) => serviceImage(bed, service);
  const rows = (sql: string) => dbRows(ws.dir, sql);
  const clones = () =>
    existsSync(join(ws.dir, 'data', 'git'))
      ? readdirSync(join(ws.dir, 'data', 'git')).filter((n) => n.endsWith('.git'))
      : [];

  it('launches the default branch over SSH with the deploy key, and names the commit', async () => {
    const r = await ws.say('launch gitshop');
    expect(r.stdout, r.stderr).toContain('Launch successful! gitshop v1 is in orbit');
    expect(r.stdout).toContain(`From ${short(second)} (main) “Second flight”.`);
    expect(r.code).toBe(0);
    expect(await image('gitshop_web')).toBe(bed.images.v2);
    expect(clones()).toHaveLength(1);
  }, 180_000);

  it('launches a tag, then a short SHA; the clone is fetched, not made again', async () => {
    const tag = await ws.say('launch gitshop --ref v1');
    expect(tag.stdout, tag.stderr).toContain('Launch successful! gitshop v2 is in orbit');
    expect(tag.stdout).toContain(`From ${short(first)} (v1) “First flight”.`);
    expect(await image('gitshop_web')).toBe(bed.images.v1);
    const sha = await ws.say(`launch gitshop --ref ${short(second)}`);
    expect(sha.stdout, sha.stderr).toContain('Launch successful! gitshop v3 is in orbit');
    expect(sha.stdout).toContain(`From ${short(second)} “Second flight”.`);
    expect(await image('gitshop_web')).toBe(bed.images.v2);
    expect(clones()).toHaveLength(1);
  }, 240_000);

  it('follows a force-push of the branch', async () => {
    await repo.git('reset', '--quiet', '--hard', first);
    redone = await repo.commit(
      { 'compose.yaml': compose(bed.images.v1).replace('replicas: 2', 'replicas: 1') },
      'Redone: one replica',
    );
    await execa('chown', ['-R', `${SSH_USER}:`, repo.bare]);
    const r = await ws.say('launch gitshop');
    expect(r.stdout, r.stderr).toContain('Launch successful! gitshop v4 is in orbit');
    expect(r.stdout).toContain(`From ${short(redone)} (main) “Redone: one replica”.`);
    const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    expect(ls.stdout).toContain('gitshop_web 1/1');
  }, 180_000);

  it('diff --ref shows what launching that ref would change', async () => {
    const r = await ws.say('diff gitshop --ref v1');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`at ${short(first)} (v1) “First flight”`);
    expect(r.stdout).toMatch(/-\s+replicas: 1/);
    expect(r.stdout).toMatch(/\+\s+replicas: 2/);
  }, 60_000);

  it('a return to v3 runs the same commit again, and history shows each commit', async () => {
    const r = await ws.say('rollback gitshop 3');
    expect(r.stdout, r.stderr).toContain('Back at base! gitshop runs v3');
    expect(r.stdout).toContain(`From ${short(second)} “Second flight”.`);
    expect(await image('gitshop_web')).toBe(bed.images.v2);
    const h = await ws.say('history gitshop');
    const lines = h.stdout.split('\n').filter((l) => /^\s*🟢 v\d/.test(l));
    expect(lines.map((l) => /v(\d) .*?· (\w{7})( \((\S+)\))? “/.exec(l)?.slice(1, 5))).toEqual([
      ['5', short(second), undefined, undefined],
      ['4', short(redone), ' (main)', 'main'],
      ['3', short(second), undefined, undefined],
      ['2', short(first), ' (v1)', 'v1'],
      ['1', short(second), ' (main)', 'main'],
    ]);
  }, 180_000);

  it('a fleet over file:// at its git.ref', async () => {
    const r = await ws.say('launch filegit');
    expect(r.stdout, r.stderr).toContain('Launch successful! filegit v1 is in orbit');
    expect(r.stdout).toContain(`From ${short(first)} (v1) “First flight”.`);
    expect(await image('filegit_web')).toBe(bed.images.v1);
  }, 180_000);

  it('a missing path: the message names it; nothing recorded, nothing locked', async () => {
    const r = await ws.say('launch nopath');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`has no file deploy/stack.yml.`);
    expect(r.stdout).toContain('Check git.path of the fleet in otto.yml');
    expect(rows("select fleet from deployments where fleet = 'nopath'")).toEqual([]);
    expect(rows('select fleet from locks')).toEqual([]);
  }, 60_000);

  it('a deploy key the server does not know: says which key; nothing cloned or recorded', async () => {
    const r = await ws.say('launch locked');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain(`refused Otto's SSH key ${wrongKey}`);
    expect(r.stdout).toContain('Add the public half of that key as a read-only deploy key');
    expect(clones()).toHaveLength(2);
    expect(rows("select fleet from deployments where fleet = 'locked'")).toEqual([]);
    expect(rows('select fleet from locks')).toEqual([]);
  }, 60_000);

  it('an approved launch runs the commit the request holds, not where the tag moved since', async () => {
    const ask = await ws.say('launch gitgated --ref v1', { as: 'console:alice' });
    expect(ask.stdout, ask.stderr).toContain(
      `Launch gitgated? Otto holds its compose at ${short(first)} (v1) “First flight” for approval.`,
    );
    const id = Number(/#(\d+) by/.exec(ask.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(rows(`select git_sha, git_ref from approvals where id = ${id}`)).toEqual([
      { git_sha: first, git_ref: 'v1' },
    ]);
    // The tag moves to the newest commit of main after the request.
    await repo.git('tag', '--force', 'v1', redone);
    await repo.git('push', '--quiet', '--force', 'origin', 'v1');
    const ok = await ws.say(`approve ${id}`, { as: 'console:bob' });
    expect(ok.stdout, ok.stderr).toContain('Launch successful! gitgated v1 is in orbit');
    expect(ok.stdout).toContain(`From ${short(first)} (v1) “First flight”.`);
    expect(ok.stdout).toContain(`launch gitgated at ${short(first)} (v1)`);
    const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    expect(ls.stdout).toContain('gitgated_web 2/2');
    expect(rows("select git_sha, git_ref from deployments where fleet = 'gitgated'")).toEqual([
      { git_sha: first, git_ref: 'v1' },
    ]);
  }, 180_000);

  it('images from CI: a tag given for web runs, is recorded, and a return runs it again', async () => {
    const one = await ws.say('launch tagged');
    expect(one.stdout, one.stderr).toContain('Launch successful! tagged v1 is in orbit');
    expect(await image('tagged_web')).toBe(bed.images.v1);
    const two = await ws.say('launch tagged web=v2');
    expect(two.stdout, two.stderr).toContain('Launch successful! tagged v2 is in orbit');
    expect(two.stdout).toContain('Images given: web=v2.');
    expect(await image('tagged_web')).toBe('otto-test:v2');
    const refused = await ws.say('launch tagged web=busybox:latest');
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain(
      'busybox:latest is not an image web of tagged may run: fleets.tagged.images.web allows otto-test:*. Nothing was launched.',
    );
    const back = await ws.say('rollback tagged 1');
    expect(back.stdout, back.stderr).toContain('Back at base! tagged runs v1');
    expect(await image('tagged_web')).toBe(bed.images.v1);
    const again = await ws.say('rollback tagged 2');
    expect(again.stdout, again.stderr).toContain('Back at base! tagged runs v2');
    expect(await image('tagged_web')).toBe('otto-test:v2');
    const h = await ws.say('history tagged');
    expect(h.stdout).toMatch(/v4 succeeded .*· web=v2 ·/);
    expect(h.stdout).toMatch(/v2 succeeded .*· web=v2 ·/);
    expect(
      rows(
        "select version, image_overrides from deployments where fleet = 'tagged' order by version",
      ),
    ).toEqual([
      { version: 1, image_overrides: null },
      { version: 2, image_overrides: '{"web":"v2"}' },
      { version: 3, image_overrides: null },
      { version: 4, image_overrides: '{"web":"v2"}' },
    ]);
  }, 300_000);
});
