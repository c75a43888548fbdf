import { managerAddress, maskSwarmTokens, SWARM_PORT, type SwarmInfo } from './argv.js';

/**
 * Judgements of an outpost (a server) before and while Otto sets it up: pure
 * functions from what a command answered to a {@link Check}, which a pipeline shows
 * as one line after ✅, ⚠️ or ❌, with the fix below it. Nothing here runs anything;
 * the argv each check reads comes with it. Where seed 001's "Server Onboarding
 * Failures" table has words for a failure, the line starts with them.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  /** `ok` goes on, `warn` goes on and says so, `fail` stops the setup. */
  readonly status: CheckStatus;
  /** What is shown after ✅ / ⚠️ / ❌. */
  readonly line: string;
  /** What to do about it, when there is something to do. */
  readonly fix?: string;
  /** The command's own last lines, tokens masked, for a failure that needs them. */
  readonly details?: readonly string[];
}

/** What a command gave back: a transport's RunResult fits. */
export interface CommandAnswer {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The last `n` non-empty lines of a command's output (stdout, then stderr), tokens masked. */
export function lastLines(answer: CommandAnswer, n = 10): string[] {
  return `${answer.stdout}\n${answer.stderr}`
    .split('\n')
    .map((l) => maskSwarmTokens(l.trimEnd()))
    .filter((l) => l.trim() !== '')
    .slice(-n);
}

/** The shell found no such program: exit 127 (`bash: docker: command not found`, `sh: 1: docker: not found`). */
const notFound = (a: CommandAnswer) =>
  a.exitCode === 127 || /command not found|: not found$/m.test(a.stderr);

/* ---- sudo ---- */

/** Asks sudo to run `true` without a password prompt (seed 001: `sudo -n true`). */
export function sudoCheckArgv(): string[] {
  return ['sudo', '-n', 'true'];
}

/**
 * Judges `sudo -n true` run as `user` (skip it when the user is root).
 * @example sudoCheck({ exitCode: 1, stdout: '', stderr: 'sudo: a password is required\n' }, 'deploy').status // 'fail'
 */
export function sudoCheck(answer: CommandAnswer, user: string): Check {
  const sudoers = `echo '${user} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/otternauts && chmod 0440 /etc/sudoers.d/otternauts`;
  if (answer.exitCode === 0) return { status: 'ok', line: `Passwordless sudo works for ${user}.` };
  if (notFound(answer))
    return {
      status: 'fail',
      line: `Passwordless sudo is required, and sudo is not installed on this server (${user} is not root).`,
      fix: `As root on the server: apt-get install sudo && ${sudoers}. Or connect as root. Then run outpost add again.`,
    };
  return {
    status: 'fail',
    line: `Passwordless sudo is required. Configure /etc/sudoers.d/otternauts for the SSH user (${user}: ${answer.stderr.trim().split('\n')[0] || `sudo exited with ${answer.exitCode}`}).`,
    fix: `As root on the server: ${sudoers}. Then run outpost add again.`,
  };
}

/* ---- operating system ---- */

export function osReleaseArgv(): string[] {
  return ['cat', '/etc/os-release'];
}

/** The fields of /etc/os-release Otto reads. */
export interface OsRelease {
  /** `debian`, `ubuntu`, `alpine`, `rocky`. */
  readonly id: string;
  /** `12`, `24.04`, `3.20.3`; empty on rolling releases (Debian testing). */
  readonly versionId: string;
  /** `Debian GNU/Linux 12 (bookworm)`. */
  readonly pretty: string;
  /** ID_LIKE: `["debian"]` on Ubuntu, `["rhel", "centos", "fedora"]` on Rocky. */
  readonly idLike: readonly string[];
}

/**
 * Reads /etc/os-release (os-release(5): `KEY=value`, values optionally quoted).
 * @example parseOsRelease('ID=debian\nVERSION_ID="12"\n').versionId // '12'
 */
export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!.trim();
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    fields.set(m[1]!, v);
  }
  const id = (fields.get('ID') ?? '').toLowerCase();
  const versionId = fields.get('VERSION_ID') ?? '';
  return {
    id,
    versionId,
    pretty: fields.get('PRETTY_NAME') || `${fields.get('NAME') ?? id} ${versionId}`.trim(),
    idLike: (fields.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean),
  };
}

