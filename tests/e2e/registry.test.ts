import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { docker, SSH_USER } from '../support/testbed.js';
import { workspace } from '../support/workspace.js';

const bed = inject('testbed');

/** A real private registry (Debian's docker-registry) with htpasswd auth on loopback. */
describe.skipIf(bed === null)('registry credentials', () => {
  if (!bed) return;
  const password = 'pa55-w0rd-for-otto';
  let registry: TestRegistry | undefined;
  let host = '';

  beforeAll(async () => {
    registry = await startRegistry(bed, { name: 'tester', password });
    host = registry.host;
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
    registry?.stop();
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
