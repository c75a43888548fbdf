import { FleetSources } from './fleet-source.js';
import { ApiTokens } from '../store/api-tokens.js';
import { Previews } from '../store/previews.js';
import { GitRepos } from './git-repos.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterConfig, OttoConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { Approvals } from '../store/approvals.js';
import { AuditLog } from '../store/audit.js';
import { ClusterTransport, DockerHostTransport } from '../transport/cluster-transport.js';
import { loadSecretKey, NEW_KEY_FILE } from '../store/crypto.js';
import { type Db, migrate, openDb } from '../store/db.js';
import { Deployments } from '../store/deployments.js';
import { sqliteHostKeys } from '../store/host-keys.js';
import { DeployNotices } from '../store/deploy-notices.js';
import { Incidents } from '../store/incidents.js';
import { Operations } from '../store/operations.js';
import { Outposts } from '../store/outposts.js';
import { Silences } from '../store/silences.js';
import { LocalTransport } from '../transport/local-transport.js';
import { Locks } from '../store/locks.js';
import type { Owner } from '../store/process-alive.js';
import { SecretStore } from '../store/secrets.js';
import {
  probeHostKey,
  SshTransport,
  type HostKeyStore,
  type SshTarget,
} from '../transport/ssh-transport.js';
import { TracingTransport } from '../transport/trace.js';
import type { Transport } from '../transport/transport.js';

export const DB_FILE = 'otto.db';

/** Everything the command layer may use to act: the database-backed stores and the clusters. */
export interface Ops {
  readonly config: OttoConfig;
  readonly db: Db;
  readonly locks: Locks;
  readonly deployments: Deployments;
  readonly secrets: SecretStore;
  readonly approvals: Approvals;
  readonly audit: AuditLog;
  readonly incidents: Incidents;
  readonly silences: Silences;
  readonly deployNotices: DeployNotices;
  /** Restarts and scales: changes to a running fleet that are not a new version. */
  readonly operations: Operations;
  /** The servers Otto added to clusters itself (`otto outpost add`). */
  readonly outposts: Outposts;
  /** The HTTP API's tokens (`otto token create`). */
  readonly tokens: ApiTokens;
  /** Live pull request previews. */
  readonly previews: Previews;
  /** Where fleets' compose files come from: files, or git repositories (cloned under data_dir). */
  readonly sources: FleetSources;
  /** Start-up notices for the operator (a generated key, interrupted launches cleaned up). */
  readonly notices: readonly string[];
  /** Where the secret key lives: OTTO_SECRET_KEY, or the key file in data_dir. */
  readonly secretKey: { readonly source: 'env' | 'file'; readonly file: string };
  transport(cluster: string): Transport;
  /** Reads the managers Otto added again: the clusters' failover lists take them in. */
  reloadOutposts(): Promise<void>;
  /** What outpost add needs to reach a new server of `cluster`: its host key, then a login. */
  outpostReach(cluster: ClusterConfig): OutpostReach;
  close(): Promise<void>;
}

/**
 * Marks what a stopped Otto left running `interrupted` and frees its launch locks:
 * processes of this machine that are gone, and `gone`, an Otto whose lease expired
 * (on any machine). Returns a notice per launch or operation.
 */
export async function reapLeftovers(
  ops: Pick<Ops, 'locks' | 'deployments' | 'operations'>,
  gone?: Owner,
): Promise<string[]> {
  const notices: string[] = [];
  for (const d of await ops.deployments.reapInterrupted(gone)) {
    notices.push(
      `Launch ${d.fleet} v${d.version} was left unfinished by a stopped Otto; it is now marked interrupted.`,
    );
  }
  for (const o of await ops.operations.reapInterrupted(gone)) {
    notices.push(
      `The ${o.kind} of ${o.fleet} ${o.service} was left unfinished by a stopped Otto; it is now marked interrupted.`,
    );
  }
  await ops.locks.reap(gone);
  return notices;
}

/** How a new server is reached: the host key it offers, and an SSH login with that key pinned. */
export interface OutpostReach {
  readonly hostKeys: HostKeyStore;
  probe(host: string, port: number): Promise<string>;
  connect(target: SshTarget): Transport;
}

export interface OpenOpsOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces how a cluster's transport is made (tests count calls with it). */
  readonly makeTransport?: (cluster: ClusterConfig, db: Db) => Transport;
  /** Replaces how new servers are reached (tests answer for a fake server). */
  readonly makeOutpostReach?: (cluster: ClusterConfig, db: Db) => OutpostReach;
}

/** Where transports say what an operator should know (stderr unless a test listens). */
const stderrLog = (line: string) => void process.stderr.write(`${line}\n`);

/** New servers over real SSH: the host key read in the handshake, logins traced with OTTO_TRACE. */
export function defaultOutpostReach(
  cluster: ClusterConfig,
  db: Db,
  trace: boolean,
  log: (line: string) => void = stderrLog,
): OutpostReach {
  const hostKeys = sqliteHostKeys(db, cluster.name);
  return {
    hostKeys,
    probe: (host, port) => probeHostKey(host, port),
    connect: (target) => {
      const ssh = new SshTransport(target, hostKeys, { log });
      return trace ? new TracingTransport(ssh) : ssh;
    },
  };
}

