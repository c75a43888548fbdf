import type { Db } from './db.js';
import type { HostKeyStore } from './ssh-transport.js';

/** Trusted-on-first-use host keys, kept in SQLite. */
export function sqliteHostKeys(db: Db): HostKeyStore {
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
        .values({ host, port, fingerprint, first_seen_at: new Date().toISOString() })
        .onConflict((oc) => oc.columns(['host', 'port']).doNothing())
        .execute();
    },
  };
}
