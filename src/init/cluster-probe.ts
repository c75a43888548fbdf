import { UnreachableError, UsageError } from '../errors.js';
import { parseSwarmInfo, swarmInfo } from '../swarm/argv.js';
import { DockerHostTransport } from '../transport/cluster-transport.js';
import { LocalTransport } from '../transport/local-transport.js';
import { SshTransport } from '../transport/ssh-transport.js';
import type { Transport } from '../transport/transport.js';
import type { Prompter } from './prompter.js';
import { InitRefusedError } from './write-new.js';

/** How the host key is to be trusted: pinned by a flag, trusted on first use, or asked. */
export interface TrustWay {
  readonly pinned?: string | undefined;
  readonly yes: boolean;
  readonly prompter?: Prompter | undefined;
}

/**
 * Decides whether to trust the host key `offered` by `at` (`host:port`), which was
 * read before any login. A pinned fingerprint must match (else refused, both shown);
 * `yes` trusts it on first use; otherwise a person is asked, and without a terminal
 * the run stops and names the flags that answer it. Returns the key to pin.
 */
export async function trustHostKey(
  at: string,
  offered: string,
  way: TrustWay,
  say: (line: string) => void,
): Promise<string> {
  if (way.pinned !== undefined) {
    if (way.pinned !== offered)
      throw new InitRefusedError(
        `${at} offers the host key ${offered}, not the ${way.pinned} you gave with --fingerprint. This could be another server, or someone in between. Nothing was written.`,
        'Compare with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server itself, then run otto init again with its --fingerprint.',
      );
    say(`🔑 ${at} offers ${offered}: the fingerprint you gave. Trusted.`);
    return offered;
  }
  if (way.yes) {
    say(`🔑 ${at} offers ${offered}. Trusted on first use (--yes).`);
    return offered;
  }
  if (!way.prompter)
    throw new UsageError(
      `${at} offers the host key ${offered}, and there is no terminal to ask whether to trust it. Nothing was written.`,
      `Compare it with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server, then pass --fingerprint ${offered} (or --yes to trust it on first use).`,
    );
  say(
    `🔑 ${at} offers this host key:\n     ${offered}\n   Compare it with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server.`,
  );
  if (!(await way.prompter.confirm('Trust this key?', false)))
    throw new InitRefusedError(
      `Not trusted: ${at} offers ${offered}, and you said no. Nothing was written.`,
      `When you have checked the key on the server, run otto init again (or pass --fingerprint ${offered}).`,
    );
  return offered;
}

/** Where `otto init` checks that Docker answers. */
export type DockerTarget =
  | { readonly kind: 'local'; readonly dockerHost?: string | undefined }
  | {
      readonly kind: 'ssh';
      readonly host: string;
      readonly port: number;
      readonly user: string;
      /** Absolute. */
      readonly privateKeyFile: string;
      readonly hostKey: string;
      readonly dockerHost?: string | undefined;
    };

/** The check's verdict: one line to show, and whether it is a warning. */
export interface DockerCheck {
  readonly ok: boolean;
  readonly line: string;
}

/**
 * Logs in (over SSH with the host key pinned, or on this machine) and asks Docker for
 * its Swarm state: one `docker info` call. Never throws: a failure is a warning, as
 * the config is right and the server may be set up later (otto outpost add).
 */
export async function checkDocker(
  target: DockerTarget,
  clusterName: string,
  log: (line: string) => void = () => {},
): Promise<DockerCheck> {
  const inner: Transport =
    target.kind === 'local'
      ? new LocalTransport()
      : new SshTransport(
          target,
          // The key is pinned: nothing is looked up or remembered.
          { get: async () => undefined, remember: async () => {} },
          { readyTimeoutMs: 15_000, log },
        );
  const transport = new DockerHostTransport(inner, target.dockerHost);
  const where = transport.target;
  try {
    const r = await transport.run(swarmInfo(), { timeoutMs: 30_000 });
    if (r.exitCode !== 0) {
      const why = r.stderr.trim().split('\n')[0] || `exit code ${r.exitCode}`;
      return {
        ok: false,
        line:
          target.kind === 'ssh'
            ? `⚠️  Logged in as ${where}, but docker did not answer: ${why}\n   Fix: install Docker on the server and let ${target.user} use it (the docker group), or name its socket with --docker-host. Otto writes otto.yml anyway.`
            : `⚠️  Docker did not answer on this machine: ${why}\n   Fix: start Docker here and let this user use it (the docker group), or name its socket with --docker-host. Otto writes otto.yml anyway.`,
      };
    }
    const info = parseSwarmInfo(r.stdout);
    if (info.localNodeState === 'active' && info.controlAvailable)
      return {
        ok: true,
        line: `🛰️  Docker answers on ${where}: a Swarm manager. Ready for launches.`,
      };
    if (info.localNodeState === 'active')
      return {
        ok: false,
        line: `⚠️  Docker answers on ${where}, but it is a Swarm worker: Otto launches through a manager.\n   Fix: give otto init a manager's address (docker node ls on a manager lists them).`,
      };
    return {
      ok: false,
      line: `⚠️  Docker answers on ${where}, but it is in no Swarm yet (${info.localNodeState || 'unknown'}).\n   Fix: docker swarm init there${target.kind === 'ssh' ? `, or let Otto set the server up: otto outpost add ${clusterName} ${target.host}` : ''}.`,
    };
  } catch (e) {
    if (e instanceof UnreachableError)
      return { ok: false, line: `⚠️  ${e.message}${e.fix ? `\n   Fix: ${e.fix}` : ''}` };
    if (e instanceof SyntaxError)
      return { ok: false, line: `⚠️  Docker on ${where} answered something Otto can't read.` };
    throw e;
  } finally {
    await transport.close();
  }
}
