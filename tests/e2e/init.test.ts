import { execa } from 'execa';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { EXAMPLE_COMPOSE } from '../../src/config/otto-home.js';
import { spawnPty } from '../support/pty.js';
import { OTTO_BIN, TEST_KEY, webService } from '../support/workspace.js';

const bed = inject('testbed');
const REPO = resolve(import.meta.dirname, '../..');
/** A Discord bot token's shape, typed where the application id goes. */
const TOKEN_TYPED = 'MTA1NjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz012345';
const APP_ID = '123456789012345678';
const WRONG_FP = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `otto …` with no terminal (stdin empty, as in CI), in `cwd`. */
async function otto(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const r = await execa(process.execPath, [OTTO_BIN, ...args], {
    cwd,
    input: '',
    reject: false,
    timeout: 60_000,
    env: { OTTO_SECRET_KEY: TEST_KEY, ...env },
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A folder with a compose file of the test image at stacks/web.yml. */
function project(image: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'otto-init-'));
  mkdirSync(join(dir, 'stacks'));
  writeFileSync(
    join(dir, 'stacks', 'web.yml'),
    stringify({ services: { web: webService(image) } }),
  );
  return dir;
}

/** What stays in a folder after a refusal: no otto.yml, and no temporary file either. */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f !== 'stacks');
}