/** The systems Otto is tested on (seed 001 "Supported Operating Systems", and Debian 13). */
export const SUPPORTED_OS: Readonly<Record<string, readonly string[]>> = {
  debian: ['12', '13'],
  ubuntu: ['22.04', '24.04'],
};
const SUPPORTED_WORDS = 'Debian 12 or 13, Ubuntu 22.04 or 24.04';

export type OsCheck = Check & {
  readonly os: OsRelease | undefined;
  /** Debian, Ubuntu or a relative: Otto can install Docker with apt. */
  readonly apt: boolean;
};

/**
 * Judges the answer of {@link osReleaseArgv}: a supported system is ok, any other
 * is a warning (Otto goes on), never a refusal.
 * @example osCheck({ exitCode: 0, stdout: 'ID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\n', stderr: '' }).line
 * // 'Ubuntu 24.04.1 LTS: supported.'
 */
export function osCheck(answer: CommandAnswer): OsCheck {
  if (answer.exitCode !== 0 || !answer.stdout.trim())
    return {
      status: 'warn',
      line: `Could not read /etc/os-release, so Otto cannot tell which system this is (tested on ${SUPPORTED_WORDS}). Otto goes on.`,
      os: undefined,
      apt: false,
    };
  const os = parseOsRelease(answer.stdout);
  const apt = ['debian', 'ubuntu'].includes(os.id) || os.idLike.some((l) => l === 'debian');
  if (SUPPORTED_OS[os.id]?.includes(os.versionId))
    return { status: 'ok', line: `${os.pretty}: supported.`, os, apt };
  return {
    status: 'warn',
    line: `${os.pretty || 'This system'} is not one Otto is tested on (${SUPPORTED_WORDS}). Otto goes on; other systems may work.`,
    ...(apt
      ? {}
      : {
          fix: 'Otto installs Docker only with apt: if Docker is missing here, install it yourself first (https://docs.docker.com/engine/install/).',
        }),
    os,
    apt,
  };
}

/* ---- free disk ---- */

/** Seed 001's minimum free disk: 5 GB (decimal) at Docker's data root. */
export const DEFAULT_MIN_FREE_BYTES = 5_000_000_000;

/**
 * Free space where `path` lives, in 1024-byte blocks, one line per file system
 * (`-P`, POSIX): GNU coreutils (Debian, Ubuntu) and BusyBox both print it, where
 * `--output=avail` is GNU only. Use Docker's root dir (`dockerRootDir` in argv.ts)
 * when Docker is there, else a folder that exists before the install (`/var/lib`).
 */
export function diskFreeArgv(path: string): string[] {
  return ['df', '-Pk', '--', path];
}

/**
 * Free bytes in the answer of {@link diskFreeArgv}; undefined when it is not one.
 * Read from the numbers' end of the line, so a file system name with spaces is fine.
 * @example parseDfFree('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 60 40 60% /\n') // 40960
 */
export function parseDfFree(stdout: string): number | undefined {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const m = /\s(\d+)\s+(\d+)\s+(\d+)\s+\d+%\s+\S.*$/.exec(lines.at(-1) ?? '');
  return m ? Number(m[3]) * 1024 : undefined;
}

/** `3.2 GB`, decimal like the threshold. */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

/**
 * Judges the free disk at `path` against `minFreeBytes` (default 5 GB).
 * @example diskCheck(answer, '/var/lib/docker').line // 'Free disk at /var/lib/docker: 42.1 GB (at least 5.0 GB needed).'
 */
export function diskCheck(
  answer: CommandAnswer,
  path: string,
  minFreeBytes: number = DEFAULT_MIN_FREE_BYTES,
): Check & { readonly freeBytes: number | undefined } {
  const free = answer.exitCode === 0 ? parseDfFree(answer.stdout) : undefined;
  const need = formatBytes(minFreeBytes);
  if (free === undefined)
    return {
      status: 'warn',
      line: `Could not read the free disk at ${path} (df: ${answer.stderr.trim().split('\n')[0] || `exit ${answer.exitCode}`}). Docker needs at least ${need} there; Otto goes on.`,
      freeBytes: undefined,
    };
  if (free >= minFreeBytes)
    return {
      status: 'ok',
      line: `Free disk at ${path}: ${formatBytes(free)} (at least ${need} needed).`,
      freeBytes: free,
    };
  return {
    status: 'fail',
    line: `Only ${formatBytes(free)} free at ${path}: Docker needs at least ${need} there for images and volumes.`,
    fix: 'Free some space (docker system prune removes stopped containers and unused images; journalctl --vacuum-size=200M trims the journal) or grow the disk, then run outpost add again.',
    freeBytes: free,
  };
}

