import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HostKeyChangedError } from '../../src/errors.js';
import { processAlive } from '../../src/store/process-alive.js';
import { SshTransport } from '../../src/transport/ssh-transport.js';
import { type Nodes, startNodes, type TestNode } from '../support/nodes.js';
import { waitFor } from '../support/testbed.js';

const bed = inject('testbed');

/**
 * What a bed of nodes leaves on the machine if it is not cleaned up, but for the
 * running bed `except` (whose Swarm still adds mounts of its own).
 */
async function leftovers(except: Nodes): Promise<Record<string, string[]>> {
  const id = except.bridge.name.replace('ottobr', '');
  const theirs = [except.dir, `otto-${id}-`, `ottobr${id}`, `ov${id}`];
  const lines = async (cmd: string, args: string[], re: RegExp) =>
    (await execa(cmd, args, { reject: false })).stdout
      .split('\n')
      .filter((l) => re.test(l) && !theirs.some((t) => l.includes(t)))
      .sort();
  return {
    netns: await lines('ip', ['netns', 'list'], /^otto-[0-9a-f]{6}-/),
    links: await lines('ip', ['-o', 'link', 'show'], /ottobr|: ov[0-9a-f]{6}/),
    rules: await lines('iptables', ['-S', 'FORWARD'], /ottobr/),
    users: await lines('getent', ['passwd'], /^otto-[0-9a-f]{6}-/),
    sudoers: await lines('ls', ['/etc/sudoers.d'], /^otto-/),
    folders: await lines('ls', ['/tmp'], /^otto-nodes-/),
    mounts: await lines('cat', ['/proc/mounts'], /otto-nodes-|otto-disk-/),
  };
}