describe.skipIf(bed === null)('otto init: a first otto.yml, asked or from flags', () => {
  if (!bed) return;
  const ssh = [
    '--host',
    '127.0.0.1',
    '--port',
    String(bed.sshPort),
    '--user',
    bed.sshUser,
    '--key',
    bed.privateKeyFile,
  ];
  let dir: string;

  beforeAll(() => {
    dir = project(bed.images.v1);
  });

  it('asks on a terminal: the host key shown and trusted, a token refused as an id, and the file loads', async () => {
    const cwd = project(bed.images.v1);
    const pty = spawnPty([process.execPath, OTTO_BIN, 'init', '--docker-host', bed.dockerHost], {
      cwd,
    });
    await pty.waitFor('Where does your Swarm run?');
    await pty.waitFor('Choose 1-2 [1]: ');
    pty.type('2');
    await pty.waitFor('Manager host name or IP address: ');
    pty.type('127.0.0.1');
    await pty.waitFor('SSH user [');
    pty.type(bed.sshUser);
    await pty.waitFor('SSH port [22]: ');
    pty.type(String(bed.sshPort));
    await pty.waitFor('Private key file [');
    pty.type(bed.privateKeyFile);
    await pty.waitFor(bed.hostKeyFingerprint);
    await pty.waitFor('Trust this key? [y/N]: ');
    pty.type('y');
    await pty.waitFor('Your first fleet: which stack should Otto launch?');
    await pty.waitFor('Choose 1-2 [2]: ');
    pty.type('1');
    await pty.waitFor('Compose file: ');
    pty.type('stacks/nope.yml');
    await pty.waitFor(`There is no file ${join(cwd, 'stacks/nope.yml')}. Try again.`);
    await pty.waitFor('Compose file: ');
    pty.type('stacks/web.yml');
    await pty.waitFor('Fleet name [web]: ');
    pty.type('');
    await pty.waitFor('Which chat should Otto join?');
    await pty.waitFor('Choose 1-3 [1]: ');
    pty.type('3');
    await pty.waitFor('Discord application id');
    pty.type(TOKEN_TYPED);
    await pty.waitFor('That looks like a token, not an application id.');
    await pty.waitFor('Discord application id');
    pty.type(APP_ID);
    expect(await pty.exit, pty.output()).toBe(0);
    const shown = pty.output();
    // The token shows once, as it was typed: Otto never repeats it.
    expect(shown.split(TOKEN_TYPED)).toHaveLength(2);
    expect(shown).toContain('🛰️  Docker answers on');
    expect(shown).toContain('a Swarm manager');
    expect(shown).toContain(
      `https://discord.com/oauth2/authorize?client_id=${APP_ID}&scope=bot%20applications.commands&permissions=309237648384`,
    );
    expect(shown).toContain('otto discord register');

    const yml = readFileSync(join(cwd, 'otto.yml'), 'utf8');
    expect(yml).toContain(`host_key: ${bed.hostKeyFingerprint}`);
    expect(yml).toContain('token: ${DISCORD_TOKEN}');
    expect(yml).toContain(`application_id: "${APP_ID}"`);
    expect(yml).toContain('compose_file: stacks/web.yml');
    expect(yml).not.toContain(TOKEN_TYPED);
    // The first real connection checks the pinned key, and the file loads as otto start reads it.
    const env = { DISCORD_TOKEN: 'a-discord-token-for-the-test-only' };
    const fleets = await otto(cwd, ['say', 'fleets'], env);
    expect(fleets.code, fleets.stderr).toBe(0);
    expect(fleets.stdout).toContain('web: cluster swarm');
    const nodes = await otto(cwd, ['say', 'outposts swarm'], env);
    expect(nodes.code, nodes.stdout + nodes.stderr).toBe(0);
    expect(nodes.stderr).not.toContain('fingerprint has changed');
  });

  it('writes nothing when the person does not trust the host key', async () => {
    const cwd = project(bed.images.v1);
    const pty = spawnPty([process.execPath, OTTO_BIN, 'init', '--chat', 'none'], { cwd });
    await pty.waitFor('Choose 1-2 [1]: ');
    pty.type('ssh');
    await pty.waitFor('Manager host name or IP address: ');
    pty.type('127.0.0.1');
    await pty.waitFor('SSH user [');
    pty.type(bed.sshUser);
    await pty.waitFor('SSH port [22]: ');
    pty.type(String(bed.sshPort));
    await pty.waitFor('Private key file [');
    pty.type(bed.privateKeyFile);
    await pty.waitFor('Trust this key? [y/N]: ');
    pty.type('');
    expect(await pty.exit).toBe(1);
    expect(pty.output()).toContain(
      `Not trusted: 127.0.0.1:${bed.sshPort} offers ${bed.hostKeyFingerprint}, and you said no. Nothing was written.`,
    );
    expect(leftovers(cwd)).toEqual([]);
  });

  it('stops at Ctrl-C with nothing written', async () => {
    const cwd = project(bed.images.v1);
    const pty = spawnPty([process.execPath, OTTO_BIN, 'init', '--local'], { cwd });
    await pty.waitFor('Choose 1-2 [2]: ');
    pty.press('\u0003');
    expect(await pty.exit).toBe(1);
    expect(pty.output()).toContain('Stopped: nothing was written.');
    expect(leftovers(cwd)).toEqual([]);
  });

  it('takes every answer from flags: the fingerprint shown and pinned, Docker checked over SSH, the file loads', async () => {
    const r = await otto(dir, [
      'init',
      '--file',
      'ops/otto.yml',
      ...ssh,
      '--docker-host',
      bed.dockerHost,
      '--fingerprint',
      bed.hostKeyFingerprint,
      '--compose',
      'stacks/web.yml',
      '--chat',
      'slack',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `🔑 127.0.0.1:${bed.sshPort} offers ${bed.hostKeyFingerprint}: the fingerprint you gave. Trusted.`,
    );
    expect(r.stderr).toContain('a Swarm manager');
    expect(r.stdout).toContain(`✅ Wrote ${join(dir, 'ops/otto.yml')} and loaded it back`);
    expect(r.stdout).toContain('https://api.slack.com/apps');
    expect(r.stdout).toContain('export SLACK_BOT_TOKEN=xoxb-…');
    expect(r.stdout).toContain('otto start --config ops/otto.yml');
    const yml = readFileSync(join(dir, 'ops/otto.yml'), 'utf8');
    expect(yml).toContain(`host_key: ${bed.hostKeyFingerprint}`);
    expect(yml).toContain('compose_file: ../stacks/web.yml');
    expect(yml).toContain('bot_token: ${SLACK_BOT_TOKEN}');
    expect(yml).toContain('app_token: ${SLACK_APP_TOKEN}');
    const loaded = await otto(dir, ['say', 'fleets', '--config', 'ops/otto.yml'], {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_APP_TOKEN: 'xapp-test',
    });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain('web: cluster swarm');
    // Without the tokens, Otto says which variable is missing: the file names them.
    const bare = await otto(dir, ['say', 'fleets', '--config', 'ops/otto.yml']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('the environment has no SLACK_BOT_TOKEN');
  });

  it('refuses a --fingerprint the server does not offer, showing both, and writes nothing', async () => {
    const cwd = project(bed.images.v1);
    const r = await otto(cwd, [
      'init',
      ...ssh,
      '--fingerprint',
      WRONG_FP,
      '--compose',
      'stacks/web.yml',
      '--chat',
      'none',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `127.0.0.1:${bed.sshPort} offers the host key ${bed.hostKeyFingerprint}, not the ${WRONG_FP} you gave with --fingerprint.`,
    );
    expect(r.stderr).toContain('Nothing was written.');
    expect(leftovers(cwd)).toEqual([]);
  });

  it('without a terminal, asks for --fingerprint or --yes instead of trusting the key', async () => {
    const cwd = project(bed.images.v1);
    const r = await otto(cwd, ['init', ...ssh, '--compose', 'stacks/web.yml', '--chat', 'none']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pass --fingerprint ${bed.hostKeyFingerprint} (or --yes`);
    expect(leftovers(cwd)).toEqual([]);
  });

  it('writes the file when Docker does not answer, with a warning', async () => {
    const cwd = project(bed.images.v1);
    const r = await otto(cwd, [
      'init',
      ...ssh,
      '--docker-host',
      'unix:///nonexistent/docker.sock',
      '--yes',
      '--compose',
      'stacks/web.yml',
      '--chat',
      'none',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Trusted on first use (--yes)`);
    expect(r.stderr).toContain(
      `⚠️  Logged in as ${bed.sshUser}@127.0.0.1:${bed.sshPort}, but docker did not answer`,
    );
    expect(readFileSync(join(cwd, 'otto.yml'), 'utf8')).toContain(
      `host_key: ${bed.hostKeyFingerprint}`,
    );
    expect(r.stdout).toContain('otto console, then type: launch web');
  });

  it('never overwrites an otto.yml that is there', async () => {
    const cwd = project(bed.images.v1);
    writeFileSync(join(cwd, 'otto.yml'), 'keep: me\n');
    const r = await otto(cwd, ['init', '--local', '--example', '--chat', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(cwd, 'otto.yml')} is already there`);
    expect(r.stderr).toContain('--file');
    expect(readFileSync(join(cwd, 'otto.yml'), 'utf8')).toBe('keep: me\n');
    expect(leftovers(cwd)).toEqual(['otto.yml']);
  });

  it('without a terminal, names the flags a missing answer needs and never waits on stdin', async () => {
    const cwd = project(bed.images.v1);
    const r = await otto(cwd, ['init', '--local']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--compose FILE or --example; --chat none|slack|discord');
    expect(existsSync(join(cwd, 'otto.yml'))).toBe(false);
  });

  it("--local --example: the fleet is Otto's example, Docker is checked here, and the file loads", async () => {
    const cwd = project(bed.images.v1);
    const r = await otto(cwd, [
      'init',
      '--local',
      '--docker-host',
      bed.dockerHost,
      '--example',
      '--chat',
      'none',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('🛰️  Docker answers on this machine: a Swarm manager.');
    const yml = readFileSync(join(cwd, 'otto.yml'), 'utf8');
    expect(yml).toContain(`compose_file: ${join(REPO, EXAMPLE_COMPOSE)}`);
    expect(yml).toContain('local: true');
    const loaded = await otto(cwd, ['say', 'fleets']);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain('hello: cluster local');
  });
});
