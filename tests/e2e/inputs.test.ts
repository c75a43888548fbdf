import Database from 'better-sqlite3';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { billionLaughs } from '../support/billion-laughs.js';
import { OTTO_BIN, TEST_KEY } from '../support/workspace.js';

/**
 * Hostile input files and arguments, through the built CLI. No Swarm is needed:
 * each case is refused before Otto talks to Docker, and the cluster points at a
 * socket no engine listens on.
 */
function sandbox(fleets: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'otto-inputs-'));
  mkdirSync(join(dir, 'stacks'));
  const config = join(dir, 'otto.yml');
  writeFileSync(
    config,
    stringify({
      data_dir: 'data',
      clusters: { prod: { local: true, docker_host: `unix://${join(dir, 'no-engine.sock')}` } },
      fleets: Object.fromEntries(
        Object.entries(fleets).map(([name, file]) => [
          name,
          { cluster: 'prod', compose_file: file },
        ]),
      ),
    }),
  );
  const otto = async (args: string[], input = '') => {
    const r = await execa('node', [OTTO_BIN, ...args], {
      cwd: dir,
      input,
      reject: false,
      env: { OTTO_SECRET_KEY: TEST_KEY, OTTO_CONFIG: config },
      // Generous: a refusal takes milliseconds; a regression would read /dev/zero for ever.
      timeout: 60_000,
    });
    return { code: r.exitCode, timedOut: r.timedOut, out: `${r.stdout}\n${r.stderr}` };
  };
  return { dir, config, otto };
}

describe('hostile inputs through the otto command line', () => {
  it('refuses an otto.yml alias bomb as a config error: exit 2, the reason, no stack trace', async () => {
    const { config, otto } = sandbox();
    writeFileSync(config, billionLaughs('x-lol'));
    for (const args of [['say', 'status'], ['start'], ['migrate']]) {
      const r = await otto(args);
      expect(r.code, `otto ${args.join(' ')}: ${r.out}`).toBe(2);
      expect(r.out).toContain(
        `${config} expands its YAML aliases (*name) more than 100 times over, as a "billion laughs" file does`,
      );
      expect(r.out).not.toContain('unexpected');
      expect(r.out).not.toMatch(/^\s+at /m);
    }
  });

  it('refuses a compose alias bomb, a device, a FIFO and Latin-1 text in time, naming each', async () => {
    const { dir, otto } = sandbox({
      lol: 'stacks/lol.yml',
      zero: '/dev/zero',
      fifo: 'stacks/fifo.yml',
      latin: 'stacks/latin.yml',
    });
    writeFileSync(
      join(dir, 'stacks', 'lol.yml'),
      `services:\n  web:\n    image: nginx\n${billionLaughs()}`,
    );
    execFileSync('mkfifo', [join(dir, 'stacks', 'fifo.yml')]);
    writeFileSync(
      join(dir, 'stacks', 'latin.yml'),
      Buffer.from('services:\n  web:\n    image: nginx\n    labels: [greeting=ol\xe9]\n', 'latin1'),
    );
    const expected: Record<string, string> = {
      lol: 'expands its YAML aliases (*name) into more than 400,000 values',
      zero: "Otto can't read the compose file of fleet zero (/dev/zero): it is a device, not a regular file.",
      fifo: 'it is a pipe (FIFO), not a regular file.',
      latin: 'is not UTF-8 text: the byte at offset 58 (line 4) is 0xe9',
    };
    for (const [fleet, says] of Object.entries(expected)) {
      const r = await otto(['say', `launch ${fleet}`]);
      expect(r.timedOut, fleet).toBe(false);
      expect(r.out, fleet).toContain(says);
      expect(r.code, `${fleet}: ${r.out}`).toBe(1);
      expect(r.out).not.toContain('unexpected');
      expect(r.out).not.toContain('in orbit');
    }
  });

  it('refuses a registry that is not host[:port], such as --help after --, and stores nothing', async () => {
    const { dir, otto } = sandbox();
    for (const registry of ['--help', '-H=tcp://evil:2375', 'ghcr.io/acme']) {
      const r = await otto(['registry', 'login', 'prod', '--', registry, 'u'], 'pw\n');
      expect(r.code, `${registry}: ${r.out}`).toBe(2);
      expect(r.out).toContain(
        `"${registry}" is not a registry host such as ghcr.io. Nothing was stored.`,
      );
    }
    const db = new Database(join(dir, 'data', 'otto.db'), { readonly: true });
    expect(db.prepare('select registry from registry_credentials').all()).toEqual([]);
    db.close();

    const ok = await otto(['registry', 'login', 'prod', 'registry.example.com:5000', 'u'], 'pw\n');
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('Stored credentials for registry.example.com:5000 on cluster prod');
  });
});
