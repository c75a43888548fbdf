/**
 * Otto's image, built from the Dockerfile (tests/support/otto-image.ts), then run as a
 * Swarm service of the test bed from deploy/otto-stack.yml: config as a Docker config,
 * tokens and keys as Docker secrets, data on a volume. It launches one fleet through
 * the mounted Docker socket (`local: true`) and one over SSH, from Slack.
 *
 * The bed's engine lives in a network namespace of its own; the service runs on the
 * host network of that namespace (an override file, as a user would write one), and a
 * veth pair links it to this one, where the Slack stand-in and an sshd listen.
 */
import { execa } from 'execa';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { Conversation, textOf, tsOf } from '../support/slack-messages.js';
import { slashPayload, SlackStandin } from '../support/slack-standin.js';
import { until } from '../support/standin-server.js';
import { OTTO_IMAGE, buildOttoImage } from '../support/otto-image.js';
import {
  docker,
  freePort,
  killTree,
  listening,
  waitFor,
  writeSshdFiles,
} from '../support/testbed.js';
import { slowStack, TEST_KEY, webService } from '../support/workspace.js';

const bed = inject('testbed');

const STACK = 'otto-i18';
const SERVICE = `${STACK}_otto`;
/** This namespace's end of the link, and the bed's. */
const HERE = '10.252.0.1';
const THERE = '10.252.0.2';
const HTTP_PORT = 18088;
const TOKENS = { bot: 'xoxb-0000-secret-bot-token', app: 'xapp-1-secret-app-token' };

