import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  type Generated,
  Kysely,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  SqliteDialect,
  CamelCasePlugin,
  type Selectable,
} from 'kysely';
import { migrations } from '../../migrations/index.js';

export type DeploymentStatus = 'deploying' | 'succeeded' | 'failed' | 'interrupted';

export interface DeploymentsTable {
  id: Generated<number>;
  fleet: string;
  version: number;
  status: DeploymentStatus;
  actor: string;
  composeSnapshot: string;
  reason: string | null;
  rollbackOf: number | null;
  pid: number;
  hostname: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** The compose as Docker received it, secrets masked; null for launches before 0007. */
  renderedCompose: Generated<string | null>;
  /** A git fleet's commit (full SHA), the branch or tag asked for (empty for a SHA), its subject. */
  gitSha: Generated<string | null>;
  gitRef: Generated<string | null>;
  gitSubject: Generated<string | null>;
  /** Images given for the launch by service, as JSON (`{"web":"1.4.2"}`); null for none. */
  imageOverrides: Generated<string | null>;
}

export interface DeploymentImagesTable {
  deploymentId: number;
  /** The compose service name (`web`). */
  service: string;
  /** The reference as rendered, without a digest: `127.0.0.1:5000/otto/web:latest`. */
  image: string;
  /** The registry digest that ran (`sha256:…`); null for a local image, whose return runs the tag. */
  digest: string | null;
}

export interface LocksTable {
  fleet: string;
  holder: string;
  reason: string;
  pid: number;
  hostname: string;
  acquiredAt: string;
  /** 1 for a `lock` command's lock, which no process owns. */
  manual: number;
  /** The approval request this launch's lock carries out, if any. */
  requestId: Generated<number | null>;
}

export type ApprovalAction = 'launch' | 'rollback' | 'scale';
/** pending → approved | denied | expired | stale (the fleet moved on before approval). */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'stale';

export interface ApprovalsTable {
  id: Generated<number>;
  fleet: string;
  action: ApprovalAction;
  status: ApprovalStatus;
  requester: string;
  channel: string;
  needed: number;
  composeSnapshot: string;
  /** The fleet's newest version when the request was made. */
  fromVersion: number | null;
  /** The version a rollback returns to. */
  targetVersion: number | null;
  createdAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  /** The deployment an approved request started. */
  deploymentVersion: number | null;
  /** The chat message that shows the request: `slack:<channel>:<ts>`. */
  messageRef: Generated<string | null>;
  /** The state that message shows now (`pending:1`, `approved`), to know when to redraw it. */
  messageDrawn: Generated<string | null>;
  /** A git fleet's commit (full SHA), the branch or tag asked for (empty for a SHA), its subject. */
  gitSha: Generated<string | null>;
  gitRef: Generated<string | null>;
  gitSubject: Generated<string | null>;
  /** Images given for the launch by service, as JSON (`{"web":"1.4.2"}`); null for none. */
  imageOverrides: Generated<string | null>;
  /** A scale request's service and the replicas it asks for. */
  scaleService: Generated<string | null>;
  scaleReplicas: Generated<number | null>;
}

export type OperationKind = 'restart' | 'scale';
export type OperationStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

/** A restart or scale: a change to a running fleet that is not a new version. */
export interface OperationsTable {
  id: Generated<number>;
  fleet: string;
  kind: OperationKind;
  service: string;
  /** What changed, in words: `replicas 2 → 4`; empty for a restart. */
  detail: string;
  actor: string;
  status: OperationStatus;
  reason: string | null;
  pid: number;
  hostname: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface ApprovalVotesTable {
  approvalId: number;
  approver: string;
  votedAt: string;
}

export type AuditOutcome = 'ok' | 'failed' | 'usage' | 'refused';

export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  platform: string;
  channel: string;
  command: string;
  fleet: string | null;
  outcome: AuditOutcome;
  /** The reply's first line. */
  summary: string;
  durationMs: number;
}

export interface HostKeysTable {
  host: string;
  port: number;
  fingerprint: string;
  firstSeenAt: string;
}

