import type { ClusterConfig } from '../config/config.js';
import { OttoError } from '../errors.js';
import { nodeInspect } from '../swarm/argv.js';
import { parseNodes, type SwarmNode } from '../swarm/stats.js';
import { DockerHostTransport } from '../transport/cluster-transport.js';
import type { SshTarget } from '../transport/ssh-transport.js';
import type { RunOptions, RunResult, Transport } from '../transport/transport.js';
import type { Ops } from './ops.js';

/** A node Otto could not run a command on: why, and what to do about it. */
export interface Unreached {
  readonly node: string;
  /** Its address as the managers see it; empty when not known. */
  readonly addr: string;
  readonly reason: string;
  readonly fix: string;
}

/** What {@link NodeReach.onEach} got back: answers by hostname, and the nodes it could not reach. */
export interface EachResult {
  readonly results: ReadonlyMap<string, RunResult>;
  readonly unreached: readonly Unreached[];
}

export interface NodeReachOptions {
  /** How long what `docker node inspect` said is trusted (a watcher reads it again after this). */
  readonly cacheMs?: number;
  readonly timeoutMs?: number;
}

type Way = { readonly transport: Transport } | { readonly unreached: Unreached };

/**
 * Reaches the nodes of one cluster's Swarm, for what only a node's own engine knows
 * (`docker stats`). A node is reached through the SSH logins Otto has: the cluster's
 * own connection for the manager it talks to, a manager of otto.yml, or a node added
 * with `outpost add` (its recorded user, key and pinned fingerprint), matched by
 * Swarm node id, address or hostname. A node it has no login for, or whose login
 * fails, is named with the fix, never skipped in silence. A `local: true` cluster
 * reaches only the engine on Otto's machine.
 *
 * @example
 * const reach = new NodeReach(ops, 'prod');
 * const nodes = await reach.nodes(['worker-1', 'worker-2']);
 * const { results, unreached } = await reach.onEach(nodes, dockerStats());
 * await reach.close();
 */
export class NodeReach {
  /** SSH transports this reach opened, by `user@host:port` (the cluster's own is not among them). */
  private readonly opened = new Map<string, Transport>();
  private known: { readonly at: number; readonly self: string; nodes: Map<string, SwarmNode> } = {
    at: 0,
    self: '',
    nodes: new Map(),
  };

  constructor(
    private readonly ops: Ops,
    readonly cluster: string,
    private readonly options: NodeReachOptions = {},
  ) {}

  private get config(): ClusterConfig {
    const c = this.ops.config.clusters.get(this.cluster);
    if (!c) throw new Error(`node reach: no cluster ${this.cluster}`);
    return c;
  }

  /**
   * The Swarm nodes with these hostnames, in one `docker node inspect` on the manager
   * (with `self`: the node the cluster's connection runs on). Hostnames the Swarm does
   * not know are left out. Within `cacheMs`, known hostnames cost nothing.
   */
  async nodes(hostnames: readonly string[], signal?: AbortSignal): Promise<SwarmNode[]> {
    const wanted = [...new Set(hostnames)];
    const fresh = Date.now() - this.known.at < (this.options.cacheMs ?? 0);
    if (!fresh || wanted.some((h) => !this.known.nodes.has(h))) {
      const r = await this.ops
        .transport(this.cluster)
        .run(nodeInspect(['self', ...wanted]), { timeoutMs: 30_000, signal });
      const [self, ...rest] = parseNodes(r.stdout);
      this.known = {
        at: Date.now(),
        self: self?.id ?? '',
        nodes: new Map([self, ...rest].filter((n) => n !== undefined).map((n) => [n.hostname, n])),
      };
    }
    return wanted.map((h) => this.known.nodes.get(h)).filter((n) => n !== undefined);
  }

  /** How Otto reaches `node`, or why it can't. */
  private async way(node: SwarmNode): Promise<Way> {
    if (node.id === this.known.self) return { transport: this.ops.transport(this.cluster) };
    const cluster = this.config;
    const where = node.addr || node.hostname;
    if (cluster.kind === 'local')
      return this.cannot(
        node,
        `${this.cluster} is a local cluster: Otto reaches only the engine on its own machine`,
        `Run docker stats on ${node.hostname} yourself, or give ${this.cluster} managers: in otto.yml and add ${node.hostname} with: outpost add ${this.cluster} ${where}`,
      );
    const names = [node.addr, node.hostname].filter(Boolean);
    const outposts = await this.ops.outposts.list(this.cluster);
    const outpost =
      outposts.find((o) => o.nodeId === node.id) ?? outposts.find((o) => names.includes(o.host));
    const manager = cluster.managers.find((m) => names.includes(m.host));
    let target: SshTarget;
    let dockerHost: string | undefined;
    if (outpost)
      target = {
        host: outpost.host,
        port: outpost.port,
        user: outpost.user,
        privateKeyFile: outpost.keyFile,
        hostKey: outpost.fingerprint,
      };
    else if (manager) {
      target = manager;
      dockerHost = cluster.dockerHost;
    } else
      return this.cannot(
        node,
        'Otto has no SSH way in (it is neither a manager in otto.yml nor an outpost Otto added)',
        `Add it with: outpost add ${this.cluster} ${where}`,
      );
    const key = `${target.user}@${target.host}:${target.port}`;
    let transport = this.opened.get(key);
    if (!transport) {
      const ssh = this.ops.outpostReach(cluster).connect(target);
      transport = dockerHost ? new DockerHostTransport(ssh, dockerHost) : ssh;
      this.opened.set(key, transport);
    }
    return { transport };
  }

  private cannot(node: SwarmNode, reason: string, fix: string): Way {
    return { unreached: { node: node.hostname, addr: node.addr, reason, fix } };
  }

  /**
   * Runs `argv` once on each node, all at once: one SSH round per node. A node Otto
   * can't log in to, or where the command fails, is in `unreached` with its fix.
   */
  async onEach(
    nodes: readonly SwarmNode[],
    argv: readonly string[],
    options: Pick<RunOptions, 'signal'> = {},
  ): Promise<EachResult> {
    const results = new Map<string, RunResult>();
    const unreached: Unreached[] = [];
    await Promise.all(
      nodes.map(async (node) => {
        const way = await this.way(node);
        if ('unreached' in way) return void unreached.push(way.unreached);
        try {
          const r = await way.transport.run(argv, {
            timeoutMs: this.options.timeoutMs ?? 30_000,
            ...options,
          });
          if (r.exitCode === 0) return void results.set(node.hostname, r);
          const said = r.stderr.trim().split('\n').at(-1) || `exit code ${r.exitCode}`;
          unreached.push({
            node: node.hostname,
            addr: node.addr,
            reason: `${argv.slice(0, 2).join(' ')} failed there: ${said}`,
            fix: `Check its engine (docker info on ${node.hostname}) and that the SSH user may use docker there.`,
          });
        } catch (e) {
          if (!(e instanceof OttoError)) throw e;
          unreached.push({
            node: node.hostname,
            addr: node.addr,
            reason: `Otto can't run commands there over SSH: ${e.message.replace(/\.$/, '')}`,
            fix: e.fix ?? 'Check that the node is up and that its sshd answers.',
          });
        }
      }),
    );
    unreached.sort((a, b) => a.node.localeCompare(b.node));
    return { results, unreached };
  }

  /** Closes the SSH connections this reach opened (the cluster's own stays open). */
  async close(): Promise<void> {
    const all = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(all.map((t) => t.close()));
  }
}
