import {
  AllManagersUnreachableError,
  HostKeyChangedError,
  StrictHostKeyError,
  UnreachableError,
} from '../errors.js';
import type { SshTransport } from './ssh-transport.js';
import type { RunOptions, RunResult, Transport } from './transport.js';

/**
 * The managers of one cluster, tried in order. Failover happens only while
 * connecting: a command that has started is never sent to a second manager. With
 * `strictHostKeys` (the default), a manager that offers a changed host key stops
 * the failover: the cluster is refused until someone checks that key.
 */
export class ClusterTransport implements Transport {
  constructor(
    readonly cluster: string,
    private readonly managers: readonly SshTransport[],
    private readonly strictHostKeys = true,
  ) {}

  get target(): string {
    return (this.managers.find((m) => m.connected) ?? this.managers[0])?.target ?? this.cluster;
  }

  private async pick(): Promise<SshTransport> {
    const open = this.managers.find((m) => m.connected);
    if (open) {
      try {
        await open.connect();
        return open;
      } catch {
        // fall through to trying every manager in order
      }
    }
    const attempts: UnreachableError[] = [];
    for (const manager of this.managers) {
      try {
        await manager.connect();
        return manager;
      } catch (e) {
        if (!(e instanceof UnreachableError)) throw e;
        if (this.strictHostKeys && e instanceof HostKeyChangedError)
          throw new StrictHostKeyError(this.cluster, e);
        attempts.push(e);
      }
    }
    throw new AllManagersUnreachableError(this.cluster, attempts);
  }

  async run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return (await this.pick()).run(argv, options);
  }

  warm(): Promise<void> {
    // SshTransport.connect shares one handshake between callers.
    return this.pick().then(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.managers.map((m) => m.close()));
  }
}

/** Adds `-H <host>` right after `docker` when a cluster names a Docker host. */
export function withDockerHost(argv: readonly string[], dockerHost: string | undefined): string[] {
  if (!dockerHost || argv[0] !== 'docker') return [...argv];
  return ['docker', '-H', dockerHost, ...argv.slice(1)];
}

/** A transport that points every docker command at the cluster's Docker host. */
export class DockerHostTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly dockerHost: string | undefined,
  ) {}

  get target(): string {
    return this.inner.target;
  }

  run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.inner.run(withDockerHost(argv, this.dockerHost), options);
  }

  warm(): Promise<void> {
    return this.inner.warm?.() ?? Promise.resolve();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
