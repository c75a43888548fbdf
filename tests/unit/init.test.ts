import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { UnreachableError, UsageError } from '../../src/errors.js';
import type { DockerCheck, DockerTarget } from '../../src/init/cluster-probe.js';
import { parseInitFlags, type RawInitFlags } from '../../src/init/init-flags.js';
import { runInit, type InitDeps } from '../../src/init/init.js';
import { InitStoppedError, terminalPrompter } from '../../src/init/prompter.js';
import { InitRefusedError } from '../../src/init/write-new.js';
import { parse } from 'yaml';

const OFFERED = `SHA256:${'Q'.repeat(43)}`;
const OTHER = `SHA256:${'Z'.repeat(43)}`;
const TOKEN = 'MTA1NjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz012345';

/** A project folder with a key and a compose file, Otto's folder with the example. */
function machine() {
  const root = mkdtempSync(join(tmpdir(), 'otto-init-unit-'));
  const cwd = join(root, 'project');
  const home = join(root, 'home');
  const otto = join(root, 'otto');
  mkdirSync(join(cwd, 'stacks'), { recursive: true });
  mkdirSync(join(home, '.ssh'), { recursive: true });
  mkdirSync(join(otto, 'examples/hello'), { recursive: true });
  writeFileSync(join(home, '.ssh/id_ed25519'), 'a key\n');
  writeFileSync(join(cwd, 'stacks/web.yml'), 'services:\n  web:\n    image: nginx:1.27\n');
  writeFileSync(
    join(cwd, 'stacks/db.yml'),
    'services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n',
  );
  writeFileSync(join(cwd, 'stacks/broken.yml'), 'services:\n  web:\n    ports: [80]\n');
  writeFileSync(
    join(otto, 'examples/hello/compose.yml'),
    'services:\n  hello:\n    image: busybox\n',
  );
  writeFileSync(join(otto, 'manifest.yml'), 'display_information: {}\n');
  return { cwd, home, otto };
}

interface Session {
  readonly deps: InitDeps;
  /** What was asked and said (stderr). */
  said(): string;
  /** The result (stdout). */
  out(): string;
  readonly probed: string[];
  readonly checked: DockerTarget[];
}

/** runInit's deps: typed answers (none: no terminal), a server offering OFFERED. */
function session(
  m: ReturnType<typeof machine>,
  answers: readonly string[] | undefined,
  over: Partial<InitDeps> = {},
): Session {
  let said = '';
  let out = '';
  const probed: string[] = [];
  const checked: DockerTarget[] = [];
  let prompter;
  if (answers) {
    const input = new PassThrough();
    const output = new PassThrough();
    output.on('data', (d: Buffer) => (said += d.toString()));
    for (const a of answers) input.write(`${a}\n`);
    // Out of answers: the end of input stops the questions, as Ctrl-D would.
    input.end();
    prompter = terminalPrompter(input, output);
  }
  return {
    deps: {
      prompter,
      out: (t) => (out += `${t}\n`),
      say: (l) => (said += `${l}\n`),
      cwd: m.cwd,
      home: m.home,
      env: {},
      ottoHome: m.otto,
      defaultUser: 'ann',
      probeHostKey: async (host, port) => {
        probed.push(`${host}:${port}`);
        return OFFERED;
      },
      checkDocker: async (target): Promise<DockerCheck> => {
        checked.push(target);
        return { ok: true, line: '🛰️  Docker answers (stand-in).' };
      },
      ...over,
    },
    said: () => said,
    out: () => out,
    probed,
    checked,
  };
}

const flags = (raw: RawInitFlags = {}) => parseInitFlags(raw, []);

function written(m: ReturnType<typeof machine>, file = 'otto.yml') {
  return readFileSync(join(m.cwd, file), 'utf8');
}