/* ---- Docker ---- */

export interface DockerVersion {
  /** As Docker prints it: `20.10.24+dfsg1`, `26.1.5`, `24.0.7-0ubuntu4`. */
  readonly raw: string;
  readonly major: number;
  readonly minor: number;
}

/** `20.10.24+dfsg1` → { major: 20, minor: 10 }; undefined when it does not start with numbers. */
export function parseDockerVersion(raw: string): DockerVersion | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(raw.trim());
  return m ? { raw: raw.trim(), major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/** Below this the setup refuses; below {@link DOCKER_RECOMMENDED} it warns. */
export const DOCKER_MINIMUM = { major: 20, minor: 10 } as const;
/** Seed 001 asks for 24.0 or newer. */
export const DOCKER_RECOMMENDED = { major: 24, minor: 0 } as const;

const below = (v: DockerVersion, min: { major: number; minor: number }) =>
  v.major < min.major || (v.major === min.major && v.minor < min.minor);

export type DockerCheck = Check & {
  /** `absent`: install it; `unreachable`: installed but the engine does not answer this user. */
  readonly engine: 'absent' | 'unreachable' | 'present';
  /** The engine's version (the client's when the engine does not answer). */
  readonly version: DockerVersion | undefined;
};

const UPGRADE =
  "Upgrade Docker: sudo apt-get update && sudo apt-get install docker.io (Debian 12's package is 20.10.24, Debian 13's is 26.1.5), or docker-ce from Docker's own apt repository (https://docs.docker.com/engine/install/). Then run outpost add again.";

/**
 * Judges the answer of `dockerVersion` (argv.ts). `user` names the SSH user in a fix;
 * `apt` says whether Otto can install Docker here (see {@link osCheck}).
 * @example dockerCheck({ exitCode: 127, stdout: '', stderr: 'bash: line 1: docker: command not found\n' }, { user: 'deploy', apt: true }).engine // 'absent'
 */
export function dockerCheck(
  answer: CommandAnswer,
  opts: { readonly user: string; readonly apt: boolean },
): DockerCheck {
  const judge = (
    status: CheckStatus,
    line: string,
    engine: DockerCheck['engine'],
    version: DockerVersion | undefined,
    fix?: string,
  ): DockerCheck => ({ status, line, ...(fix ? { fix } : {}), engine, version });
  if (notFound(answer))
    return opts.apt
      ? judge(
          'ok',
          "Docker is not installed yet: Otto will install docker.io from the distribution's packages.",
          'absent',
          undefined,
        )
      : judge(
          'fail',
          'Docker is not installed, and Otto installs it only with apt (Debian, Ubuntu).',
          'absent',
          undefined,
          'Install Docker on the server (https://docs.docker.com/engine/install/), then run outpost add again.',
        );
  let parsed: { Client?: { Version?: string } | null; Server?: { Version?: string } | null } = {};
  try {
    parsed = JSON.parse(answer.stdout.trim()) as typeof parsed;
  } catch {
    // An engine that does not answer may print nothing on stdout: judged below.
  }
  const server = parseDockerVersion(parsed.Server?.Version ?? '');
  if (answer.exitCode !== 0 || !server) {
    const client = parseDockerVersion(parsed.Client?.Version ?? '');
    const docker = client ? `Docker ${client.raw}` : 'Docker';
    const why = answer.stderr.trim().split('\n')[0];
    return /permission denied/i.test(answer.stderr)
      ? judge(
          'fail',
          `${docker} is installed, but ${opts.user} may not use it (permission denied on the Docker socket).`,
          'unreachable',
          client,
          `On the server: sudo usermod -aG docker ${opts.user}. The group counts from the next login: run outpost add again.`,
        )
      : judge(
          'fail',
          `${docker} is installed, but its engine does not answer${why ? ` (${why})` : ''}.`,
          'unreachable',
          client,
          'On the server: sudo systemctl enable --now docker (journalctl -u docker says why it stopped), then run outpost add again.',
        );
  }
  if (below(server, DOCKER_MINIMUM))
    return judge(
      'fail',
      `Docker ${server.raw} is too old: Otto needs 20.10 or newer (24.0 or newer recommended).`,
      'present',
      server,
      UPGRADE,
    );
  if (below(server, DOCKER_RECOMMENDED))
    return judge(
      'warn',
      `Docker ${server.raw} works, but is older than 24.0, the version Otto recommends.`,
      'present',
      server,
      "Debian 12's own docker.io is 20.10.24. For 24.0 or newer: Debian 13 (docker.io 26.1.5), or docker-ce from Docker's apt repository (https://docs.docker.com/engine/install/).",
    );
  return judge('ok', `Docker ${server.raw} is running.`, 'present', server);
}

/* ---- Swarm membership ---- */

/** This Swarm as its manager sees it: `Cluster.ID` from `swarmInfo`, node ids from `nodeLs`. */
export interface OurSwarm {
  readonly clusterId: string | undefined;
  readonly nodeIds: ReadonlySet<string>;
}

export type MembershipCheck = Check & { readonly membership: 'none' | 'this' | 'other' };

/**
 * Where the new node stands, from its own `swarmInfo` answer: in no Swarm (go on),
 * already in this one (report it, change nothing), or in another (refuse: leave first).
 * `ours` is undefined while the cluster has no Swarm yet (first node).
 * @example membershipCheck(parseSwarmInfo('{"LocalNodeState":"inactive"}'), undefined).membership // 'none'
 */
export function membershipCheck(info: SwarmInfo, ours: OurSwarm | undefined): MembershipCheck {
  const state = info.localNodeState;
  if (state === 'inactive')
    return { status: 'ok', line: 'Not part of any Swarm yet.', membership: 'none' };
  const role = info.controlAvailable ? 'a manager' : 'a worker';
  const mine =
    ours !== undefined &&
    ((info.clusterId !== undefined && info.clusterId === ours.clusterId) ||
      ours.nodeIds.has(info.nodeId) ||
      info.remoteManagers.some((m) => ours.nodeIds.has(m.nodeId)));
  if (state === 'active' && mine)
    return {
      status: 'ok',
      line: `Already part of this Swarm as ${role} (node ${info.nodeId}): nothing to change.`,
      membership: 'this',
    };
  const managers = info.remoteManagers.map((m) => m.addr).join(', ');
  const leave = `docker swarm leave${info.controlAvailable ? ' --force' : ''}`;
  const detail =
    state === 'active'
      ? `as ${role}${managers ? `, managed from ${managers}` : ''}`
      : `(its Swarm state is ${state}${info.error ? `: ${info.error}` : ''})`;
  return {
    status: 'fail',
    line: `This server is already part of another Swarm ${detail}.`,
    fix:
      state === 'locked'
        ? 'Unlock it with docker swarm unlock if that Swarm is still used; otherwise run docker swarm leave --force on the server. Then run outpost add again.'
        : `If that Swarm is no longer used, run ${leave} on the server, then run outpost add again.`,
    membership: 'other',
  };
}

/* ---- ports between nodes ---- */

/** The ports Swarm needs between nodes, and which Otto can test (TCP only). */
export const SWARM_TCP_PORTS = [SWARM_PORT, 7946] as const;
const PORTS_WORDS =
  '2377/tcp (management), 7946/tcp and 7946/udp (node gossip), 4789/udp (overlay traffic)';

/**
 * Whether `host:port` answers a TCP connect from the node, in 5 s, with bash's
 * /dev/tcp (Debian and Ubuntu always have bash; netcat is not always there). The
 * host and port are bash's arguments `$1` and `$2`, never part of the script.
 */
export function portProbeArgv(host: string, port: number): string[] {
  return ['timeout', '5', 'bash', '-c', 'exec 3<>"/dev/tcp/$1/$2"', 'probe', host, String(port)];
}

/**
 * Judges the probes of a join's manager ports (`results` from {@link portProbeArgv}
 * per port, `exitCode === 0` meaning open).
 * @example portsCheck('10.0.0.1', [{ port: 2377, open: true }, { port: 7946, open: true }]).status // 'ok'
 */
export function portsCheck(
  manager: string,
  results: readonly { readonly port: number; readonly open: boolean }[],
): Check {
  const closed = results
    .filter((r) => !r.open)
    .map((r) => `${managerAddress(manager, r.port)}/tcp`);
  if (closed.length === 0)
    return {
      status: 'ok',
      line: `Manager ${manager} answers on ${results.map((r) => `${r.port}/tcp`).join(' and ')}. 7946/udp and 4789/udp must be open too (Otto cannot test UDP).`,
    };
  return {
    status: 'fail',
    line: `Could not join swarm. Check that ports 2377, 7946, 4789/udp are open between servers: ${closed.join(', ')} does not answer from this server.`,
    fix: `Open between all servers: ${PORTS_WORDS}, in the firewall of each server and of the provider. Then run outpost add again.`,
  };
}

/* ---- the steps that change the server (seed 001's wording first) ---- */

/**
 * A failed Docker install (`apt-get install docker.io`, enable, start): seed 001's
 * words, and the installer's last lines.
 */
export function dockerInstallFailed(answer: CommandAnswer): Check {
  const locked = /Could not get lock|dpkg was interrupted/.test(answer.stderr + answer.stdout);
  return {
    status: 'fail',
    line: `Docker installation failed. Check server logs for details (the installer exited with ${answer.exitCode}; its last lines are below).`,
    fix: locked
      ? 'Another apt or dpkg is running (often unattended-upgrades) or was interrupted: wait for it, or run sudo dpkg --configure -a, then run outpost add again to retry.'
      : 'Fix what the last lines show (often: apt cannot reach its mirrors; sudo apt-get update says more), then run outpost add again to retry.',
    details: lastLines(answer),
  };
}

/** A failed `docker swarm init`: seed 001's words, and what to do for Docker's common answers. */
export function swarmInitFailed(answer: CommandAnswer): Check {
  const err = answer.stderr;
  return {
    status: 'fail',
    line: 'Swarm initialization failed. The server may already be part of a swarm.',
    fix: /already part of a swarm/i.test(err)
      ? 'It is: if that Swarm is no longer used, run docker swarm leave --force on the server, then run outpost add again.'
      : /advertise|multiple addresses|could not find the system's IP/i.test(err)
        ? "Docker could not choose the address other servers reach this one on: give it (the server's private IP) and run outpost add again."
        : 'Fix what the last lines show, then run outpost add again.',
    details: lastLines(answer),
  };
}

/** A failed `docker swarm join`: seed 001's words; the token is masked in the details. */
export function swarmJoinFailed(answer: CommandAnswer): Check {
  const err = answer.stderr;
  return {
    status: 'fail',
    line: 'Could not join swarm. Check that ports 2377, 7946, 4789/udp are open between servers.',
    fix: /join token/i.test(err)
      ? 'The manager refused the join token (it may have been rotated): run outpost add again, and Otto reads a fresh one.'
      : /already part of a swarm/i.test(err)
        ? 'This server is in a Swarm already: if that Swarm is no longer used, run docker swarm leave on it, then run outpost add again.'
        : `Open between all servers: ${PORTS_WORDS}. Then run outpost add again.`,
    details: lastLines(answer),
  };
}

/** A failed `docker stack deploy` of the ingress: seed 001's words, Docker's own, and the retry. */
export function ingressDeployFailed(answer: CommandAnswer): Check {
  return {
    status: 'fail',
    line: `Ingress deployment failed (docker stack deploy exited with ${answer.exitCode}).`,
    fix: /network .*traefik-public.* not found|could not be found/i.test(answer.stderr)
      ? 'The network traefik-public is missing: create it on a manager (docker network create --driver overlay --attachable traefik-public), then run outpost add again.'
      : 'Fix what the last lines show, then run outpost add again to retry the ingress.',
    details: lastLines(answer),
  };
}
