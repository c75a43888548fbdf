/**
 * A real Docker Swarm and a real sshd for the end-to-end tests and the benchmark.
 * Installs what is missing from Debian's packages (as root), starts its OWN dockerd
 * (own data root, exec root, socket and pidfile: it never touches another engine),
 * makes test images with `docker import`, and starts sshd on a free loopback port.
 */
import { execa, type ResultPromise } from 'execa';
import { processAlive } from '../../src/store/process-alive.js';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface Testbed {
  readonly dir: string;
  /** `unix:///.../docker.sock` of the test engine. */
  readonly dockerHost: string;
  readonly sshPort: number;
  readonly sshUser: string;
  readonly privateKeyFile: string;
  /** `SHA256:...` of the sshd host key. */
  readonly hostKeyFingerprint: string;
  /** A port where nothing listens (refused connections). */
  readonly closedPort: number;
  readonly images: { readonly v1: string; readonly v2: string };
  /**
   * The engine's own network namespace (`/var/run/netns/…`): its Swarm, bridges and
   * iptables chains never meet those of another engine on this machine. Whatever the
   * engine must reach over the network (a test registry) runs in it too: `inBedNet()`.
   */
  readonly netns: string;
}

/** The name of a test bed's network namespace, from its folder. */
export function bedNetns(dir: string): string {
  return `otto-bed-${basename(dir)
    .replace(/[^a-zA-Z0-9]/g, '')
    .slice(-10)}`;
}

/** argv that runs `argv` inside the test bed's network namespace. */
export function inBedNet(bed: Pick<Testbed, 'netns'>, argv: readonly string[]): string[] {
  return ['nsenter', `--net=${bed.netns}`, ...argv];
}

