/**
 * Installing Docker on a new outpost from its distribution's packages, never a
 * piped install script: `apt-get install docker.io`, the engine enabled and
 * started, the login user in the `docker` group. Each argv runs as root (the
 * pipeline adds `sudo -n` for a user that is not root). Pure builders.
 */

/** apt never asks a question over SSH: there is nobody to answer it. */
const APT = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-q', '-y'];

/** Whether systemd runs the server (exit 0): else the engine is started with its init script. */
export function systemdRunningArgv(): string[] {
  return ['test', '-d', '/run/systemd/system'];
}

/**
 * The steps, in order, with what each is called when it fails. Without systemd (a
 * container or chroot), Debian's docker.io starts with its init script instead.
 */
export function dockerInstallSteps(
  user: string,
  opts: { readonly systemd: boolean } = { systemd: true },
): readonly {
  readonly what: string;
  readonly argv: readonly string[];
  /** How long it may take: downloads and unpacking are slow on a small server. */
  readonly timeoutMs: number;
}[] {
  return [
    { what: 'apt-get update', argv: [...APT, 'update'], timeoutMs: 5 * 60_000 },
    {
      what: 'apt-get install docker.io',
      argv: [...APT, '--no-install-recommends', 'install', 'docker.io'],
      timeoutMs: 15 * 60_000,
    },
    opts.systemd
      ? {
          what: 'systemctl enable --now docker',
          argv: ['systemctl', 'enable', '--now', 'docker'],
          timeoutMs: 2 * 60_000,
        }
      : {
          what: 'service docker start',
          argv: ['service', 'docker', 'start'],
          timeoutMs: 2 * 60_000,
        },
    {
      what: `usermod -aG docker ${user}`,
      argv: ['usermod', '-aG', 'docker', '--', user],
      timeoutMs: 60_000,
    },
  ];
}

/**
 * The address the server was reached on, as it sees it: the third field of
 * `SSH_CONNECTION` (`client_ip client_port server_ip server_port`). Swarm
 * advertises it, so other nodes reach the new one where Otto did (behind NAT, the
 * private address, which is what a Swarm wants).
 */
export function sshServerAddressArgv(): string[] {
  return ['printenv', 'SSH_CONNECTION'];
}

/** Reads {@link sshServerAddressArgv}'s answer; undefined when it says nothing usable. */
export function parseSshServerAddress(stdout: string): string | undefined {
  const parts = stdout.trim().split(/\s+/);
  return parts.length === 4 ? parts[2] : undefined;
}
