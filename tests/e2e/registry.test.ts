import { execa, type ResultPromise } from 'execa';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker, inBedNet, freePort, SSH_USER } from '../support/testbed.js';
import { workspace } from '../support/workspace.js';

const bed = inject('testbed');

/** A real private registry (Debian's docker-registry) with htpasswd auth on loopback. */
describe.skipIf(bed === null)('registry credentials', () => {
  if (!bed) return;
  const password = 'pa55-w0rd-for-otto';
  let registry: ResultPromise | undefined;
  let host = '';
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'otto-registry-'));
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const htpasswd = await execa('htpasswd', ['-Bbn', 'tester', password]);
    writeFileSync(join(dir, 'htpasswd'), htpasswd.stdout);
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'storage:',
        `  filesystem: { rootdirectory: ${join(dir, 'data')} }`,
        'http:',
        `  addr: ${host}`,
        'auth:',
        `  htpasswd: { realm: otto-test, path: ${join(dir, 'htpasswd')} }`,
        '',
      ].join('\n'),
    );
    // In the test engine's network namespace: its 127.0.0.1 is the registry's.
    const [cmd, ...args] = inBedNet(bed, [
      '/usr/bin/docker-registry',
      'serve',
      join(dir, 'config.yml'),
    ]);
    registry = execa(cmd!, args, { reject: false, stdio: 'ignore' });
    for (let i = 0; i < 40; i++) {
      const [w, ...wargs] = inBedNet(bed, ['wget', '-q', '-O', '-', `http://${host}/v2/`]);
      const r = await execa(w!, wargs, { reject: false });
      if (r.exitCode !== 127 && !/refused/.test(r.stderr)) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    // Push an image as root, then forget the tag locally so the Swarm must pull it.
    const login = await docker(
      bed,
      ['login', '--username', 'tester', '--password-stdin', host],
      password,
    );
    expect(login.exitCode, login.stderr).toBe(0);
    await docker(bed, ['tag', bed.images.v1, `${host}/otto/web:v1`]);
    const push = await docker(bed, ['push', `${host}/otto/web:v1`]);
    expect(push.exitCode, push.stderr).toBe(0);
    await docker(bed, ['logout', host]);
    await docker(bed, ['rmi', `${host}/otto/web:v1`]);
    rmSync(`/home/${SSH_USER}/.docker`, { recursive: true, force: true });
  });

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'private']);
    registry?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in on the manager with stored credentials before launching a private image', async () => {
    const ws = workspace(bed, {
      private: { compose: { services: { web: { image: '', command: ['sleep', '3600'] } } } },
    });
    ws.writeStack('private', {
      services: { web: { image: `${host}/otto/web:v1`, command: ['sleep', '3600'] } },
    });

    const without = await ws.say('launch private');
    expect(without.code).toBe(1);
    expect(without.stdout).toContain(`Failed to pull image ${host}/otto/web:v1`);

    const stored = await ws.otto(['registry', 'login', 'swarm', host, 'tester'], `${password}\n`);
    expect(stored.code).toBe(0);
    expect(stored.stdout).not.toContain(password);

    const r = await ws.say('launch private');
    expect(r.stdout).toContain('private v2 is in orbit');
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(password);

    const db = new Database(join(ws.dir, 'data', 'otto.db'), { readonly: true });
    const dump = JSON.stringify(db.prepare('select * from registry_credentials').all());
    db.close();
    expect(dump).toContain('tester');
    expect(dump).not.toContain(password);
  });

  it('says so when the stored password is wrong, without showing it', async () => {
    const ws = workspace(bed, {
      private: { compose: { services: { web: { image: `${host}/otto/web:v1` } } } },
    });
    await ws.otto(['registry', 'login', 'swarm', host, 'tester'], 'wrong-password-123');
    const r = await ws.say('launch private');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Registry login to ${host} as tester failed`);
    expect(r.stdout).not.toContain('wrong-password-123');
  });
});