const PACKAGES: Record<string, string> = {
  '/usr/sbin/dockerd': 'docker.io',
  '/usr/sbin/sshd': 'openssh-server',
  '/usr/bin/ssh-keygen': 'openssh-client',
  '/bin/busybox': 'busybox-static',
  '/usr/bin/docker-registry': 'docker-registry',
  '/usr/bin/htpasswd': 'apache2-utils',
  '/usr/sbin/iptables': 'iptables',
  '/usr/bin/nsenter': 'util-linux',
  '/usr/bin/pgrep': 'procps', // to kill a test's own sshd and its sessions
  '/bin/ip': 'iproute2', // the two-node Swarm's namespaces and bridge
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Installs from Debian's packages what the test bed needs and is missing (as root):
 * `extra` adds files (and their packages) a helper needs on top, such as sudo.
 */
export async function ensurePackages(
  log: (m: string) => void,
  extra: Readonly<Record<string, string>> = {},
): Promise<void> {
  const missing = [
    ...new Set(
      Object.entries({ ...PACKAGES, ...extra })
        .filter(([f]) => !existsSync(f))
        .map(([, p]) => p),
    ),
  ];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `The Swarm test bed needs ${missing.join(', ')}; install them (apt-get install -y ${missing.join(' ')}) or run the tests as root.`,
    );
  }
  log(`testbed: installing ${missing.join(', ')} from Debian's packages...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['update', '-qq'], { env });
  await execa('apt-get', ['install', '-y', '-qq', ...missing, 'iproute2'], { env });
}

export async function waitFor(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`testbed: ${what} did not come up within ${timeoutMs / 1000} s`);
}

export function docker(bed: Pick<Testbed, 'dockerHost'>, args: string[], input?: string) {
  return execa('docker', ['-H', bed.dockerHost, ...args], { input: input ?? '', reject: false });
}

/** The image a service of the bed's Swarm runs, as its spec says (`otto-test:v2`). */
export async function serviceImage(bed: Pick<Testbed, 'dockerHost'>, service: string) {
  const r = await docker(bed, [
    'service',
    'inspect',
    service,
    '--format',
    '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
  ]);
  return r.stdout.trim();
}

/** Imports `otto-test:v1` and `otto-test:v2` (busybox, two index pages) into each engine. */
export async function makeImages(
  dir: string,
  dockerHosts: readonly string[],
): Promise<{ v1: string; v2: string }> {
  const root = join(dir, 'image');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'www'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  for (const applet of [
    'sh',
    'httpd',
    'wget',
    'sleep',
    'echo',
    'cat',
    'env',
    'true',
    'false',
    'ls',
    'printenv',
    // What the example fleet (examples/hello) runs, which tests launch on these images.
    'mkdir',
    'printf',
  ]) {
    symlinkSync('busybox', join(root, 'bin', applet));
  }
  const images = { v1: 'otto-test:v1', v2: 'otto-test:v2' };
  for (const [version, tag] of Object.entries(images)) {
    writeFileSync(join(root, 'www', 'index.html'), `otto test ${version}\n`);
    for (const host of dockerHosts) {
      const tar = execa('tar', ['-C', root, '-c', '.']);
      const imp = execa('docker', ['-H', host, 'import', '-', tag]);
      tar.stdout?.pipe(imp.stdin!);
      await Promise.all([tar, imp]);
    }
  }
  return images;
}

/** The SSH user of the test bed: a plain deploy user in the docker group, with /bin/sh. */
export const SSH_USER = 'otto-deploy';

async function ensureUser(): Promise<void> {
  if ((await execa('id', [SSH_USER], { reject: false })).exitCode !== 0) {
    await execa('useradd', ['--create-home', '--shell', '/bin/sh', '--groups', 'docker', SSH_USER]);
  }
  // '*': no password, but not locked (sshd without PAM refuses locked accounts).
  await execa('usermod', ['--password', '*', SSH_USER]);
}

/** An sshd of its own (port, host key, client key, pid file in `dir`), for tests that kill it. */
export interface Sshd {
  readonly port: number;
  readonly fingerprint: string;
  /** The client's private key file. */
  readonly key: string;
  kill(): Promise<void>;
  /** Starts it again on the same port with the same keys. */
  restart(): Promise<void>;
}

/** Waits until something accepts TCP connections on `host:port`. */
export const listening = (port: number, host = '127.0.0.1', timeoutMs = 10_000) =>
  waitFor(
    `sshd on ${host}:${port}`,
    async () => {
      const { createConnection } = await import('node:net');
      return new Promise<boolean>((res) => {
        const s = createConnection(port, host, () => {
          s.end();
          res(true);
        });
        s.on('error', () => res(false));
      });
    },
    timeoutMs,
  );

/** SIGKILL to a process and all its descendants, children first stopped with it. */
export async function killTree(pid: number): Promise<void> {
  const children = (await execa('pgrep', ['-P', String(pid)], { reject: false })).stdout
    .split('\n')
    .filter(Boolean)
    .map(Number);
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    return;
  }
  for (const c of children) await killTree(c);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** What a test sshd in `dir` is made of: its host key, a client key and its config. */
export interface SshdFiles {
  readonly hostKey: string;
  /** The client's private key file (its `.pub` is the only authorized key). */
  readonly clientKey: string;
  readonly config: string;
  readonly pidFile: string;
}

/**
 * Generates a host key and a client key in `dir` and writes an sshd_config that
 * listens on `listen`:`port`, accepts only that client key, and adds `extra` lines
 * (`SetEnv …`, `AllowUsers …`). Shared by the main bed's sshd and the bare nodes'.
 */
export async function writeSshdFiles(
  dir: string,
  listen: string,
  port: number,
  extra: readonly string[] = [],
): Promise<SshdFiles> {
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKey = join(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const config = join(dir, 'sshd_config');
  const pidFile = join(dir, 'sshd.pid');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${listen}`,
      `HostKey ${hostKey}`,
      `PidFile ${pidFile}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'MaxSessions 10',
      ...extra,
      '',
    ].join('\n'),
  );
  return { hostKey, clientKey, config, pidFile };
}

export async function startSshd(dir: string): Promise<Sshd> {
  mkdirSync('/run/sshd', { recursive: true });
  await ensureUser();
  const port = await freePort();
  const { hostKey, clientKey, config: cfg } = await writeSshdFiles(dir, '127.0.0.1', port);
  let daemon: ResultPromise | undefined;
  const run = async () => {
    daemon = execa('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], {
      reject: false,
      detached: true,
      stdio: 'ignore',
    });
    daemon.unref();
    await listening(port);
  };
  await run();
  const fp = (await execa('ssh-keygen', ['-l', '-f', `${hostKey}.pub`])).stdout.split(' ')[1] ?? '';
  return {
    port,
    fingerprint: fp,
    key: clientKey,
    async kill() {
      // The listener and every session it forked (only this sshd's): an outpost whose SSH died.
      const pid = daemon?.pid;
      if (pid) await killTree(pid);
      await daemon;
    },
    restart: run,
  };
}

/** Starts the whole test bed. Takes ~15 s on a warm machine (a minute more to install packages). */
export async function startTestbed(log: (m: string) => void = console.error): Promise<Testbed> {
  await ensurePackages(log);
  const dir = mkdtempSync(join(tmpdir(), 'otto-testbed-'));
  chmodSync(dir, 0o755); // the SSH user reaches the engine's socket through it
  try {
    return await startIn(dir);
  } catch (e) {
    await stopTestbed({ dir });
    throw e;
  }
}

async function startIn(dir: string): Promise<Testbed> {
  const sock = join(dir, 'docker.sock');
  const dockerHost = `unix://${sock}`;
  // A network namespace of its own (only loopback in it): a developer's engine on this
  // machine keeps its docker_gwbridge and iptables chains, and the test engine its own.
  const ns = bedNetns(dir);
  await execa('ip', ['netns', 'add', ns]);
  await execa('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  const netns = `/var/run/netns/${ns}`;
  // nsenter, not `ip netns exec`: that remounts /sys and dockerd then fails.
  const dockerd = execa(
    'nsenter',
    [
      `--net=${netns}`,
      '/usr/sbin/dockerd',
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '-H',
      dockerHost,
      '--pidfile',
      join(dir, 'docker.pid'),
      '--bridge',
      'none',
      '--cgroup-parent',
      cgroupParent(dir),
    ],
    {
      reject: false,
      detached: true,
      stdout: { file: join(dir, 'dockerd.log') },
      stderr: { file: join(dir, 'dockerd.err.log') },
      stdin: 'ignore',
    },
  );
  dockerd.unref();
  await waitFor(
    'dockerd',
    async () =>
      (await docker({ dockerHost }, ['info', '--format', '{{.ServerVersion}}'])).exitCode === 0,
    60_000,
  );
  // Own ports for the Swarm API and the data path, so another Swarm on this
  // machine (a developer's, or a second test bed) does not collide with ours.
  const swarmAddr = `127.0.0.1:${await freePort()}`;
  const init = await docker({ dockerHost }, [
    'swarm',
    'init',
    '--advertise-addr',
    swarmAddr,
    '--listen-addr',
    swarmAddr,
    '--data-path-port',
    String(await freePort()),
  ]);
  if (init.exitCode !== 0) throw new Error(`testbed: swarm init failed: ${init.stderr}`);
  await docker({ dockerHost }, [
    'network',
    'create',
    '--driver',
    'overlay',
    '--attachable',
    'traefik-public',
  ]);
  const images = await makeImages(dir, [dockerHost]);
  const ssh = await startSshd(dir);
  return {
    dir,
    dockerHost,
    sshPort: ssh.port,
    sshUser: SSH_USER,
    privateKeyFile: ssh.key,
    hostKeyFingerprint: ssh.fingerprint,
    closedPort: await freePort(),
    images,
    netns,
  };
}

/** The cgroup parent of an engine's containers: named after its folder, so they can be found. */
export function cgroupParent(dir: string): string {
  return `/${basename(dir)}`;
}

/**
 * Removes whatever an engine left behind in `dir` after it stopped (or was killed):
 * processes started from it (containerd, shims), containers in its cgroup parent,
 * mounts (network namespaces, overlays) and the folder. Never fails the run.
 */
export async function sweep(
  dir: string,
  cgroups: readonly string[] = [cgroupParent(dir)],
): Promise<void> {
  await execa('pkill', ['-KILL', '-f', dir], { reject: false });
  for (const parent of cgroups) {
    for (const root of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup']) {
      const procs = await execa('find', [join(root, parent), '-name', 'cgroup.procs'], {
        reject: false,
      });
      for (const file of procs.stdout.split('\n').filter(Boolean)) {
        for (const pid of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
  }
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    console.warn(`testbed: could not remove ${dir}: ${(e as Error).message}`);
  }
}

function killPidFile(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    process.kill(pid, 'SIGTERM');
    return pid;
  } catch {
    return undefined;
  }
}

/** SIGTERM to the dockerd of a pidfile, SIGKILL if it has not stopped within 30 s. */
export async function stopDockerd(pidFile: string): Promise<void> {
  const pid = killPidFile(pidFile);
  if (!pid) return;
  await waitFor('dockerd shutdown', async () => !processAlive(pid), 30_000).catch(() =>
    process.kill(pid, 'SIGKILL'),
  );
}

/** Stops what startTestbed started, and only that. */
export async function stopTestbed(bed: Pick<Testbed, 'dir'>): Promise<void> {
  killPidFile(join(bed.dir, 'sshd.pid'));
  await stopDockerd(join(bed.dir, 'docker.pid'));
  await sweep(bed.dir);
  await execa('ip', ['netns', 'del', bedNetns(bed.dir)], { reject: false });
}
