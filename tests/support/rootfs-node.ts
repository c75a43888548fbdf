/**
 * A bare Debian server on this machine, for the one test that installs Docker for
 * real: a Debian bookworm root filesystem made with `debootstrap` from Debian's
 * packages (minbase, plus what an SSH server and sudo need; no Docker), run in
 * namespaces of its own: a network namespace on a bridge of its own (the pieces of
 * `nodes.ts`), and mount, UTS and PID namespaces in which the root filesystem is the
 * root (pivot_root) with /proc, /sys, the machine's cgroup hierarchies, a fresh
 * /dev, /dev/pts and /run, and its own sshd as PID 1 on `<ip>:22`. A login user
 * with a key of its own and passwordless sudo; no dockerd, no systemd.
 *
 * The root filesystem is made once and kept as a tar (ROOTFS_CACHE, about 45 s to
 * make); each node unpacks a fresh copy into a folder of its own (a few seconds).
 *
 * The node has no route out: apt reaches Debian's mirror through an HTTP proxy the
 * test process runs on the bridge's address (`Acquire::http::Proxy` in the node's
 * apt configuration), which forwards requests for the mirror's host only.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { processAlive } from '../../src/store/process-alive.js';
import { fingerprint } from '../../src/transport/ssh-transport.js';
import { addNetns, Cleanups, makeBridge } from './nodes.js';
import { ensurePackages, listening, waitFor } from './testbed.js';

/** The cached root filesystem (a tar); `OTTO_ROOTFS_CACHE` moves it. */
export const ROOTFS_CACHE =
  process.env['OTTO_ROOTFS_CACHE'] ?? '/var/cache/otto-test/bookworm-rootfs.tar';

/** What the bare server has besides Debian's minbase: an SSH server, sudo, the tools dockerd needs. */
export const ROOTFS_PACKAGES = [
  'openssh-server',
  'sudo',
  'ca-certificates',
  'iproute2',
  'iptables',
  'procps',
  'kmod',
] as const;

const SUITE = 'bookworm';

/** Debian's mirror, as this machine's apt sources name it (deb.debian.org otherwise). */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list'];
  if (existsSync('/etc/apt/sources.list.d'))
    for (const f of readdirSync('/etc/apt/sources.list.d'))
      if (/\.(list|sources)$/.test(f)) files.push(join('/etc/apt/sources.list.d', f));
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m =
      /^URIs:\s*(http:\/\/\S+\/debian)\/?\s*$/m.exec(text) ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(http:\/\/\S+\/debian)\/?\s+\S+/m.exec(text);
    if (m?.[1]) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

/**
 * Makes the root filesystem's tar when it is missing (debootstrap, about a minute;
 * more on a slow mirror), and returns its path.
 */
export function ensureRootfsCache(log: (m: string) => void = console.error): Promise<string> {
  return ensureDebootstrapTar(ROOTFS_CACHE, ROOTFS_PACKAGES, log);
}

/**
 * A Debian bookworm minbase root filesystem with `include` packages, made with
 * debootstrap from Debian's packages when `cache` (a tar) is missing, and returns
 * `cache`. The tar appears at once (renamed into place), so a run that stops
 * half-way leaves no broken cache. Downloaded packages, apt's indexes and SSH host
 * keys are left out.
 */