export function defaultTransport(
  cluster: ClusterConfig,
  db: Db,
  log: (line: string) => void = stderrLog,
  extraManagers: readonly SshTarget[] = [],
): Transport {
  if (cluster.kind === 'local')
    return new DockerHostTransport(new LocalTransport(), cluster.dockerHost);
  const hostKeys = sqliteHostKeys(db, cluster.name);
  // A manager's config is the SSH target itself: host, port, user, key file, pinned key.
  // Managers Otto added (outpost add) come after those of otto.yml, in the order added.
  const configured = new Set(cluster.managers.map((m) => `${m.host}:${m.port}`));
  const targets = [
    ...cluster.managers,
    ...extraManagers.filter((m) => !configured.has(`${m.host}:${m.port}`)),
  ];
  const managers = targets.map((m) => new SshTransport(m, hostKeys, { log }));
  return new DockerHostTransport(
    new ClusterTransport(cluster.name, managers, cluster.strictHostKeys),
    cluster.dockerHost,
  );
}

/** Opens the database (migrating it), the secret key and lazy cluster transports. */
export async function openOps(config: OttoConfig, options: OpenOpsOptions = {}): Promise<Ops> {
  let db: Db;
  try {
    db = openDb(join(config.dataDir, DB_FILE));
  } catch (e) {
    throw new ConfigError(
      `Otto can't open its database in ${config.dataDir}: ${e instanceof Error ? e.message : String(e)}.`,
      'Check that data_dir exists or can be created, and that Otto may write there.',
    );
  }
  const { error } = await migrate(db);
  if (error) {
    await db.destroy();
    throw new ConfigError(
      `Otto could not migrate its database in ${config.dataDir}: ${error instanceof Error ? error.message : String(error)}`,
      'Check that data_dir is writable and not used by a newer Otto.',
    );
  }
  const notices: string[] = [];
  let key;
  try {
    key = loadSecretKey(config.dataDir, options.env);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  if (existsSync(join(config.dataDir, NEW_KEY_FILE)))
    notices.push(
      `${join(config.dataDir, NEW_KEY_FILE)} is left from an otto secret rekey that was cut short. If stored secrets can't be read, that file holds the key they now need: move it over ${key.file}.`,
    );
  if (key.generatedAt) {
    notices.push(
      `Otto generated a new secret key in ${key.generatedAt} (mode 0600). Back it up: without it, stored secrets can't be read. Set OTTO_SECRET_KEY to use your own.`,
    );
  }
  const locks = new Locks(db);
  const deployments = new Deployments(db);
  const operations = new Operations(db);
  notices.push(...(await reapLeftovers({ locks, deployments, operations })));
  const transports = new Map<string, Transport>();
  const retired: Transport[] = [];
  const outposts = new Outposts(db);
  /** Managers added with outpost add, by cluster: SSH targets with their confirmed keys. */
  let added = new Map<string, SshTarget[]>();
  const loadAdded = async () => {
    added = new Map();
    for (const o of await outposts.list()) {
      if (o.role !== 'manager') continue;
      const list = added.get(o.cluster) ?? [];
      list.push({
        host: o.host,
        port: o.port,
        user: o.user,
        privateKeyFile: o.keyFile,
        hostKey: o.fingerprint,
      });
      added.set(o.cluster, list);
    }
  };
  await loadAdded();
  const make =
    options.makeTransport ??
    ((cluster: ClusterConfig, d: Db) =>
      defaultTransport(cluster, d, stderrLog, added.get(cluster.name) ?? []));
  return {
    config,
    db,
    locks,
    deployments,
    secrets: new SecretStore(db, key.key),
    approvals: new Approvals(db),
    audit: new AuditLog(db),
    incidents: new Incidents(db),
    silences: new Silences(db),
    deployNotices: new DeployNotices(db),
    operations,
    outposts,
    tokens: new ApiTokens(db),
    previews: new Previews(db),
    sources: new FleetSources(new GitRepos(config.dataDir), deployments),
    async reloadOutposts() {
      await loadAdded();
      // The next use of a cluster builds its failover list again, with the new managers.
      // The old transport may still serve a running watch or launch: it is closed with Ops.
      for (const [name, t] of [...transports]) {
        transports.delete(name);
        retired.push(t);
      }
    },
    notices,
    secretKey: { source: key.source, file: key.file },
    outpostReach(cluster) {
      const trace = Boolean(options.env?.['OTTO_TRACE'] ?? process.env['OTTO_TRACE']);
      return options.makeOutpostReach
        ? options.makeOutpostReach(cluster, db)
        : defaultOutpostReach(cluster, db, trace);
    },
    transport(name) {
      let t = transports.get(name);
      if (!t) {
        const cluster = config.clusters.get(name);
        if (!cluster) throw new ConfigError(`There is no cluster named ${name} in otto.yml.`);
        t = make(cluster, db);
        if (options.env?.['OTTO_TRACE'] ?? process.env['OTTO_TRACE']) t = new TracingTransport(t);
        transports.set(name, t);
      }
      return t;
    },
    async close() {
      await Promise.all([...transports.values(), ...retired].map((t) => t.close()));
      await db.destroy();
    },
  };
}