describe.skipIf(bed === null)('bare nodes for the outpost tests', () => {
  let bare: Nodes | undefined;
  const transports: SshTransport[] = [];
  let one: TestNode, two: TestNode, engineless: TestNode, absent: TestNode;

  beforeAll(async () => {
    bare = await startNodes([
      {},
      { sudo: 'password', diskMb: 64 },
      { docker: false, sudo: 'none' },
      { docker: 'absent' },
    ]);
    [one, two, engineless, absent] = bare.nodes as [TestNode, TestNode, TestNode, TestNode];
  }, 300_000);

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
    await bare?.stop();
  }, 180_000);

  /** Otto's own SSH transport to a node, its host key pinned. */
  const ssh = (node: TestNode, hostKey = node.hostFingerprint) => {
    const t = new SshTransport(
      { host: node.ip, port: node.sshPort, user: node.user, privateKeyFile: node.keyFile, hostKey },
      { get: async () => undefined, remember: async () => {} },
    );
    transports.push(t);
    return t;
  };

  it('logs in over SSH with the pinned host key, to an engine of its own not in a Swarm', async () => {
    for (const node of [one, two]) {
      const t = ssh(node);
      const info = await t.run(['docker', 'info', '--format', '{{.Swarm.LocalNodeState}}']);
      expect(info).toMatchObject({ exitCode: 0, stdout: 'inactive\n' });
      const who = await t.run(['sh', '-c', 'echo "$(id -un) $(hostname) $DOCKER_HOST"']);
      expect(who.stdout).toBe(`${node.user} ${node.name} ${node.dockerHost}\n`);
      const root = await t.run(['docker', 'info', '--format', '{{.DockerRootDir}}']);
      expect(root.stdout.trim()).toBe(node.dataRoot);
    }
    // Another pinned key is refused before anything runs.
    const wrong = ssh(one, two.hostFingerprint);
    await expect(wrong.run(['true'])).rejects.toBeInstanceOf(HostKeyChangedError);
  });

  it('has passwordless sudo only where asked', async () => {
    expect((await ssh(one).run(['sudo', '-n', 'true'])).exitCode).toBe(0);
    // As root too, `docker` talks to the node's own engine (sudo keeps DOCKER_HOST).
    const name = await ssh(one).run(['sudo', '-n', 'docker', 'info', '--format', '{{.Name}}']);
    expect(name).toMatchObject({ exitCode: 0, stdout: `${one.name}\n` });
    for (const node of [two, engineless]) {
      const r = await ssh(node).run(['sudo', '-n', 'true']);
      expect(r.exitCode).toBe(1);
      // The same words whether the user has a sudoers entry with a password or none.
      expect(r.stderr).toMatch(/a password is required/);
    }
  });

  it('shows a small disk at the data root of a node with one', async () => {
    const avail = async (node: TestNode) => {
      const r = await ssh(node).run(['df', '-P', '-k', node.dataRoot]);
      expect(r.exitCode).toBe(0);
      // Filesystem 1024-blocks Used Available Capacity Mounted-on
      return Number(r.stdout.trim().split('\n')[1]?.split(/\s+/)[3]);
    };
    const small = await avail(two);
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThanOrEqual(64 * 1024);
    expect(await avail(one)).toBeGreaterThan(64 * 1024);
  });

  it('without an engine: the docker CLI answers that nothing serves DOCKER_HOST', async () => {
    const t = ssh(engineless);
    expect(await t.run(['sh', '-c', 'command -v docker'])).toMatchObject({ exitCode: 0 });
    const info = await t.run(['docker', 'info', '--format', '{{.ServerVersion}}']);
    expect(info.exitCode).not.toBe(0);
    expect(info.stderr).toContain(
      `Cannot connect to the Docker daemon at ${engineless.dockerHost}. Is the docker daemon running?`,
    );
    // The client's version still prints: "installed, engine not running".
    const client = await t.run(['docker', 'version', '--format', '{{.Client.Version}}']);
    expect(client.stdout).toMatch(/^\d+\.\d+/);
  });

  it("with docker 'absent': no docker command at all in the node's sessions", async () => {
    const t = ssh(absent);
    expect((await t.run(['sh', '-c', 'command -v docker'])).exitCode).not.toBe(0);
    expect((await t.run(['sh', '-c', 'command -v dockerd'])).exitCode).not.toBe(0);
    expect((await t.run(['docker', 'version'])).exitCode).toBe(127);
    // sudo's secure_path finds nothing either.
    expect((await t.run(['sudo', '-n', 'docker', 'version'])).exitCode).not.toBe(0);
    // Only inside that node: the machine's docker is untouched.
    expect((await execa('sh', ['-c', 'command -v docker'])).exitCode).toBe(0);
  });

  it('makes a two-node Swarm over SSH: init on node 1, join on node 2 over the bridge', async () => {
    const manager = ssh(one);
    const init = await manager.run(['docker', 'swarm', 'init', '--advertise-addr', one.ip]);
    expect(init.stderr).toBe('');
    expect(init.exitCode).toBe(0);
    const token = await manager.run(['docker', 'swarm', 'join-token', '-q', 'worker']);
    const join = await ssh(two).run([
      'docker',
      'swarm',
      'join',
      '--token',
      token.stdout.trim(),
      `${one.ip}:2377`,
    ]);
    expect(join).toMatchObject({ exitCode: 0, stdout: 'This node joined a swarm as a worker.\n' });
    let ls = '';
    await waitFor(
      'both nodes Ready',
      async () => {
        const r = await manager.run([
          'docker',
          'node',
          'ls',
          '--format',
          '{{.Hostname}} {{.Status}}',
        ]);
        ls = r.stdout;
        return r.stdout.split('\n').filter((l) => l.endsWith(' Ready')).length === 2;
      },
      120_000,
    );
    expect(ls.trim().split('\n').sort()).toEqual([`${one.name} Ready`, `${two.name} Ready`]);
  });

  it('removes what it made when a start fails halfway', async () => {
    const before = await leftovers(bare!);
    // The second node's small disk cannot be mounted: the first node is up by then.
    await expect(startNodes([{ docker: false }, { docker: false, diskMb: -1 }])).rejects.toThrow(
      /mount/,
    );
    expect(await leftovers(bare!)).toEqual(before);
  });

  it('stops without leaving a namespace, bridge, rule, mount, user, sudoers file or process', async () => {
    const b = bare!;
    const ours = await execa('pgrep', ['-f', b.dir], { reject: false });
    const pids = ours.stdout.split('\n').filter(Boolean).map(Number);
    for (const n of [one, two])
      pids.push(Number(readFileSync(`${b.dir}/n${b.nodes.indexOf(n) + 1}/docker.pid`, 'utf8')));
    expect(pids.length).toBeGreaterThanOrEqual(6); // two dockerds, their containerds, four sshds
    await Promise.all(transports.splice(0).map((t) => t.close()));

    await b.stop();
    bare = undefined;

    for (const pid of pids) expect(processAlive(pid), `pid ${pid}`).toBe(false);
    expect((await execa('pgrep', ['-f', b.dir], { reject: false })).stdout).toBe('');
    const netns = (await execa('ip', ['netns', 'list'])).stdout;
    for (const n of b.nodes) {
      expect(netns).not.toContain(n.name);
      expect((await execa('id', [n.user], { reject: false })).exitCode).not.toBe(0);
      expect(existsSync(`/etc/sudoers.d/${n.name}`)).toBe(false);
      expect(existsSync(`/home/${n.user}`)).toBe(false);
    }
    expect(
      (await execa('ip', ['link', 'show', b.bridge.name], { reject: false })).exitCode,
    ).not.toBe(0);
    const rule = ['-C', 'FORWARD', '-i', b.bridge.name, '-o', b.bridge.name, '-j', 'ACCEPT'];
    expect((await execa('iptables', rule, { reject: false })).exitCode).not.toBe(0);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(b.dir);
    expect(existsSync(b.dir)).toBe(false);
    // A second stop finds nothing to do.
    await b.stop();
  }, 180_000);
});
