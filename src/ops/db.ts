import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  type Generated,
  Kysely,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  SqliteDialect,
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
  compose_snapshot: string;
  reason: string | null;
  rollback_of: number | null;
  pid: number;
  hostname: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface LocksTable {
  fleet: string;
  holder: string;
  reason: string;
  pid: number;
  hostname: string;
  acquired_at: string;
}

export interface HostKeysTable {
  host: string;
  port: number;
  fingerprint: string;
  first_seen_at: string;
}

export interface SecretsTable {
  fleet: string;
  name: string;
  ciphertext: string;
  updated_at: string;
}

export interface RegistryCredentialsTable {
  cluster: string;
  registry: string;
  username: string;
  ciphertext: string;
  updated_at: string;
}

export interface Schema {
  deployments: DeploymentsTable;
  locks: LocksTable;
  host_keys: HostKeysTable;
  secrets: SecretsTable;
  registry_credentials: RegistryCredentialsTable;
}

export type Db = Kysely<Schema>;
export type Deployment = Selectable<DeploymentsTable>;
export type Lock = Selectable<LocksTable>;

const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };

/** Opens (and creates) the SQLite file in WAL mode. Does not migrate. */
export function openDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
}

/** Applies every pending migration. Returns instead of throwing, like kysely's Migrator. */
export async function migrate(
  db: Db,
): Promise<{ error: unknown; results: readonly MigrationResult[] }> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  return { error, results: results ?? [] };
}
