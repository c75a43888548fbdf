import { execa } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A repository a test writes to (a working copy) and the bare one Otto clones from. */
export interface TestRepo {
  /** The bare repository's folder; `file://${bare}` is its URL. */
  readonly bare: string;
  /** `file://…` of the bare repository. */
  readonly url: string;
  /** Writes `files`, commits them with `subject` on the current branch, pushes; returns the SHA. */
  commit(files: Readonly<Record<string, string>>, subject: string): Promise<string>;
  /** Runs git in the working copy (`tag v1`, `checkout -b next`, `push --force`). */
  git(...args: string[]): Promise<string>;
}

/**
 * A fresh bare repository with a working copy on branch `main` (`dir`: a folder of
 * the test's, or a new one in the system's temporary folder).
 *
 * @example const repo = await testRepo(); const sha = await repo.commit({ 'compose.yaml': NGINX }, 'First');
 */
export async function testRepo(dir = mkdtempSync(join(tmpdir(), 'otto-git-'))): Promise<TestRepo> {
  const bare = join(dir, 'origin.git');
  const work = join(dir, 'work');
  // The test's own git config: an identity, and every repository safe (a test may
  // hand the bare one to the SSH user, and still push to it as root).
  const config = join(dir, 'test.gitconfig');
  writeFileSync(
    config,
    '[user]\n\tname = Otto Tests\n\temail = tests@otto.invalid\n[safe]\n\tdirectory = *\n',
  );
  const env = { GIT_CONFIG_GLOBAL: config, GIT_CONFIG_NOSYSTEM: '1' };
  await execa('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare], { env });
  await execa('git', ['init', '--quiet', '--initial-branch=main', work], { env });
  const git = async (...args: string[]) =>
    (await execa('git', ['-C', work, ...args], { env })).stdout.trim();
  await git('remote', 'add', 'origin', bare);
  return {
    bare,
    url: `file://${bare}`,
    git,
    async commit(files, subject) {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(work, path)), { recursive: true });
        writeFileSync(join(work, path), text);
      }
      await git('add', '--all');
      await git('commit', '--quiet', '--allow-empty', '-m', subject);
      const branch = await git('symbolic-ref', '--short', 'HEAD');
      await git('push', '--quiet', '--force', '--tags', 'origin', branch);
      return git('rev-parse', 'HEAD');
    },
  };
}
