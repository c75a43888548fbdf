/**
 * Bare "servers" on one machine, for the outpost tests: each node is a network
 * namespace (and a UTS namespace, so its own hostname) on a bridge this helper
 * creates on a private 10.213.x.0/24 subnet, with its own sshd on `<ip>:22` and,
 * unless asked otherwise, its own dockerd (own data root, exec root, socket, pidfile
 * and cgroup parent) that is NOT in a Swarm. Nothing but these addresses is ever a
 * target. The pieces (bridge, namespace, engine) are shared with `outposts.ts`.
 *
 * The namespaces share the machine's filesystem: users, home folders and
 * /etc/sudoers.d are the machine's. So every node gets a user of its own and a
 * sudoers entry scoped to that user, both removed by `stop()`.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../src/store/process-alive.js';
import { fingerprint } from '../../src/transport/ssh-transport.js';
import {
  docker,
  ensurePackages,
  killTree,
  listening,
  stopDockerd,
  sweep,
  waitFor,
  writeSshdFiles,
} from './testbed.js';

/** Undo steps of a bed being built, run last-first; each may fail without stopping the rest. */
export class Cleanups {
  private readonly steps: (() => Promise<unknown>)[] = [];

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** Runs every step once (a second call finds none left). */
  async run(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      await step().catch(() => undefined);
    }
  }
}

async function sh(cmd: string, args: readonly string[]): Promise<void> {
  await execa(cmd, args);
}

/** A bridge in the root namespace, `<subnet>.1/24` on it. */
export interface Bridge {
  readonly name: string;
  /** The first three octets: `10.213.42`. */
  readonly subnet: string;
}

/** Creates the bridge of bed `id` and lets it forward to itself (Docker's FORWARD policy is DROP). */
export async function makeBridge(id: string, cleanups: Cleanups): Promise<Bridge> {
  const name = `ottobr${id}`;
  const subnet = `10.213.${16 + (parseInt(id, 16) % 200)}`;
  await sh('ip', ['link', 'add', name, 'type', 'bridge']);
  cleanups.add(() => execa('ip', ['link', 'del', name]));
  await sh('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', name]);
  await sh('ip', ['link', 'set', name, 'up']);
  const rule = ['FORWARD', '-i', name, '-o', name, '-j', 'ACCEPT'];
  await sh('iptables', ['-I', ...rule]);
  cleanups.add(() => execa('iptables', ['-D', ...rule]));
  return { name, subnet };
}

/** A network namespace plugged into a bridge by a veth pair. */
export interface Netns {
  readonly name: string;
  /** `/var/run/netns/<name>`, for `nsenter --net=`. */
  readonly path: string;
  readonly ip: string;
  /** The pair's end on the bridge's side: down = the node is cut off. */
  readonly veth: string;
}