export async function ensureDebootstrapTar(
  cache: string,
  include: readonly string[],
  log: (m: string) => void = console.error,
): Promise<string> {
  if (existsSync(cache)) return cache;
  await ensurePackages(log, { '/usr/sbin/debootstrap': 'debootstrap' });
  mkdirSync(dirname(cache), { recursive: true });
  const build = mkdtempSync(`${cache}.build-`);
  const root = join(build, 'root');
  const mirror = debianMirror();
  try {
    log(`rootfs: debootstrap ${SUITE} from ${mirror} into ${root} (once; cached as ${cache})...`);
    const r = await execa(
      'debootstrap',
      [
        '--variant=minbase',
        ...(include.length ? [`--include=${include.join(',')}`] : []),
        SUITE,
        root,
        mirror,
      ],
      { reject: false, all: true, timeout: 20 * 60_000 },
    );
    if (r.exitCode !== 0)
      throw new Error(
        `rootfs: debootstrap failed (exit ${r.exitCode}):\n${String(r.all).split('\n').slice(-30).join('\n')}`,
      );
    // Nothing a node or an image should share: downloaded packages, indexes, host keys.
    await execa('sh', [
      '-c',
      'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/* "$1"/etc/ssh/ssh_host_*',
      'sh',
      root,
    ]);
    const tmp = join(build, 'rootfs.tar');
    await execa('tar', ['--numeric-owner', '-C', root, '-cf', tmp, '.']);
    renameSync(tmp, cache);
    return cache;
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}

/**
 * Whether this process may raise a hard resource limit (CAP_SYS_RESOURCE, bit 24 of
 * CapEff). Some sandboxes give root every capability but this one.
 */
export function canRaiseLimits(): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? (BigInt(`0x${m[1]}`) & (1n << 24n)) !== 0n : true;
}

/**
 * A hook every Debian init script reads (through /lib/lsb/init-functions): a
 * `ulimit` that goes on when raising a limit is refused. Only where root lacks
 * CAP_SYS_RESOURCE: there, docker.io's init script stops at `ulimit -n 1048576`
 * ("ulimit: error setting limit (Operation not permitted)", exit 2, under set -e).
 */
export const ULIMIT_HOOK = '/usr/lib/lsb/init-functions.d/00-otto-test-ulimit';

const ULIMIT_HOOK_TEXT = `# Otto's test node: this machine gives root no CAP_SYS_RESOURCE, so raising a hard
# limit is refused; go on with the limit there is (a real server has the capability).
ulimit() {
  command ulimit "$@" 2>/dev/null || echo "ulimit $*: refused on this test machine (no CAP_SYS_RESOURCE)" >&2
  return 0
}
`;

