import { describe, expect, it } from 'vitest';
import { parseSwarmInfo } from '../../src/swarm/argv.js';
import {
  diskCheck,
  diskFreeArgv,
  dockerCheck,
  dockerInstallFailed,
  ingressDeployFailed,
  membershipCheck,
  osCheck,
  osReleaseArgv,
  parseDfFree,
  parseDockerVersion,
  parseOsRelease,
  portProbeArgv,
  portsCheck,
  sudoCheck,
  sudoCheckArgv,
  swarmInitFailed,
  swarmJoinFailed,
  type CommandAnswer,
} from '../../src/swarm/preflight.js';

const ok = (stdout: string): CommandAnswer => ({ exitCode: 0, stdout, stderr: '' });
const failed = (exitCode: number, stderr: string, stdout = ''): CommandAnswer => ({
  exitCode,
  stdout,
  stderr,
});

const DEBIAN_12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;
const UBUNTU_2404 = `PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
`;
const ALPINE = `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.20.3
PRETTY_NAME="Alpine Linux v3.20"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
`;
const ROCKY = `NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
`;
const DEBIAN_11 = `PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"
VERSION_ID="11"
ID=debian
`;

const dockerJson = (client: string, server: string | null) =>
  JSON.stringify({
    Client: { Platform: { Name: '' }, Version: client, ApiVersion: '1.41', Os: 'linux' },
    Server: server === null ? null : { Version: server, ApiVersion: '1.41', Os: 'linux' },
  });

