import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, inBedNet, waitFor, type Testbed } from './testbed.js';

export interface TestRegistry {
  /** `127.0.0.1:<port>`, as the test engine reaches it. */
  readonly host: string;
  stop(): void;
}

/** Where a registry keeps its images and answers, when not in a fresh folder of its own. */
export interface RegistryPlace {
  /** Its storage folder (kept when it stops): a later registry serves what was pushed. */
  readonly storage?: string;
  /** `127.0.0.1:<port>` to listen on (default: a free port). */
  readonly host?: string;
}

/**
 * A real registry (Debian's docker-registry) for one suite, in the network namespace
 * of `net` (the test engine's, or a test node's), whose 127.0.0.1 is the registry's.
 * With `user`, it asks for that user and password (htpasswd); without, anyone may
 * push and pull.
 *
 * @example const registry = await startRegistry(bed); // push `${registry.host}/otto/app:1`
 */
export async function startRegistry(
  net: Pick<Testbed, 'netns'>,
  user?: { readonly name: string; readonly password: string },
  place: RegistryPlace = {},
): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'otto-registry-'));
  const host = place.host ?? `127.0.0.1:${await freePort()}`;
  const storage = place.storage ?? join(dir, 'data');
  const auth: string[] = [];
  if (user) {
    const htpasswd = await execa('htpasswd', ['-Bbn', user.name, user.password]);
    writeFileSync(join(dir, 'htpasswd'), htpasswd.stdout);
    auth.push('auth:', `  htpasswd: { realm: otto-test, path: ${join(dir, 'htpasswd')} }`);
  }
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'storage:',
      `  filesystem: { rootdirectory: ${storage} }`,
      'http:',
      `  addr: ${host}`,
      ...auth,
      '',
    ].join('\n'),
  );
  const [cmd, ...args] = inBedNet(net, [
    '/usr/bin/docker-registry',
    'serve',
    join(dir, 'config.yml'),
  ]);
  const child = execa(cmd!, args, { reject: false, stdio: 'ignore' });
  const stop = () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'the registry',
      async () => {
        const [w, ...wargs] = inBedNet(net, ['wget', '-q', '-O', '-', `http://${host}/v2/`]);
        const r = await execa(w!, wargs, { reject: false });
        // With auth, /v2/ answers 401 (wget: 6, authentication failure, or 8, an error
        // response): the registry is up all the same. 4 is a network failure.
        return r.exitCode === 0 || (!!user && [6, 8].includes(r.exitCode ?? -1));
      },
      60_000,
    );
  } catch (e) {
    stop();
    throw e;
  }
  return { host, stop };
}