export interface SecretsTable {
  fleet: string;
  name: string;
  ciphertext: string;
  updatedAt: string;
}

export interface RegistryCredentialsTable {
  cluster: string;
  registry: string;
  username: string;
  ciphertext: string;
  updatedAt: string;
}

export interface WatchHealthTable {
  /** `service:<cluster>:<name>`, `node:<cluster>:<hostname>` or `cluster:<name>`. */
  subject: string;
  /** The judged record, as JSON. */
  record: string;
  updatedAt: string;
}

export type IncidentKind = 'service' | 'node' | 'cluster' | 'memory';

export interface IncidentsTable {
  id: Generated<number>;
  subject: string;
  kind: IncidentKind;
  cluster: string;
  fleet: string | null;
  /** The compose service name (`web`), for service incidents. */
  service: string | null;
  /** degraded, crash_looping, down (services); down, drain (nodes); unreachable (clusters). */
  state: string;
  /** Why, in words: `exits with code 3`. */
  reason: string;
  openedAt: string;
  updatedAt: string;
  remindedAt: string;
  resolvedAt: string | null;
  /** Alert target → the message that shows this incident there, as JSON. */
  refs: Generated<string>;
}

export interface SilencesTable {
  id: Generated<number>;
  fleet: string;
  /** null silences the whole fleet. */
  service: string | null;
  until: string;
  actor: string;
  createdAt: string;
}

export interface DeployNoticesTable {
  deploymentId: number;
  /** Alert target → the message announcing the launch, as JSON. */
  refs: Generated<string>;
  /** 1 once the launch's end was drawn. */
  finished: Generated<number>;
}

export interface SeenRequestsTable {
  /** `slack-sig:<signature>`, `slack-trigger:<trigger_id>`. */
  id: string;
  seenAt: string;
}

export interface HostKeyMismatchesTable {
  cluster: string;
  host: string;
  port: number;
  /** The fingerprint Otto pinned or trusted first. */
  expected: string;
  /** The fingerprint the host offered instead. */
  offered: string;
  firstSeenAt: string;
  lastSeenAt: string;
  /** When the watcher alerted it; null until then. */
  alertedAt: string | null;
}

export type OutpostRole = 'manager' | 'worker';

/** A live pull request preview (`shop-pr-42`). */
export interface PreviewsTable {
  fleet: string;
  parent: string;
  number: number;
  headSha: string;
  headRef: string;
  domain: string;
  openedBy: string;
  updatedAt: string;
  expiresAt: string;
  messageRef: string | null;
  messageDrawn: Generated<string | null>;
  state: Generated<'live' | 'closed'>;
}

/** A token of the HTTP API: only its SHA-256 is kept. */
export interface ApiTokensTable {
  name: string;
  /** Hex SHA-256 of the whole token. */
  hash: string;
  role: 'viewer' | 'deployer' | 'approver' | 'admin';
  /** JSON list of the fleets it may act on; null: every fleet. */
  fleets: string | null;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
}

export interface OutpostsTable {
  cluster: string;
  host: string;
  port: number;
  user: string;
  /** The private key file Otto logs in with (a path on Otto's machine). */
  keyFile: string;
  role: OutpostRole;
  /** The host key confirmed when the outpost was added: `SHA256:…`. */
  fingerprint: string;
  /** The Swarm node id; null until the node joined (or initialised) the Swarm. */
  nodeId: string | null;
  addedAt: string;
  /** Who added it: `console:alice`, `slack:U123`. */
  addedBy: string;
}

/** The one active `otto start` (row `active`), until `expiresAt` (ms since the epoch). */
export interface LeasesTable {
  name: string;
  holder: string;
  hostname: string;
  pid: number;
  since: number;
  expiresAt: number;
}