describe('preflight: sudo', () => {
  it('asks sudo without a prompt', () => {
    expect(sudoCheckArgv()).toEqual(['sudo', '-n', 'true']);
  });

  it('passes when sudo needs no password', () => {
    expect(sudoCheck(ok(''), 'deploy')).toEqual({
      status: 'ok',
      line: 'Passwordless sudo works for deploy.',
    });
  });

  it('uses seed 001’s words when sudo asks for a password, with the sudoers line', () => {
    expect(sudoCheck(failed(1, 'sudo: a password is required\n'), 'deploy')).toEqual({
      status: 'fail',
      line: 'Passwordless sudo is required. Configure /etc/sudoers.d/otternauts for the SSH user (deploy: sudo: a password is required).',
      fix: "As root on the server: echo 'deploy ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/otternauts && chmod 0440 /etc/sudoers.d/otternauts. Then run outpost add again.",
    });
  });

  it('says when sudo is not installed at all', () => {
    const c = sudoCheck(failed(127, 'bash: line 1: sudo: command not found\n'), 'deploy');
    expect(c.status).toBe('fail');
    expect(c.line).toBe(
      'Passwordless sudo is required, and sudo is not installed on this server (deploy is not root).',
    );
    expect(c.fix).toMatch(/^As root on the server: apt-get install sudo && echo 'deploy ALL/);
  });
});

describe('preflight: operating system', () => {
  it('reads /etc/os-release with quotes and without', () => {
    expect(osReleaseArgv()).toEqual(['cat', '/etc/os-release']);
    expect(parseOsRelease(DEBIAN_12)).toEqual({
      id: 'debian',
      versionId: '12',
      pretty: 'Debian GNU/Linux 12 (bookworm)',
      idLike: [],
    });
    expect(parseOsRelease(ROCKY)).toEqual({
      id: 'rocky',
      versionId: '9.4',
      pretty: 'Rocky Linux 9.4 (Blue Onyx)',
      idLike: ['rhel', 'centos', 'fedora'],
    });
    expect(parseOsRelease(ALPINE).versionId).toBe('3.20.3');
    expect(parseOsRelease('ID=debian\nNAME="Debian GNU/Linux"\n').pretty).toBe('Debian GNU/Linux');
  });

  it('supports Debian 12 and Ubuntu 24.04', () => {
    expect(osCheck(ok(DEBIAN_12))).toMatchObject({
      status: 'ok',
      line: 'Debian GNU/Linux 12 (bookworm): supported.',
      apt: true,
    });
    expect(osCheck(ok(UBUNTU_2404))).toMatchObject({
      status: 'ok',
      line: 'Ubuntu 24.04.1 LTS: supported.',
      apt: true,
    });
  });

  it('warns on Alpine and Rocky, never refuses, and says Docker is theirs to install', () => {
    const alpine = osCheck(ok(ALPINE));
    expect(alpine).toMatchObject({
      status: 'warn',
      line: 'Alpine Linux v3.20 is not one Otto is tested on (Debian 12 or 13, Ubuntu 22.04 or 24.04). Otto goes on; other systems may work.',
      fix: 'Otto installs Docker only with apt: if Docker is missing here, install it yourself first (https://docs.docker.com/engine/install/).',
      apt: false,
    });
    expect(osCheck(ok(ROCKY))).toMatchObject({ status: 'warn', apt: false });
  });

  it('warns on an older Debian, which can still install with apt', () => {
    const c = osCheck(ok(DEBIAN_11));
    expect(c).toMatchObject({ status: 'warn', apt: true });
    expect(c.fix).toBeUndefined();
  });

  it('warns when /etc/os-release cannot be read', () => {
    expect(osCheck(failed(1, 'cat: /etc/os-release: No such file or directory\n'))).toMatchObject({
      status: 'warn',
      os: undefined,
      apt: false,
    });
  });
});

describe('preflight: free disk', () => {
  const GNU = `Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/sda1         61611820 17654352  40795868      31% /
`;
  const BUSYBOX = `Filesystem           1024-blocks    Used Available Capacity Mounted on
overlay                 61611820  17654352  40795868  31% /
`;
  const SMALL = `Filesystem     1024-blocks    Used Available Capacity Mounted on
/dev/vda1          9974088 6530652   2929688      70% /var/lib/docker
`;

  it('asks df for POSIX output in KiB, which GNU and BusyBox both print', () => {
    expect(diskFreeArgv('/var/lib/docker')).toEqual(['df', '-Pk', '--', '/var/lib/docker']);
    expect(parseDfFree(GNU)).toBe(40795868 * 1024);
    expect(parseDfFree(BUSYBOX)).toBe(40795868 * 1024);
    expect(parseDfFree('Filesystem 1024-blocks Used Available Capacity Mounted on\n')).toBe(
      undefined,
    );
  });

  it('reads a file system whose name has spaces', () => {
    expect(
      parseDfFree(
        'Filesystem 1024-blocks Used Available Capacity Mounted on\nmy disk 100 60 40 60% /mnt/my disk\n',
      ),
    ).toBe(40960);
  });

  it('passes with 41.8 GB free and fails with 3.0 GB against 5 GB', () => {
    expect(diskCheck(ok(GNU), '/var/lib/docker')).toEqual({
      status: 'ok',
      line: 'Free disk at /var/lib/docker: 41.8 GB (at least 5.0 GB needed).',
      freeBytes: 40795868 * 1024,
    });
    expect(diskCheck(ok(SMALL), '/var/lib/docker')).toEqual({
      status: 'fail',
      line: 'Only 3.0 GB free at /var/lib/docker: Docker needs at least 5.0 GB there for images and volumes.',
      fix: 'Free some space (docker system prune removes stopped containers and unused images; journalctl --vacuum-size=200M trims the journal) or grow the disk, then run outpost add again.',
      freeBytes: 2929688 * 1024,
    });
  });

  it('takes its threshold from the caller', () => {
    expect(diskCheck(ok(SMALL), '/var/lib/docker', 2_000_000_000).status).toBe('ok');
    expect(diskCheck(ok(GNU), '/', 50_000_000_000).line).toBe(
      'Only 41.8 GB free at /: Docker needs at least 50.0 GB there for images and volumes.',
    );
  });

  it('warns when df does not answer', () => {
    expect(
      diskCheck(failed(1, 'df: /var/lib/docker: No such file or directory\n'), '/var/lib/docker'),
    ).toEqual({
      status: 'warn',
      line: 'Could not read the free disk at /var/lib/docker (df: df: /var/lib/docker: No such file or directory). Docker needs at least 5.0 GB there; Otto goes on.',
      freeBytes: undefined,
    });
  });
});

describe('preflight: Docker', () => {
  const as = { user: 'deploy', apt: true };

  it('reads distribution and Docker version strings', () => {
    expect(parseDockerVersion('20.10.24+dfsg1')).toEqual({
      raw: '20.10.24+dfsg1',
      major: 20,
      minor: 10,
    });
    expect(parseDockerVersion('24.0.7-0ubuntu4')).toMatchObject({ major: 24, minor: 0 });
    expect(parseDockerVersion('')).toBeUndefined();
  });

  it('will install Docker when it is absent and apt is there', () => {
    expect(dockerCheck(failed(127, 'bash: line 1: docker: command not found\n'), as)).toEqual({
      status: 'ok',
      line: "Docker is not installed yet: Otto will install docker.io from the distribution's packages.",
      engine: 'absent',
      version: undefined,
    });
    expect(
      dockerCheck(failed(127, 'sh: 1: docker: not found\n'), { user: 'deploy', apt: false }),
    ).toMatchObject({
      status: 'fail',
      line: 'Docker is not installed, and Otto installs it only with apt (Debian, Ubuntu).',
      engine: 'absent',
    });
  });

  it('passes Docker 26.1.5 (Debian 13’s docker.io)', () => {
    expect(dockerCheck(ok(dockerJson('26.1.5+dfsg1', '26.1.5+dfsg1')), as)).toEqual({
      status: 'ok',
      line: 'Docker 26.1.5+dfsg1 is running.',
      engine: 'present',
      version: { raw: '26.1.5+dfsg1', major: 26, minor: 1 },
    });
  });

  it('warns on Docker 20.10.24 (Debian 12’s docker.io) and says how to get 24.0+', () => {
    expect(dockerCheck(ok(dockerJson('20.10.24+dfsg1', '20.10.24+dfsg1')), as)).toEqual({
      status: 'warn',
      line: 'Docker 20.10.24+dfsg1 works, but is older than 24.0, the version Otto recommends.',
      fix: "Debian 12's own docker.io is 20.10.24. For 24.0 or newer: Debian 13 (docker.io 26.1.5), or docker-ce from Docker's apt repository (https://docs.docker.com/engine/install/).",
      engine: 'present',
      version: { raw: '20.10.24+dfsg1', major: 20, minor: 10 },
    });
  });

  it('refuses Docker 19.03 and says how to upgrade', () => {
    expect(dockerCheck(ok(dockerJson('19.03.13', '19.03.13')), as)).toEqual({
      status: 'fail',
      line: 'Docker 19.03.13 is too old: Otto needs 20.10 or newer (24.0 or newer recommended).',
      fix: "Upgrade Docker: sudo apt-get update && sudo apt-get install docker.io (Debian 12's package is 20.10.24, Debian 13's is 26.1.5), or docker-ce from Docker's own apt repository (https://docs.docker.com/engine/install/). Then run outpost add again.",
      engine: 'present',
      version: { raw: '19.03.13', major: 19, minor: 3 },
    });
  });

  it('judges the engine’s version, not the client’s', () => {
    expect(dockerCheck(ok(dockerJson('27.3.1', '19.03.13')), as).status).toBe('fail');
  });

  it('tells a stopped engine from a user who may not use it', () => {
    const stopped = dockerCheck(
      failed(
        1,
        'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
        dockerJson('20.10.24+dfsg1', null),
      ),
      as,
    );
    expect(stopped).toEqual({
      status: 'fail',
      line: 'Docker 20.10.24+dfsg1 is installed, but its engine does not answer (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?).',
      fix: 'On the server: sudo systemctl enable --now docker (journalctl -u docker says why it stopped), then run outpost add again.',
      engine: 'unreachable',
      version: { raw: '20.10.24+dfsg1', major: 20, minor: 10 },
    });
    const denied = dockerCheck(
      failed(
        1,
        'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/version": dial unix /var/run/docker.sock: connect: permission denied\n',
        dockerJson('26.1.5+dfsg1', null),
      ),
      as,
    );
    expect(denied).toMatchObject({
      status: 'fail',
      line: 'Docker 26.1.5+dfsg1 is installed, but deploy may not use it (permission denied on the Docker socket).',
      fix: 'On the server: sudo usermod -aG docker deploy. The group counts from the next login: run outpost add again.',
      engine: 'unreachable',
    });
  });
});

describe('preflight: Swarm membership', () => {
  const ours = { clusterId: 'c9xyz', nodeIds: new Set(['n1abc', 'n2def']) };

  it('goes on with a node in no Swarm', () => {
    const bare = parseSwarmInfo('{"NodeID":"","LocalNodeState":"inactive","RemoteManagers":null}');
    expect(membershipCheck(bare, ours)).toEqual({
      status: 'ok',
      line: 'Not part of any Swarm yet.',
      membership: 'none',
    });
    expect(membershipCheck(bare, undefined).membership).toBe('none');
  });

  it('reports a node already in this Swarm, as a manager or a worker, with no change', () => {
    const manager = parseSwarmInfo(
      '{"NodeID":"n1abc","LocalNodeState":"active","ControlAvailable":true,"RemoteManagers":[{"NodeID":"n1abc","Addr":"10.0.0.1:2377"}],"Cluster":{"ID":"c9xyz"}}',
    );
    expect(membershipCheck(manager, ours)).toEqual({
      status: 'ok',
      line: 'Already part of this Swarm as a manager (node n1abc): nothing to change.',
      membership: 'this',
    });
    const worker = parseSwarmInfo(
      '{"NodeID":"n3ghi","LocalNodeState":"active","ControlAvailable":false,"RemoteManagers":[{"NodeID":"n1abc","Addr":"10.0.0.1:2377"}]}',
    );
    expect(membershipCheck(worker, ours).membership).toBe('this');
  });

  it('refuses a node in another Swarm, and says to leave it first', () => {
    const other = parseSwarmInfo(
      '{"NodeID":"z7","LocalNodeState":"active","ControlAvailable":false,"RemoteManagers":[{"NodeID":"z1","Addr":"192.0.2.9:2377"}]}',
    );
    expect(membershipCheck(other, ours)).toEqual({
      status: 'fail',
      line: 'This server is already part of another Swarm as a worker, managed from 192.0.2.9:2377.',
      fix: 'If that Swarm is no longer used, run docker swarm leave on the server, then run outpost add again.',
      membership: 'other',
    });
    const otherManager = parseSwarmInfo(
      '{"NodeID":"z1","LocalNodeState":"active","ControlAvailable":true,"RemoteManagers":[{"NodeID":"z1","Addr":"192.0.2.9:2377"}],"Cluster":{"ID":"other"}}',
    );
    expect(membershipCheck(otherManager, undefined).fix).toBe(
      'If that Swarm is no longer used, run docker swarm leave --force on the server, then run outpost add again.',
    );
  });

  it('refuses a node whose Swarm is locked or broken', () => {
    const locked = parseSwarmInfo('{"NodeID":"z1","LocalNodeState":"locked"}');
    expect(membershipCheck(locked, ours)).toMatchObject({
      status: 'fail',
      line: 'This server is already part of another Swarm (its Swarm state is locked).',
      membership: 'other',
    });
  });
});

describe('preflight: ports between nodes', () => {
  it('probes TCP with bash, the host and port as arguments, never in the script', () => {
    expect(portProbeArgv('10.0.0.1', 2377)).toEqual([
      'timeout',
      '5',
      'bash',
      '-c',
      'exec 3<>"/dev/tcp/$1/$2"',
      'probe',
      '10.0.0.1',
      '2377',
    ]);
  });

  it('passes open ports and reminds of the UDP ones', () => {
    expect(
      portsCheck('10.0.0.1', [
        { port: 2377, open: true },
        { port: 7946, open: true },
      ]),
    ).toEqual({
      status: 'ok',
      line: 'Manager 10.0.0.1 answers on 2377/tcp and 7946/tcp. 7946/udp and 4789/udp must be open too (Otto cannot test UDP).',
    });
  });

  it('uses seed 001’s words for a closed port, and names it', () => {
    expect(
      portsCheck('10.0.0.1', [
        { port: 2377, open: false },
        { port: 7946, open: true },
      ]),
    ).toEqual({
      status: 'fail',
      line: 'Could not join swarm. Check that ports 2377, 7946, 4789/udp are open between servers: 10.0.0.1:2377/tcp does not answer from this server.',
      fix: 'Open between all servers: 2377/tcp (management), 7946/tcp and 7946/udp (node gossip), 4789/udp (overlay traffic), in the firewall of each server and of the provider. Then run outpost add again.',
    });
  });
});

describe('onboarding failures, in seed 001’s words', () => {
  it('shows the installer’s last lines when the Docker install fails', () => {
    const out = Array.from({ length: 14 }, (_, i) => `line ${i + 1}`).join('\n');
    const c = dockerInstallFailed(
      failed(100, 'E: Unable to locate package docker.io\n', `${out}\n`),
    );
    expect(c.status).toBe('fail');
    expect(c.line).toBe(
      'Docker installation failed. Check server logs for details (the installer exited with 100; its last lines are below).',
    );
    expect(c.details).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `line ${i + 6}`),
      'E: Unable to locate package docker.io',
    ]);
    expect(c.fix).toMatch(/^Fix what the last lines show/);
    expect(
      dockerInstallFailed(
        failed(
          100,
          'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)\n',
        ),
      ).fix,
    ).toMatch(/^Another apt or dpkg is running/);
  });

  it('offers to leave an existing Swarm when init finds one', () => {
    const c = swarmInitFailed(
      failed(
        1,
        'Error response from daemon: This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.\n',
      ),
    );
    expect(c).toMatchObject({
      status: 'fail',
      line: 'Swarm initialization failed. The server may already be part of a swarm.',
      fix: 'It is: if that Swarm is no longer used, run docker swarm leave --force on the server, then run outpost add again.',
    });
    expect(
      swarmInitFailed(
        failed(
          1,
          'Error response from daemon: could not choose an IP address to advertise since this system has multiple addresses on different interfaces (10.0.0.5 on eth0 and 192.168.1.5 on eth1)\n',
        ),
      ).fix,
    ).toMatch(/^Docker could not choose the address/);
  });

  it('gives the port checklist when a join fails, and never shows the token', () => {
    const c = swarmJoinFailed(
      failed(
        1,
        'Error response from daemon: Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the "docker info" command to see the current swarm status of your node.\n',
        'joining with SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx\n',
      ),
    );
    expect(c.line).toBe(
      'Could not join swarm. Check that ports 2377, 7946, 4789/udp are open between servers.',
    );
    expect(c.fix).toBe(
      'Open between all servers: 2377/tcp (management), 7946/tcp and 7946/udp (node gossip), 4789/udp (overlay traffic). Then run outpost add again.',
    );
    expect(c.details?.join('\n')).not.toMatch(/SWMTKN-1-3pu/);
    expect(c.details?.[0]).toBe('joining with SWMTKN-[REDACTED]');
    expect(
      swarmJoinFailed(
        failed(
          1,
          'Error response from daemon: rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster\n',
        ),
      ).fix,
    ).toMatch(/^The manager refused the join token/);
  });

  it('says the ingress deploy failed, with Docker’s words', () => {
    const c = ingressDeployFailed(
      failed(
        1,
        'network "traefik-public" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed\n',
      ),
    );
    expect(c.line).toBe('Ingress deployment failed (docker stack deploy exited with 1).');
    expect(c.fix).toMatch(/^The network traefik-public is missing: create it on a manager/);
    expect(c.details).toHaveLength(1);
  });
});
