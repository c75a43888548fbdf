import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testKey } from '../support/keys.js';
import { OTTO_BIN } from '../support/workspace.js';

// The secret key and the database through the real CLI, as an operator meets them.
// No Swarm is needed: secrets are read by diff, which renders without deploying.

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'otto-keys-'));
  mkdirSync(join(dir, 'stacks'));
  writeFileSync(
    join(dir, 'stacks', 'shop.yml'),
    'services:\n  web:\n    image: nginx\n    environment:\n      API: ${API}\n',
  );
  writeFileSync(
    join(dir, 'otto.yml'),
    'data_dir: data\nclusters:\n  laptop:\n    local: true\nfleets:\n  shop:\n    cluster: laptop\n    compose_file: stacks/shop.yml\n',
  );
  const otto = (args: string[], input = '', env: Record<string, string | undefined> = {}) =>
    execa('node', [OTTO_BIN, ...args, '--config', join(dir, 'otto.yml')], {
      cwd: dir,
      input,
      reject: false,
      env: { OTTO_SECRET_KEY: undefined, OTTO_CONFIG: undefined, ...env },
    });
  return { dir, otto };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the secret key and the database files', () => {
  it('says to back up a new key even when secret set is the first command, and keeps files private', async () => {
    const { dir, otto } = project();
    const r = await otto(['secret', 'set', 'shop', 'API'], 's3cr3t-value');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('Otto generated a new secret key in');
    expect(r.stderr).toContain('Back it up');
    expect(mode(join(dir, 'data'))).toBe(0o700);
    expect(mode(join(dir, 'data', 'otto.db'))).toBe(0o600);
    expect(mode(join(dir, 'data', 'secret.key'))).toBe(0o600);
    const again = await otto(['secret', 'list', 'shop']);
    expect(again.stderr).not.toContain('generated a new secret key');
  });

  it('rekeys with a generated key file, and every secret still opens', async () => {
    const { dir, otto } = project();
    await otto(['secret', 'set', 'shop', 'API'], 's3cr3t-value');
    const before = readFileSync(join(dir, 'data', 'secret.key'), 'utf8');
    const r = await otto(['secret', 'rekey']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Re-encrypted 1 secret and 0 registry passwords under the new key.');
    expect(r.stdout).toContain('Back it up now');
    const after = readFileSync(join(dir, 'data', 'secret.key'), 'utf8');
    expect(after).not.toBe(before);
    expect(mode(join(dir, 'data', 'secret.key'))).toBe(0o600);
    const diff = await otto(['say', 'diff shop']);
    expect(diff.exitCode, diff.stdout).toBe(0);
    expect(diff.stdout).toContain('API: ••••••(API)');
    expect(diff.stdout).not.toContain('s3cr3t-value');
    const audit = await otto(['say', 'audit']);
    expect(audit.stdout).toContain('secret rekey');
  });

  it('rekeys under OTTO_SECRET_KEY only with the new key given, and refuses weak keys', async () => {
    const { otto } = project();
    const oldKey = { OTTO_SECRET_KEY: testKey(1).toString('base64') };
    const newKey = { OTTO_SECRET_KEY: testKey(2).toString('base64') };
    expect((await otto(['secret', 'set', 'shop', 'API'], 's3cr3t-value', oldKey)).exitCode).toBe(0);
    const empty = await otto(['secret', 'rekey'], '', oldKey);
    expect(empty.exitCode).toBe(2);
    expect(empty.stdout).toContain('it needs the new key on stdin');
    const weak = await otto(['secret', 'rekey'], Buffer.alloc(32).toString('base64'), oldKey);
    expect(weak.exitCode).toBe(2);
    expect(weak.stdout).toContain('is not random');
    const r = await otto(['secret', 'rekey'], newKey.OTTO_SECRET_KEY, oldKey);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Set OTTO_SECRET_KEY to the new key');
    expect((await otto(['say', 'diff shop'], '', newKey)).exitCode).toBe(0);
    const stale = await otto(['say', 'diff shop'], '', oldKey);
    expect(stale.exitCode).toBe(2); // the wrong key is a configuration problem
    expect(stale.stdout).toContain("can't decrypt a stored value");
    const zero = await otto(['say', 'fleets'], '', {
      OTTO_SECRET_KEY: Buffer.alloc(32).toString('base64'),
    });
    expect(zero.exitCode).toBe(2);
    expect(zero.stderr).toContain('is not random');
  });
});
