import type { Selectable } from 'kysely';
import type { Db, HostKeyMismatchesTable } from './db.js';
import type { HostKeyStore } from '../transport/ssh-transport.js';

/**
 * Trusted-on-first-use host keys, kept in SQLite, and the changed keys seen on the
 * managers of `cluster` (each offered fingerprint recorded once, for one alert).
 */
export function sqliteHostKeys(db: Db, cluster: string): HostKeyStore {
  return {
    async get(host, port) {
      const row = await db
        .selectFrom('host_keys')
        .select('fingerprint')
        .where('host', '=', host)
        .where('port', '=', port)
        .executeTakeFirst();
      return row?.fingerprint;
    },
    async remember(host, port, fingerprint) {
      await db
        .insertInto('host_keys')
        .values({ host, port, fingerprint, firstSeenAt: new Date().toISOString() })
        .onConflict((oc) => oc.columns(['host', 'port']).doNothing())
        .execute();
    },
    async mismatch(host, port, expected, offered) {
      const now = new Date().toISOString();
      await db
        .insertInto('host_key_mismatches')
        .values({ cluster, host, port, expected, offered, firstSeenAt: now, lastSeenAt: now })
        .onConflict((oc) =>
          oc.columns(['host', 'port', 'offered']).doUpdateSet({ lastSeenAt: now }),
        )
        .execute();
    },
  };
}

export type HostKeyMismatch = Selectable<HostKeyMismatchesTable>;

/** Changed host keys seen on a cluster's managers that no alert has shown yet. */
export async function unalertedMismatches(db: Db, cluster: string): Promise<HostKeyMismatch[]> {
  return db
    .selectFrom('host_key_mismatches')
    .selectAll()
    .where('cluster', '=', cluster)
    .where('alertedAt', 'is', null)
    .orderBy('firstSeenAt')
    .execute();
}

/** Marks one changed key as alerted: it is not alerted again, whatever the restarts. */
export async function markMismatchAlerted(db: Db, m: HostKeyMismatch, at: string): Promise<void> {
  await db
    .updateTable('host_key_mismatches')
    .set({ alertedAt: at })
    .where('host', '=', m.host)
    .where('port', '=', m.port)
    .where('offered', '=', m.offered)
    .execute();
}