/** A bare Debian server, as a test reaches it. */
export interface RootfsNode {
  readonly name: string;
  readonly ip: string;
  /** The node's network namespace (`/var/run/netns/…`): `inBedNet` runs a process in it. */
  readonly netns: string;
  readonly sshPort: number;
  /** A login user with passwordless sudo, not in any docker group. */
  readonly user: string;
  /** The user's private key file (on this machine). */
  readonly keyFile: string;
  /** `SHA256:…` of the node's sshd host key, as Otto's `fingerprint()` computes it. */
  readonly hostFingerprint: string;
  /** The node's root filesystem, as this machine sees it. */
  readonly root: string;
  /** What the node's namespaces printed (sshd's `-e` log, the setup's errors). */
  readonly logFile: string;
  /** Whether the node has {@link ULIMIT_HOOK} (this machine lacks CAP_SYS_RESOURCE). */
  readonly ulimitHook: boolean;
  /** The HTTP requests apt made through the proxy: `GET <url> <status>`. */
  readonly proxied: readonly string[];
  /** Makes the proxy answer 503 to every request (`true`) or forward again (`false`). */
  setMirrorDown(down: boolean): void;
  /** Runs `argv` inside the node (its namespaces and root, as root), from this machine. */
  exec(argv: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Ends every process of the node and removes its namespaces, bridge, rules and files. */
  stop(): Promise<void>;
}

/**
 * What runs in the node's new mount, UTS and PID namespaces (as PID 1, then sshd
 * as PID 1): the root filesystem `$1` becomes the root, with the kernel's file
 * systems mounted in it. All mounts are private to the namespace: they go when
 * its last process does.
 */
const INIT = String.raw`
set -eu
R=$1
hostname "$2"
mount --bind "$R" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup"
mount -t tmpfs -o mode=0755,nosuid tmpfs "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
mknod -m 666 "$R/dev/zero" c 1 5
mknod -m 666 "$R/dev/full" c 1 7
mknod -m 666 "$R/dev/random" c 1 8
mknod -m 666 "$R/dev/urandom" c 1 9
mknod -m 666 "$R/dev/tty" c 5 0
mkdir "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
mount -t mqueue mqueue "$R/dev/mqueue"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$R/run"
mkdir -p "$R/run/sshd" "$R/run/lock"
chmod 1777 "$R/run/lock"
mkdir -p "$R/.oldroot"
cd "$R"
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
exec /usr/sbin/sshd -D -e
`;

/**
 * An HTTP proxy on `host` for apt: forwards requests whose URL's host is `allowed`
 * (the mirror's), refuses others (403), and answers 503 for everything while
 * `down()` says the mirror is down. `log` gets `GET <url> <status>` per request.
 */
async function aptProxy(
  host: string,
  allowed: string,
  log: (line: string) => void,
  down: () => boolean,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (down()) {
      log(`${req.method} ${req.url} 503`);
      res.writeHead(503).end('the mirror is down (test)\n');
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (url.protocol !== 'http:' || url.host !== allowed) {
      log(`${req.method} ${req.url} 403`);
      res.writeHead(403).end('only the Debian mirror\n');
      return;
    }
    const headers: Record<string, string | string[] | undefined> = {
      ...req.headers,
      host: url.host,
    };
    delete headers['proxy-connection'];
    const up = request(url, { method: req.method, headers }, (answer) => {
      log(`${req.method} ${url.href} ${answer.statusCode}`);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.setTimeout(120_000, () => up.destroy(new Error('mirror timed out')));
    up.on('error', (e) => {
      log(`${req.method} ${url.href} 502 ${e.message}`);
      if (!res.headersSent) res.writeHead(502).end(`${e.message}\n`);
      else res.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

/**
 * Starts one bare Debian server (about 5–10 s once the root filesystem's tar
 * exists; see {@link ensureRootfsCache}). On any failure, whatever was made is
 * removed before the error is thrown.
 *
 * @example
 * const node = await startRootfsNode();
 * await node.exec(['dpkg-query', '-W', 'docker.io']); // exit 1: not installed
 * await node.stop();
 */
export async function startRootfsNode(
  log: (m: string) => void = console.error,
): Promise<RootfsNode> {
  await ensurePackages(log, {
    '/usr/bin/unshare': 'util-linux',
    '/usr/sbin/pivot_root': 'util-linux',
  });
  const tar = await ensureRootfsCache(log);
  const id = randomBytes(3).toString('hex');
  const name = `otto-${id}-deb`;
  const dir = mkdtempSync(join(tmpdir(), 'otto-rootfs-'));
  const root = join(dir, 'root');
  const logFile = join(dir, 'node.log');
  const cleanups = new Cleanups();
  cleanups.add(async () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  const proxied: string[] = [];
  let mirrorDown = false;
  let unsharePid: number | undefined;
  let initPid: number | undefined;

  const stop = async () => {
    // unshare --kill-child: its end is SIGKILL for the namespace's PID 1, and the
    // end of PID 1 ends every process of the namespace (sshd, sessions, dockerd).
    if (unsharePid) {
      try {
        process.kill(unsharePid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (initPid) {
      const pid = initPid;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await waitFor(`the node's PID 1 (${pid}) ends`, async () => !processAlive(pid), 30_000);
    }
    unsharePid = initPid = undefined;
    await cleanups.run();
  };

  try {
    mkdirSync(root, { mode: 0o755 });
    chmodSync(dir, 0o755);
    await execa('tar', ['--numeric-owner', '-C', root, '-xf', tar]);
    const bridge = await makeBridge(id, cleanups);
    const netns = await addNetns(name, id, 1, bridge, cleanups);

    const mirror = new URL(debianMirror());
    const proxy = await aptProxy(
      `${bridge.subnet}.1`,
      mirror.host,
      (l) => proxied.push(l),
      () => mirrorDown,
    );
    cleanups.add(() => new Promise<void>((resolve) => proxy.server.close(() => resolve())));
    cleanups.add(async () => proxy.server.closeAllConnections());

    // The server's own files: name, hosts, apt's proxy, sshd's host key and settings.
    const etc = join(root, 'etc');
    writeFileSync(join(etc, 'hostname'), `${name}\n`);
    writeFileSync(
      join(etc, 'hosts'),
      `127.0.0.1\tlocalhost\n127.0.1.1\t${name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    );
    writeFileSync(join(etc, 'resolv.conf'), `nameserver ${bridge.subnet}.1\n`);
    writeFileSync(
      join(etc, 'apt', 'sources.list'),
      `deb ${mirror.href.replace(/\/$/, '')} ${SUITE} main\n`,
    );
    writeFileSync(
      join(etc, 'apt', 'apt.conf.d', '01otto-proxy'),
      `Acquire::http::Proxy "http://${bridge.subnet}.1:${proxy.port}/";\n`,
    );
    const hostKey = join(etc, 'ssh', 'ssh_host_ed25519_key');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    writeFileSync(
      join(etc, 'ssh', 'sshd_config.d', 'otto.conf'),
      [
        `ListenAddress ${netns.ip}:22`,
        `HostKey /etc/ssh/ssh_host_ed25519_key`,
        // No PAM in sshd (pam_loginuid wants an audit login uid a PID namespace does
        // not give): the user's password is '*', not locked, so sshd lets it in.
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin no',
        'MaxSessions 20',
        '',
      ].join('\n'),
    );

    const ulimitHook = !canRaiseLimits();
    if (ulimitHook) writeFileSync(join(root, ULIMIT_HOOK), ULIMIT_HOOK_TEXT, { mode: 0o644 });

    // The login user: a key of its own, passwordless sudo.
    const user = 'deploy';
    const inRoot = (args: string[]) => execa('chroot', [root, ...args]);
    await inRoot(['useradd', '--create-home', '--shell', '/bin/bash', '--password', '*', user]);
    const keyFile = join(dir, 'id_ed25519');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const ssh = join(root, 'home', user, '.ssh');
    mkdirSync(ssh, { mode: 0o700 });
    writeFileSync(join(ssh, 'authorized_keys'), readFileSync(`${keyFile}.pub`), { mode: 0o600 });
    await inRoot(['chown', '-R', `${user}:${user}`, `/home/${user}/.ssh`]);
    writeFileSync(join(etc, 'sudoers.d', user), `${user} ALL=(ALL:ALL) NOPASSWD: ALL\n`, {
      mode: 0o440,
    });
    await inRoot(['visudo', '-c', '-q', '-f', `/etc/sudoers.d/${user}`]);

    const node = execa(
      'nsenter',
      [
        `--net=${netns.path}`,
        ...['unshare', '--mount', '--uts', '--pid', '--fork', '--kill-child'],
        ...['--propagation', 'private', '/bin/sh', '-c', INIT, 'init', root, name],
      ],
      {
        reject: false,
        detached: true,
        stdin: 'ignore',
        stdout: { file: logFile },
        stderr: { file: logFile },
      },
    );
    node.unref();
    unsharePid = node.pid;
    const tail = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '');
    await waitFor(
      "the node's PID 1",
      async () => {
        if (!unsharePid || !processAlive(unsharePid))
          throw new Error(`the node ended at its start:\n${tail()}`);
        const child = (await execa('pgrep', ['-P', String(unsharePid)], { reject: false })).stdout
          .split('\n')
          .filter(Boolean)[0];
        if (child) initPid = Number(child);
        return initPid !== undefined;
      },
      30_000,
    );
    await listening(22, netns.ip, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${tail()}`);
    });

    const pub = readFileSync(`${hostKey}.pub`, 'utf8').split(' ')[1] ?? '';
    const exec = async (argv: readonly string[]) => {
      const r = await execa(
        'nsenter',
        [`--target=${initPid}`, '--mount', '--uts', '--net', '--pid', '--root', '--wd', ...argv],
        {
          reject: false,
          timeout: 120_000,
          env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
        },
      );
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    };
    return {
      name,
      ip: netns.ip,
      netns: netns.path,
      sshPort: 22,
      user,
      keyFile,
      hostFingerprint: fingerprint(Buffer.from(pub, 'base64')),
      root,
      logFile,
      ulimitHook,
      proxied,
      setMirrorDown: (down: boolean) => {
        mirrorDown = down;
      },
      exec,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
