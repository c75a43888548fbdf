import type { Db } from './db.js';
import { decrypt, encrypt } from './crypto.js';
import { SecretMask } from './secret-mask.js';

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Encrypted per-fleet secrets. Values leave this module only for rendering. */
export interface RegistryLogin {
  readonly registry: string;
  readonly username: string;
  readonly password: string;
}

export class SecretStore {
  constructor(
    private readonly db: Db,
    private key: Buffer,
  ) {}

  /**
   * Re-encrypts every secret and registry password under `next`, in one
   * transaction: either all rows move to the new key or none does. The store uses
   * `next` from then on. Returns how many values moved.
   */
  async rekey(next: Buffer): Promise<{ secrets: number; registries: number }> {
    const moveTo = (ciphertext: string, context: string) =>
      encrypt(next, decrypt(this.key, ciphertext, context), context);
    const moved = await this.db.transaction().execute(async (trx) => {
      const secrets = await trx.selectFrom('secrets').selectAll().execute();
      for (const r of secrets) {
        await trx
          .updateTable('secrets')
          .set({ ciphertext: moveTo(r.ciphertext, `secret:${r.fleet}/${r.name}`) })
          .where('fleet', '=', r.fleet)
          .where('name', '=', r.name)
          .execute();
      }
      const logins = await trx.selectFrom('registry_credentials').selectAll().execute();
      for (const r of logins) {
        await trx
          .updateTable('registry_credentials')
          .set({ ciphertext: moveTo(r.ciphertext, `registry:${r.cluster}/${r.registry}`) })
          .where('cluster', '=', r.cluster)
          .where('registry', '=', r.registry)
          .execute();
      }
      return { secrets: secrets.length, registries: logins.length };
    });
    this.key = next;
    return moved;
  }

  async set(fleet: string, name: string, value: string): Promise<void> {
    const ciphertext = encrypt(this.key, value, `secret:${fleet}/${name}`);
    const updatedAt = new Date().toISOString();
    await this.db
      .insertInto('secrets')
      .values({ fleet, name, ciphertext, updatedAt })
      .onConflict((oc) => oc.columns(['fleet', 'name']).doUpdateSet({ ciphertext, updatedAt }))
      .execute();
  }

  async names(fleet: string): Promise<{ name: string; updatedAt: string }[]> {
    const rows = await this.db
      .selectFrom('secrets')
      .select(['name', 'updatedAt'])
      .where('fleet', '=', fleet)
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ name: r.name, updatedAt: r.updatedAt }));
  }

  async values(fleet: string): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom('secrets')
      .selectAll()
      .where('fleet', '=', fleet)
      .execute();
    return new Map(
      rows.map((r) => [r.name, decrypt(this.key, r.ciphertext, `secret:${fleet}/${r.name}`)]),
    );
  }

  async setRegistry(
    cluster: string,
    registry: string,
    username: string,
    password: string,
  ): Promise<void> {
    const ciphertext = encrypt(this.key, password, `registry:${cluster}/${registry}`);
    const updatedAt = new Date().toISOString();
    await this.db
      .insertInto('registry_credentials')
      .values({ cluster, registry, username, ciphertext, updatedAt })
      .onConflict((oc) =>
        oc.columns(['cluster', 'registry']).doUpdateSet({ username, ciphertext, updatedAt }),
      )
      .execute();
  }

  /**
   * What must never be shown for a fleet: its secrets' values and the passwords of
   * its cluster's registries, in every form they can be printed in.
   */
  async mask(fleet: string, cluster: string): Promise<SecretMask> {
    return maskOf(await this.values(fleet), await this.registries(cluster));
  }

  async registries(cluster: string): Promise<RegistryLogin[]> {
    const rows = await this.db
      .selectFrom('registry_credentials')
      .selectAll()
      .where('cluster', '=', cluster)
      .execute();
    return rows.map((r) => ({
      registry: r.registry,
      username: r.username,
      password: decrypt(this.key, r.ciphertext, `registry:${cluster}/${r.registry}`),
    }));
  }
}

/** The mask of a fleet's secret values and its cluster's registry passwords, once read. */
export function maskOf(
  secrets: ReadonlyMap<string, string>,
  logins: readonly RegistryLogin[],
): SecretMask {
  return new SecretMask([...secrets.values(), ...logins.map((l) => l.password)]);
}