describe('otto init: the questions', () => {
  it('asks for an SSH cluster, a compose file and Discord, and writes a file that loads', async () => {
    const m = machine();
    const s = session(m, [
      '2', // SSH
      '10.0.0.5',
      'deploy',
      '2222',
      '', // the key found in ~/.ssh
      'y',
      '1', // a compose file
      'stacks/nope.yml',
      'stacks/broken.yml',
      'stacks/db.yml',
      '', // the fleet name: db
      '3', // Discord
      TOKEN,
      '123456789012345678',
    ]);
    expect(await runInit(flags(), s.deps)).toBe(0);
    expect(s.probed).toEqual(['10.0.0.5:2222']);
    expect(s.checked).toEqual([
      {
        kind: 'ssh',
        host: '10.0.0.5',
        port: 2222,
        user: 'deploy',
        privateKeyFile: join(m.home, '.ssh/id_ed25519'),
        hostKey: OFFERED,
        dockerHost: undefined,
      },
    ]);
    const said = s.said();
    expect(said).toContain(
      'Where does your Swarm run?\n  1) on this machine: Otto uses the docker CLI here\n  2) on a server Otto reaches over SSH\nChoose 1-2 [1]: ',
    );
    expect(said).toContain('SSH user [ann]: ');
    expect(said).toContain('Private key file [~/.ssh/id_ed25519]: ');
    expect(said).toContain(`🔑 10.0.0.5:2222 offers this host key:\n     ${OFFERED}\n`);
    expect(said).toContain('Trust this key? [y/N]: ');
    expect(said).toContain(`  There is no file ${join(m.cwd, 'stacks/nope.yml')}. Try again.`);
    expect(said).toContain(
      '  Configuration error in stacks/broken.yml: services.web.image: every service needs an image. Try again.',
    );
    expect(said).toContain('Fleet name [db]: ');
    expect(said).toContain('  That looks like a token, not an application id.');
    expect(said).not.toContain(TOKEN);

    const yml = parse(written(m));
    expect(yml).toEqual({
      data_dir: '.otto',
      clusters: {
        swarm: {
          managers: [
            {
              host: '10.0.0.5',
              port: 2222,
              user: 'deploy',
              private_key_file: '~/.ssh/id_ed25519',
              host_key: OFFERED,
            },
          ],
        },
      },
      fleets: { db: { cluster: 'swarm', compose_file: 'stacks/db.yml' } },
      discord: { token: '${DISCORD_TOKEN}', application_id: '123456789012345678' },
    });
    const out = s.out();
    expect(out).toContain(`✅ Wrote ${join(m.cwd, 'otto.yml')} and loaded it back as Otto will.`);
    expect(out).toContain(
      'No token is in the file: Otto reads DISCORD_TOKEN from the environment.',
    );
    expect(out).toContain(
      "The fleet's compose file needs DB_PASSWORD: set it with otto secret set db <NAME>.",
    );
    expect(out).toContain(
      'https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot%20applications.commands&permissions=309237648384',
    );
    // As otto start reads it once the token is exported: the pinned key is what SSH checks.
    const cfg = buildConfig(yml, m.cwd, 'otto.yml', { DISCORD_TOKEN: 'x'.repeat(30) });
    const cluster = cfg.clusters.get('swarm');
    expect(cluster?.kind === 'ssh' && cluster.managers[0]?.hostKey).toBe(OFFERED);
  });

  it('takes every default on Enter: this machine, the example, no chat', async () => {
    const m = machine();
    const s = session(m, ['', '', '', '']);
    expect(await runInit(flags(), s.deps)).toBe(0);
    expect(s.said()).toContain('Choose 1-2 [2]: ');
    expect(s.said()).toContain('Fleet name [hello]: ');
    expect(parse(written(m))).toEqual({
      data_dir: '.otto',
      clusters: { local: { local: true } },
      fleets: {
        hello: { cluster: 'local', compose_file: join(m.otto, 'examples/hello/compose.yml') },
      },
    });
    expect(s.out()).toContain('  1. otto console, then type: launch hello');
    expect(s.probed).toEqual([]);
  });

  it('asks nothing a flag answered', async () => {
    const m = machine();
    const s = session(m, ['1']);
    expect(await runInit(flags({ host: 'h1', yes: true, compose: 'stacks/web.yml' }), s.deps)).toBe(
      0,
    );
    const said = s.said();
    expect(said).not.toContain('Where does your Swarm run?');
    expect(said).not.toContain('SSH user');
    expect(said).not.toContain('Trust this key?');
    expect(said).not.toContain('Fleet name');
    expect(said).toContain(`🔑 h1:22 offers ${OFFERED}. Trusted on first use (--yes).`);
    expect(said).toContain('Which chat should Otto join?');
    expect(parse(written(m)).fleets).toEqual({
      web: { cluster: 'swarm', compose_file: 'stacks/web.yml' },
    });
  });

  it('asks again for a server it could not reach, saying why', async () => {
    const m = machine();
    const s = session(m, ['2', 'typo.example', '', '', '', 'h1', '2222', 'y'], {
      probeHostKey: async (host, port) => {
        if (host === 'typo.example')
          throw new UnreachableError(
            `${host}:${port}`,
            'not found',
            `Otto can't resolve the host name of ${host}:${port}.`,
            'Check host in otto.yml.',
          );
        return OFFERED;
      },
    });
    expect(await runInit(flags({ example: true, chat: 'none' }), s.deps)).toBe(0);
    expect(s.said()).toContain(
      "⚠️  Otto can't resolve the host name of typo.example:22. Check host in otto.yml.\nManager host name or IP address [typo.example]: \nSSH port [22]: \n",
    );
    expect(parse(written(m)).clusters.swarm.managers[0]).toMatchObject({ host: 'h1', port: 2222 });
  });

  it('stops at the end of input (Ctrl-D) and writes nothing', async () => {
    const m = machine();
    const s = session(m, ['1']);
    await expect(runInit(flags(), s.deps)).rejects.toBeInstanceOf(InitStoppedError);
    expect(readdirSync(m.cwd)).toEqual(['stacks']);
  });
});

