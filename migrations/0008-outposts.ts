import { type Kysely, sql } from 'kysely';

/**
 * Outposts: the servers Otto added to a cluster itself (`otto outpost add`), with
 * how to reach them (host, port, user, key file, pinned host key), the role they
 * took and, once joined, their Swarm node id. otto.yml is never rewritten: managers
 * added this way join the cluster's failover list after the ones written there.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outposts')
    .addColumn('cluster', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('user', 'text', (c) => c.notNull())
    /** The private key file Otto logs in with, as given (a path on Otto's machine). */
    .addColumn('key_file', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role IN ('manager', 'worker')`))
    /** The host key confirmed when it was added: `SHA256:…`. */
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    /** The Swarm node id; null until the node has joined (or initialised) the Swarm. */
    .addColumn('node_id', 'text')
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('outposts_pk', ['cluster', 'host', 'port'])
    .execute();
}