export interface Schema {
  leases: LeasesTable;
  operations: OperationsTable;
  outposts: OutpostsTable;
  apiTokens: ApiTokensTable;
  previews: PreviewsTable;
  seen_requests: SeenRequestsTable;
  host_key_mismatches: HostKeyMismatchesTable;
  watch_health: WatchHealthTable;
  incidents: IncidentsTable;
  silences: SilencesTable;
  deploy_notices: DeployNoticesTable;
  deployments: DeploymentsTable;
  deployment_images: DeploymentImagesTable;
  locks: LocksTable;
  host_keys: HostKeysTable;
  secrets: SecretsTable;
  registry_credentials: RegistryCredentialsTable;
  approvals: ApprovalsTable;
  approval_votes: ApprovalVotesTable;
  audit: AuditTable;
}

export type Db = Kysely<Schema>;
export type Deployment = Selectable<DeploymentsTable>;
export type Operation = Selectable<OperationsTable>;
export type DeploymentImage = Selectable<DeploymentImagesTable>;
export type Lock = Selectable<LocksTable>;
export type Approval = Selectable<ApprovalsTable>;
export type AuditEntry = Selectable<AuditTable>;
export type Incident = Selectable<IncidentsTable>;
export type Silence = Selectable<SilencesTable>;

const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };

/**
 * The database holds encrypted secrets, the audit log and who approved what: its
 * folder is 0700 and its files 0600, whatever the umask (and also when an earlier
 * Otto made them with looser modes).
 */
function lockDown(file: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // Made before SQLite opens it: the -wal and -shm files copy the database's mode.
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/** Opens (and creates) the SQLite file in WAL mode. Does not migrate. */
export function openDb(file: string): Db {
  if (file !== ':memory:') lockDown(file);
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  // With WAL, NORMAL syncs at checkpoints instead of at every commit: still crash-safe
  // for the process (only a power cut can lose the last commits), and an audit row no
  // longer blocks the event loop on an fsync while chat acks wait behind it.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // Columns are snake_case in SQLite and camelCase above this file: no snake_case
  // reaches the commands. (Raw sql`` fragments still name snake_case columns.)
  return new Kysely<Schema>({
    dialect: new SqliteDialect({ database: sqlite }),
    plugins: [new CamelCasePlugin()],
  });
}

/** Applies every pending migration. Returns instead of throwing, like kysely's Migrator. */
export async function migrate(
  db: Db,
): Promise<{ error: unknown; results: readonly MigrationResult[] }> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  return { error, results: results ?? [] };
}

/** The commit a git fleet's launch deployed, as recorded: full SHA, branch or tag (empty for a SHA), subject. */
export interface RecordedCommit {
  readonly sha: string;
  readonly ref: string;
  readonly subject: string;
}

/** A row's commit, when it has one (a git fleet's launch or request). */
export function commitOf(row: {
  readonly gitSha: string | null;
  readonly gitRef: string | null;
  readonly gitSubject: string | null;
}): RecordedCommit | undefined {
  return row.gitSha
    ? { sha: row.gitSha, ref: row.gitRef ?? '', subject: row.gitSubject ?? '' }
    : undefined;
}

/** The columns that record `commit` (all null without one). */
export function commitColumns(commit: RecordedCommit | undefined) {
  return {
    gitSha: commit?.sha ?? null,
    gitRef: commit?.ref ?? null,
    gitSubject: commit?.subject ?? null,
  };
}

/** `{ commit }` when there is one, for optional `commit` fields. */
export function withCommit(commit: RecordedCommit | undefined): { commit?: RecordedCommit } {
  return commit ? { commit } : {};
}

/** A row's image overrides (`launch shop web=1.4.2`), by service; empty when none. */
export function overridesOf(row: { readonly imageOverrides: string | null }): Map<string, string> {
  if (!row.imageOverrides) return new Map();
  return new Map(Object.entries(JSON.parse(row.imageOverrides) as Record<string, string>));
}

/** The column that records `overrides` (null for none). */
export function overridesColumn(overrides: ReadonlyMap<string, string> | undefined) {
  return {
    imageOverrides: overrides?.size ? JSON.stringify(Object.fromEntries(overrides)) : null,
  };
}