describe('otto init: refusals', () => {
  it('never overwrites an otto.yml, and says so before any question', async () => {
    const m = machine();
    writeFileSync(join(m.cwd, 'otto.yml'), 'keep: me\n');
    const s = session(m, []);
    const e = await runInit(flags(), s.deps).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InitRefusedError);
    expect((e as InitRefusedError).message).toBe(
      `${join(m.cwd, 'otto.yml')} is already there, and Otto never overwrites an otto.yml. Nothing was written.`,
    );
    expect((e as InitRefusedError).fix).toContain('--file other.yml');
    expect(s.said()).toBe('');
    expect(written(m)).toBe('keep: me\n');
  });

  it('refuses a pinned fingerprint the server does not offer, showing both', async () => {
    const m = machine();
    const s = session(m, undefined);
    const e = await runInit(
      flags({ host: 'h1', fingerprint: OTHER, example: true, chat: 'none' }),
      s.deps,
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InitRefusedError);
    expect((e as Error).message).toBe(
      `h1:22 offers the host key ${OFFERED}, not the ${OTHER} you gave with --fingerprint. This could be another server, or someone in between. Nothing was written.`,
    );
    expect(s.checked).toEqual([]);
    expect(readdirSync(m.cwd)).toEqual(['stacks']);
  });

  it('without a terminal, does not trust a key nobody confirmed: the flags to pass, with the key', async () => {
    const m = machine();
    const s = session(m, undefined);
    const e = await runInit(flags({ host: 'h1', example: true, chat: 'none' }), s.deps).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).fix).toContain(`pass --fingerprint ${OFFERED} (or --yes`);
    expect(existsSync(join(m.cwd, 'otto.yml'))).toBe(false);
  });

  it('writes nothing when the person does not trust the key', async () => {
    const m = machine();
    const s = session(m, ['2', 'h1', '', '', '', 'n']);
    const e = await runInit(flags({ example: true, chat: 'none' }), s.deps).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(InitRefusedError);
    expect((e as Error).message).toBe(
      `Not trusted: h1:22 offers ${OFFERED}, and you said no. Nothing was written.`,
    );
    expect(readdirSync(m.cwd)).toEqual(['stacks']);
  });

  it('without a terminal, names every flag a missing answer needs, before any connection', async () => {
    const m = machine();
    const s = session(m, undefined);
    const e = await runInit(flags({ chat: 'discord' }), s.deps).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toBe(
      'otto init has no terminal to ask on, and these answers are missing: --local or --host HOST; --compose FILE or --example; --discord-app-id ID.',
    );
    expect(s.probed).toEqual([]);
  });

  it('refuses a --compose file that is missing or that Otto cannot parse, and a missing --key', async () => {
    const m = machine();
    const base = { local: true, chat: 'none' } as const;
    await expect(
      runInit(flags({ ...base, compose: 'stacks/broken.yml' }), session(m, undefined).deps),
    ).rejects.toThrow(
      '--compose: Configuration error in stacks/broken.yml: services.web.image: every service needs an image.',
    );
    await expect(
      runInit(flags({ ...base, compose: 'nope.yml' }), session(m, undefined).deps),
    ).rejects.toThrow(`--compose: there is no file ${join(m.cwd, 'nope.yml')}.`);
    await expect(
      runInit(
        flags({ host: 'h', key: 'nokey', example: true, chat: 'none' }),
        session(m, undefined).deps,
      ),
    ).rejects.toThrow(`--key: there is no file ${join(m.cwd, 'nokey')}.`);
    expect(readdirSync(m.cwd)).toEqual(['stacks']);
  });

  it('writes the file when Docker does not answer, and says so', async () => {
    const m = machine();
    const s = session(m, undefined, {
      checkDocker: async () => ({ ok: false, line: '⚠️  Docker did not answer (stand-in).' }),
    });
    expect(
      await runInit(flags({ host: 'h1', yes: true, example: true, chat: 'slack' }), s.deps),
    ).toBe(0);
    expect(s.said()).toContain('⚠️  Docker did not answer (stand-in).');
    expect(existsSync(join(m.cwd, 'otto.yml'))).toBe(true);
  });

  it('checks the tokens exported now, by name only: a swapped one is caught', async () => {
    const m = machine();
    const s = session(m, undefined, { env: { SLACK_BOT_TOKEN: 'xapp-swapped-by-mistake' } });
    expect(await runInit(flags({ local: true, example: true, chat: 'slack' }), s.deps)).toBe(1);
    expect(s.out()).toContain('slack.bot_token: a bot token starts with xoxb-');
    expect(s.out()).not.toContain('xapp-swapped-by-mistake');
    // The file is right: it loads with the right tokens.
    expect(written(m)).toContain('bot_token: ${SLACK_BOT_TOKEN}');
  });

  it('writes to --file in a folder it creates, and the next steps name it', async () => {
    const m = machine();
    const s = session(m, undefined);
    expect(
      await runInit(
        flags({ file: 'ops/otto.yml', local: true, compose: 'stacks/web.yml', chat: 'none' }),
        s.deps,
      ),
    ).toBe(0);
    expect(parse(written(m, 'ops/otto.yml')).fleets.web.compose_file).toBe('../stacks/web.yml');
    expect(s.out()).toContain('otto console --config ops/otto.yml, then type: launch web');
  });
});