describe.skipIf(bed === null)("Otto's image, and Otto as a Swarm service", () => {
  if (!bed) return;
  const dir = mkdtempSync(join(tmpdir(), 'otto-image-'));
  const slack = new SlackStandin();
  const link = `oi${process.pid % 100000}`;
  let sshd: { kill(): Promise<void> } | undefined;
  let built = '';

  const run = (args: string[]) => docker(bed, ['run', '--rm', OTTO_IMAGE, ...args]);

  beforeAll(async () => {
    built = await buildOttoImage(bed);
  }, 40 * 60_000);

  afterAll(async () => {
    await docker(bed, ['stack', 'rm', STACK]);
    for (const s of ['near', 'far', 'slow']) await docker(bed, ['stack', 'rm', s]);
    await sshd?.kill();
    await slack.close();
    await execa('ip', ['link', 'del', `${link}a`], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  });

  it('has node from the npm registry, only allowed install scripts, no compiler, and runs otto as a non-root user', async () => {
    expect(built).toContain('image-node: node 26.12.1 and npm');
    expect(built).toContain(
      'allowed-scripts: running the install scripts of better-sqlite3, esbuild',
    );
    const help = await run(['otto', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('otto start');
    const say = await run(['otto', 'say', 'help']);
    expect(say.exitCode).toBe(0);
    expect(say.stdout).toContain('Otto at Mission Control');
    const inside = await run([
      'sh',
      '-c',
      'id -un; command -v gcc g++ cc make python3 || true; docker --version; git --version; ssh -V 2>&1; ls /app/node_modules',
    ]);
    const lines = inside.stdout.split('\n');
    expect(lines[0]).toBe('otto');
    expect(inside.stdout).not.toMatch(/\/(gcc|g\+\+|cc|make|python3)$/m);
    expect(inside.stdout).toMatch(/^Docker version/m);
    expect(inside.stdout).toMatch(/^git version/m);
    expect(inside.stdout).toMatch(/^OpenSSH_/m);
    // Production dependencies only; ssh2's optional addon (a disallowed script) not built.
    expect(inside.stdout).toMatch(/^better-sqlite3$/m);
    expect(inside.stdout).not.toMatch(/^(vitest|typescript|esbuild|eslint)$/m);
    const ssh2Build = await run([
      'sh',
      '-c',
      'ls /app/node_modules/ssh2/lib/protocol/crypto/build 2>&1',
    ]);
    expect(ssh2Build.stdout).toMatch(/No such file/);
    const config = JSON.parse(
      (await docker(bed, ['image', 'inspect', '--format', '{{json .Config}}', OTTO_IMAGE])).stdout,
    ) as { User: string; StopSignal: string; Healthcheck: { Test: string[] } };
    expect(config.User).toBe('otto');
    expect(config.StopSignal).toBe('SIGTERM');
    expect(config.Healthcheck.Test).toEqual(['CMD', 'otto', 'health']);
  });

  it(
    'runs from deploy/otto-stack.yml, launches through the socket and over SSH, and stops within the grace period',
    async () => {
      // The link between the bed's namespace and this one.
      const ns = basename(bed.netns);
      await execa('ip', [
        'link',
        'add',
        `${link}a`,
        'type',
        'veth',
        'peer',
        'name',
        `${link}b`,
        'netns',
        ns,
      ]);
      await execa('ip', ['addr', 'add', `${HERE}/30`, 'dev', `${link}a`]);
      await execa('ip', ['link', 'set', `${link}a`, 'up']);
      await execa('ip', [
        'netns',
        'exec',
        ns,
        'ip',
        'addr',
        'add',
        `${THERE}/30`,
        'dev',
        `${link}b`,
      ]);
      await execa('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', `${link}b`, 'up']);

      await slack.listen(0, HERE);
      // sshd reads authorized_keys as the login user: the folders must let it in.
      chmodSync(dir, 0o755);
      const sshDir = join(dir, 'sshd');
      mkdirSync(sshDir, { mode: 0o755 });
      const port = await freePort();
      const files = await writeSshdFiles(sshDir, HERE, port, [`AllowUsers ${bed.sshUser}`]);
      const daemon = execa('/usr/sbin/sshd', ['-D', '-e', '-f', files.config], {
        reject: false,
        detached: true,
        stdio: 'ignore',
      });
      daemon.unref();
      sshd = { kill: async () => (daemon.pid ? killTree(daemon.pid) : undefined) };
      await listening(port, HERE);
      const fingerprint = (
        await execa('ssh-keygen', ['-l', '-f', `${files.hostKey}.pub`])
      ).stdout.split(' ')[1];

      // What a user puts beside the stack file: otto.yml and the secrets.
      const stackDir = join(dir, 'stack');
      mkdirSync(join(stackDir, 'secrets'), { recursive: true });
      mkdirSync(join(stackDir, 'fleets'));
      const secret = (name: string, value: string) =>
        writeFileSync(join(stackDir, 'secrets', name), `${value}\n`, { mode: 0o600 });
      secret('otto_secret_key', TEST_KEY);
      secret('slack_bot_token', TOKENS.bot);
      secret('slack_app_token', TOKENS.app);
      writeFileSync(join(stackDir, 'secrets', 'otto_ssh_key'), readFileSync(files.clientKey), {
        mode: 0o600,
      });
      const fleet = (name: string, compose: object) =>
        writeFileSync(join(stackDir, 'fleets', `${name}.yml`), stringify(compose));
      fleet('near', { services: { web: webService(bed.images.v1, { deploy: { replicas: 1 } }) } });
      fleet('far', { services: { web: webService(bed.images.v1, { deploy: { replicas: 1 } }) } });
      fleet('slow', slowStack(bed.images.v1));
      writeFileSync(
        join(stackDir, 'otto.yml'),
        stringify({
          data_dir: '/var/lib/otto',
          // /healthz for the image's HEALTHCHECK (otto health), on the bed's loopback.
          http: { port: HTTP_PORT },
          access: { 'slack:UALICE': 'deployer' },
          slack: {
            mode: 'socket',
            bot_token: '${SLACK_BOT_TOKEN}',
            app_token: '${SLACK_APP_TOKEN}',
            api_url: slack.apiUrl,
          },
          clusters: {
            here: { local: true },
            yonder: {
              managers: [
                {
                  host: HERE,
                  port,
                  user: bed.sshUser,
                  private_key_file: '/run/secrets/otto_ssh_key',
                  host_key: fingerprint,
                },
              ],
              docker_host: bed.dockerHost,
            },
          },
          fleets: {
            near: {
              cluster: 'here',
              compose_file: '/etc/otto/fleets/near.yml',
              converge_timeout: 120,
            },
            far: {
              cluster: 'yonder',
              compose_file: '/etc/otto/fleets/far.yml',
              converge_timeout: 120,
            },
            slow: {
              cluster: 'here',
              compose_file: '/etc/otto/fleets/slow.yml',
              converge_timeout: 600,
            },
          },
        }),
      );
      // The user's own override: the socket for `local: true` (its group, for the
      // non-root user), the fleets' compose files, the host network of the bed.
      const socket = bed.dockerHost.replace(/^unix:\/\//, '');
      const override = join(stackDir, 'override.yml');
      writeFileSync(
        override,
        stringify({
          services: {
            otto: {
              user: `10001:${statSync(socket).gid}`,
              environment: { OTTO_LOG_FORMAT: 'json' },
              networks: ['hostnet'],
              volumes: [{ type: 'bind', source: socket, target: '/var/run/docker.sock' }],
              configs: ['near', 'far', 'slow'].map((f) => ({
                source: `fleet_${f}`,
                target: `/etc/otto/fleets/${f}.yml`,
              })),
            },
          },
          networks: { hostnet: { external: true, name: 'host' } },
          configs: Object.fromEntries(
            ['near', 'far', 'slow'].map((f) => [
              `fleet_${f}`,
              { file: join(stackDir, 'fleets', `${f}.yml`) },
            ]),
          ),
        }),
      );
      const deploy = await execa(
        'docker',
        [
          '-H',
          bed.dockerHost,
          'stack',
          'deploy',
          '-c',
          resolve('deploy/otto-stack.yml'),
          '-c',
          override,
          STACK,
        ],
        { env: { OTTO_IMAGE, OTTO_STACK_DIR: stackDir }, reject: false, all: true },
      );
      expect(deploy.exitCode, deploy.all).toBe(0);

      await until('Otto in the Swarm connects to Slack', () => slack.connected, 180_000);
      const talk = new Conversation(slack);
      const slash = (text: string) =>
        slack.envelope('slash_commands', slashPayload(slack, text, 'UALICE'));

      await slash('launch near');
      await talk.drawn(
        tsOf(await talk.posted('/otto launch near')),
        'near v1 is in orbit',
        180_000,
      );
      await slash('launch far');
      await talk.drawn(tsOf(await talk.posted('/otto launch far')), 'far v1 is in orbit', 180_000);
      for (const s of ['near_web', 'far_web']) {
        const ls = await docker(bed, [
          'service',
          'ls',
          '--filter',
          `name=${s}`,
          '--format',
          '{{.Name}}',
        ]);
        expect(ls.stdout.trim()).toBe(s);
      }

      // A launch that waits for ever, and then the service stops: Swarm's default grace.
      await slash('launch slow');
      const slowTs = tsOf(await talk.posted('/otto launch slow'));
      await talk.drawn(slowTs, 'Waiting for every service', 180_000);
      const container = (
        await docker(bed, [
          'ps',
          '-q',
          '--filter',
          `label=com.docker.swarm.service.name=${SERVICE}`,
        ])
      ).stdout.trim();
      expect(container).not.toBe('');
      // The health check asks /healthz; the log is JSON for shippers, with no token in it.
      const health = await docker(bed, ['exec', container, 'otto', 'health']);
      expect(health.exitCode, `${health.stdout}${health.stderr}`).toBe(0);
      expect(health.stdout).toMatch(/\/healthz: 200 \{"status":"ok"/);
      const logs = await docker(bed, ['logs', container]);
      const log = `${logs.stdout}${logs.stderr}`;
      expect(log).not.toMatch(/xoxb-0000|xapp-1-secret/);
      const lines = log.trim().split('\n');
      expect(lines.length, `${log} (exit ${logs.exitCode})`).toBeGreaterThan(3);
      for (const l of lines)
        expect(JSON.parse(l)).toMatchObject({ level: expect.any(String), msg: expect.any(String) });
      expect(lines.some((l) => l.includes('Slack connected'))).toBe(true);
      await docker(bed, ['service', 'scale', '--detach', `${SERVICE}=0`]);
      await waitFor(
        "Otto's container stops",
        async () =>
          (
            await docker(bed, ['inspect', '--format', '{{.State.Running}}', container])
          ).stdout.trim() === 'false',
        120_000,
      );
      // 0: Otto ended by itself; 137 would be Swarm's SIGKILL after the grace period.
      const exit = (
        await docker(bed, ['inspect', '--format', '{{.State.ExitCode}}', container])
      ).stdout.trim();
      expect(exit).toBe('0');

      // The flight log on the volume: the running launch was recorded interrupted.
      const history = await docker(bed, [
        'run',
        '--rm',
        '-v',
        `${STACK}_otto-data:/var/lib/otto`,
        '-v',
        `${join(stackDir, 'otto.yml')}:/etc/otto/otto.yml:ro`,
        '-v',
        `${join(stackDir, 'fleets')}:/etc/otto/fleets:ro`,
        '-e',
        'OTTO_CONFIG=/etc/otto/otto.yml',
        '-e',
        `OTTO_SECRET_KEY=${TEST_KEY}`,
        '-e',
        'SLACK_BOT_TOKEN=xoxb-unused',
        '-e',
        'SLACK_APP_TOKEN=xapp-unused',
        OTTO_IMAGE,
        'otto',
        'say',
        'history slow',
      ]);
      expect(history.stdout, history.stderr).toMatch(/interrupted/i);
      expect(textOf(talk.history(slowTs).at(-1)!)).toMatch(/interrupted|stopped/i);
    },
    15 * 60_000,
  );
});