/** Adds namespace `name` with address `<subnet>.<n + 1>`, through veth `ov<id><n>`. */
export async function addNetns(
  name: string,
  id: string,
  n: number,
  bridge: Bridge,
  cleanups: Cleanups,
): Promise<Netns> {
  const veth = `ov${id}${n}`;
  const ip = `${bridge.subnet}.${n + 1}`;
  await sh('ip', ['netns', 'add', name]);
  cleanups.add(() => execa('ip', ['netns', 'del', name]));
  await sh('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`]);
  // Gone with the namespace, unless a step fails before the pair is in it.
  cleanups.add(() => execa('ip', ['link', 'del', veth]));
  await sh('ip', ['link', 'set', `${veth}p`, 'netns', name]);
  await sh('ip', ['link', 'set', veth, 'master', bridge.name]);
  await sh('ip', ['link', 'set', veth, 'up']);
  const inNs = (args: string[]) => sh('ip', ['netns', 'exec', name, 'ip', ...args]);
  await inNs(['addr', 'add', `${ip}/24`, 'dev', `${veth}p`]);
  await inNs(['link', 'set', `${veth}p`, 'up']);
  await inNs(['link', 'set', 'lo', 'up']);
  return { name, path: `/var/run/netns/${name}`, ip, veth };
}

/** Where an engine keeps its state; every path its own. */
export interface EngineFiles {
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly pidFile: string;
  /** `unix:///…/docker.sock`. */
  readonly dockerHost: string;
  readonly cgroupParent: string;
}

/**
 * Starts a dockerd in a network namespace (and a UTS namespace, when given, for a
 * hostname of its own) without waiting for it; `stop` stops it. nsenter, not
 * `ip netns exec`: that remounts /sys and dockerd then fails.
 */
export function startEngine(
  netns: string,
  files: EngineFiles,
  cleanups: Cleanups,
  options: { readonly uts?: string; readonly logFile?: string } = {},
): void {
  const d = execa(
    'nsenter',
    [
      `--net=${netns}`,
      ...(options.uts ? [`--uts=${options.uts}`] : []),
      '/usr/sbin/dockerd',
      ...['--data-root', files.dataRoot, '--exec-root', files.execRoot],
      ...['--pidfile', files.pidFile, '-H', files.dockerHost],
      ...['--cgroup-parent', files.cgroupParent, '--bridge', 'none'],
    ],
    options.logFile
      ? {
          reject: false,
          detached: true,
          stdin: 'ignore',
          stdout: 'ignore',
          stderr: { file: options.logFile },
        }
      : { reject: false, detached: true, stdio: 'ignore' },
  );
  d.unref();
  cleanups.add(() => stopDockerd(files.pidFile));
}

/** Waits until an engine answers (a minute: a busy 2-core machine starts several at once). */
export function engineUp(dockerHost: string): Promise<void> {
  return waitFor(
    `dockerd at ${dockerHost} answers`,
    async () => (await docker({ dockerHost }, ['info'])).exitCode === 0,
    90_000,
  );
}

/**
 * How a node's user may use sudo: `nopasswd` (any command, no password), `password`
 * (any command, but a password is asked, which the user has none of), `none` (no
 * sudoers entry). With `sudo -n true`, `password` and `none` both answer
 * "sudo: a password is required" (exit 1).
 */
export type SudoMode = 'nopasswd' | 'password' | 'none';

/**
 * Docker on a node: `true`, an engine of its own; `false`, no engine (the machine's
 * docker CLI is still on PATH, and DOCKER_HOST points at a socket nobody serves:
 * "Cannot connect to the Docker daemon"); `'absent'`, no engine and no docker
 * binaries at all in SSH sessions (sshd runs in a mount namespace of its own in
 * which `docker` and `dockerd` are hidden: `command -v docker` fails).
 */
export type DockerMode = boolean | 'absent';

export interface NodeOptions {
  /** Default `nopasswd`. */
  readonly sudo?: SudoMode;
  /** Default `true`. */
  readonly docker?: DockerMode;
  /** A small filesystem (a tmpfs of this many MiB) as the node's Docker data root. */
  readonly diskMb?: number;
}

/** One bare node, as a test reaches it. */
export interface TestNode {
  /** The node's name: its namespace, hostname, user and sudoers file are named after it. */
  readonly name: string;
  readonly ip: string;
  readonly sshPort: number;
  readonly user: string;
  /** The login user's private key file. */
  readonly keyFile: string;
  /** `SHA256:…` of sshd's host key, as Otto's `fingerprint()` computes it. */
  readonly hostFingerprint: string;
  /** `unix:///…/docker.sock`; with `docker: false` or `'absent'`, a socket nobody serves. */
  readonly dockerHost: string;
  /** The engine's data root (the small filesystem with `diskMb`). */
  readonly dataRoot: string;
  /** `/var/run/netns/<name>`. */
  readonly netns: string;
  readonly sudo: SudoMode;
  readonly dockerMode: DockerMode;
  /** Runs the docker CLI against this node's engine, from the machine (not over SSH). */
  docker(args: string[], input?: string): ReturnType<typeof docker>;
  /** Cuts the node off the bridge (its link goes down), and plugs it back. */
  unplug(): Promise<void>;
  plug(): Promise<void>;
  /**
   * Closes a TCP port of this node to new connections (a firewall rule in its
   * namespace: a SYN is answered with a reset, so a probe fails at once; connections
   * already made stay up). Gone with `unblockPort`, or with the namespace on `stop()`.
   */
  blockPort(port: number): Promise<void>;
  unblockPort(port: number): Promise<void>;
  /** sshd's log (its `-e` output): logins show as `Accepted publickey for <user>`. */
  readonly sshdLog: string;
}

export interface Nodes {
  /** The folder everything of these nodes lives in. */
  readonly dir: string;
  readonly bridge: Bridge;
  readonly nodes: readonly TestNode[];
  /** Removes everything: processes, mounts, users, sudoers files, namespaces, bridge, rules. */
  stop(): Promise<void>;
}

/** The files, mostly, that `docker: 'absent'` hides in a node's SSH sessions. */
const DOCKER_BINARIES = ['/usr/local/bin/docker', '/usr/bin/docker', '/usr/sbin/dockerd'];

/**
 * Starts one bare node per entry of `options` (nodes 1, 2, … at `<subnet>.2`, `.3`, …).
 * Takes about 10 s per node with an engine on a busy machine. On any failure,
 * whatever was made is removed before the error is thrown.
 *
 * @example
 * const bed = await startNodes([{}, { sudo: 'password', diskMb: 64 }]);
 * const [one, two] = bed.nodes;
 * await bed.stop();
 */
export async function startNodes(
  options: readonly NodeOptions[],
  log: (m: string) => void = console.error,
): Promise<Nodes> {
  await ensurePackages(log, { '/usr/bin/sudo': 'sudo', '/usr/bin/unshare': 'util-linux' });
  const id = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'otto-nodes-'));
  chmodSync(dir, 0o755); // each node's user reaches its engine's socket through it
  const cleanups = new Cleanups();
  const names = options.map((_, i) => `otto-${id}-${i + 1}`);
  const stop = async () => {
    await cleanups.run();
    await sweep(
      dir,
      names.map((n) => `/docker-${n}`),
    );
  };
  try {
    mkdirSync('/run/sshd', { recursive: true });
    const bridge = await makeBridge(id, cleanups);
    const nodes: TestNode[] = [];
    const ready: Promise<void>[] = [];
    for (const [i, o] of options.entries()) {
      const node = await startNode(names[i]!, id, i + 1, bridge, dir, o, cleanups);
      nodes.push(node.node);
      // Handled now: a node that fails later must not leave an earlier wait unheard.
      for (const r of node.ready) r.catch(() => undefined);
      ready.push(...node.ready);
    }
    await Promise.all(ready);
    return { dir, bridge, nodes, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function startNode(
  name: string,
  id: string,
  n: number,
  bridge: Bridge,
  bedDir: string,
  o: NodeOptions,
  cleanups: Cleanups,
): Promise<{ node: TestNode; ready: Promise<void>[] }> {
  const sudo = o.sudo ?? 'nopasswd';
  const dockerMode = o.docker ?? true;
  const dir = join(bedDir, `n${n}`);
  mkdirSync(dir, { mode: 0o755 });
  const netns = await addNetns(name, id, n, bridge, cleanups);

  // A hostname of its own, so `docker node ls` and the sessions tell the nodes apart.
  const uts = join(dir, 'uts');
  writeFileSync(uts, '');
  await sh('unshare', [`--uts=${uts}`, 'hostname', name]);
  cleanups.add(() => execa('umount', [uts]));

  const files: EngineFiles = {
    dataRoot: join(dir, 'data'),
    execRoot: join(dir, 'exec'),
    pidFile: join(dir, 'docker.pid'),
    dockerHost: `unix://${join(dir, 'docker.sock')}`,
    cgroupParent: `/docker-${name}`,
  };
  if (o.diskMb !== undefined) {
    mkdirSync(files.dataRoot, { mode: 0o711 });
    await sh('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=${o.diskMb}m,mode=0711`,
      `otto-disk-${name}`,
      files.dataRoot,
    ]);
    cleanups.add(() => execa('umount', ['-l', files.dataRoot]));
  }
  const ready: Promise<void>[] = [];
  if (dockerMode === true) {
    startEngine(netns.path, files, cleanups, { uts, logFile: join(dir, 'dockerd.log') });
    ready.push(engineUp(files.dockerHost));
  }

  // A login user of its own ('*': no password, but not locked: sshd without PAM
  // refuses locked accounts), in the docker group where there is an engine.
  await sh('useradd', [
    '--create-home',
    '--shell',
    '/bin/sh',
    ...(dockerMode === true ? ['--groups', 'docker'] : []),
    name,
  ]);
  cleanups.add(() => execa('userdel', ['--force', '--remove', name]));
  await sh('usermod', ['--password', '*', name]);
  if (sudo !== 'none') {
    // No dot in the name: sudo skips files in /etc/sudoers.d whose names have one.
    const file = `/etc/sudoers.d/${name}`;
    mkdirSync('/etc/sudoers.d', { recursive: true, mode: 0o750 });
    // sudo resets the environment: keep DOCKER_HOST, or `sudo docker …` would talk to
    // /var/run/docker.sock (the machine's, not this node's engine).
    writeFileSync(
      file,
      `Defaults:${name} env_keep += "DOCKER_HOST"\n` +
        `${name} ALL=(ALL:ALL) ${sudo === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL\n`,
      { mode: 0o440 },
    );
    cleanups.add(() => execa('rm', ['-f', file]));
    await sh('visudo', ['-c', '-q', '-f', file]);
  }

  const ssh = await writeSshdFiles(dir, netns.ip, 22, [
    `AllowUsers ${name}`,
    `SetEnv DOCKER_HOST=${files.dockerHost}`,
  ]);
  // sshd (and so every session) runs in a mount namespace of its own, where
  // /etc/hosts also names the node (sudo warns "unable to resolve host" otherwise)
  // and, with docker 'absent', the docker binaries are hidden behind /dev/null.
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, `${readFileSync('/etc/hosts', 'utf8')}\n127.0.1.1\t${name}\n`);
  const hidden = dockerMode === 'absent' ? DOCKER_BINARIES.filter((f) => existsSync(f)) : [];
  const argv = [
    ...['nsenter', `--net=${netns.path}`, `--uts=${uts}`],
    ...['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c'],
    'cfg=$1; mount --bind "$2" /etc/hosts || exit 1; shift 2; ' +
      'for f in "$@"; do mount --bind /dev/null "$f" || exit 1; done; ' +
      'exec /usr/sbin/sshd -D -e -f "$cfg"',
    ...['sh', ssh.config, hosts, ...hidden],
  ];
  const sshd = execa(argv[0]!, argv.slice(1), {
    reject: false,
    detached: true,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: { file: join(dir, 'sshd.log') },
  });
  sshd.unref();
  // The listener and every session it forked (only this node's).
  // (Not `await sshd`: an unref'd child's end does not keep Node's loop alive.)
  cleanups.add(async () => {
    const pid = sshd.pid;
    if (!pid) return;
    await killTree(pid);
    await waitFor(`sshd of ${name} ends`, async () => !processAlive(pid), 10_000);
  });
  ready.push(listening(22, netns.ip, 30_000));

  const pub = readFileSync(`${ssh.hostKey}.pub`, 'utf8').split(' ')[1] ?? '';
  const portRule = (op: '-I' | '-D', port: number) => [
    ...['netns', 'exec', netns.name, 'iptables', op, 'INPUT', '-p', 'tcp', '--syn'],
    ...['--dport', String(port), '-j', 'REJECT', '--reject-with', 'tcp-reset'],
  ];
  const blocked = new Set<number>();
  const node: TestNode = {
    name,
    ip: netns.ip,
    sshPort: 22,
    user: name,
    keyFile: ssh.clientKey,
    hostFingerprint: fingerprint(Buffer.from(pub, 'base64')),
    dockerHost: files.dockerHost,
    dataRoot: files.dataRoot,
    netns: netns.path,
    sudo,
    dockerMode,
    docker: (args, input) => docker({ dockerHost: files.dockerHost }, args, input),
    unplug: () => sh('ip', ['link', 'set', netns.veth, 'down']),
    plug: () => sh('ip', ['link', 'set', netns.veth, 'up']),
    async blockPort(port) {
      if (blocked.has(port)) return;
      await sh('ip', portRule('-I', port));
      blocked.add(port);
      cleanups.add(async () => {
        if (blocked.delete(port)) await execa('ip', portRule('-D', port));
      });
    },
    async unblockPort(port) {
      if (!blocked.delete(port)) return;
      await sh('ip', portRule('-D', port));
    },
    sshdLog: join(dir, 'sshd.log'),
  };
  return { node, ready };
}
