import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { ApiTokensTable, Db } from './db.js';

/** A token as listed: never the token itself. */
export interface ApiToken {
  readonly name: string;
  readonly role: ApiTokensTable['role'];
  /** The fleets it may act on; undefined: every fleet. */
  readonly fleets: readonly string[] | undefined;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly lastUsedAt: string | null;
}

/** `otto_<name>_<43 characters>`: the name says whose it is, the rest is 256 random bits. */
const TOKEN = /^otto_([a-z0-9][a-z0-9-]{0,39})_([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

function toToken(row: Readonly<Selectable<ApiTokensTable>>): ApiToken {
  return {
    name: row.name,
    role: row.role,
    fleets: row.fleets ? (JSON.parse(row.fleets) as string[]) : undefined,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    lastUsedAt: row.lastUsedAt,
  };
}

/**
 * The HTTP API's bearer tokens. A token is 256 random bits, shown once when made;
 * only its SHA-256 is stored (a fast hash is enough for a random secret of that
 * size), and a presented token is compared in constant time.
 *
 * @example
 * const { token } = await tokens.create({ name: 'ci', role: 'deployer', createdBy: 'console:ada' });
 * (await tokens.verify(token))?.name // 'ci'
 */
export class ApiTokens {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Makes a token; undefined when the name is taken. */
  async create(input: {
    readonly name: string;
    readonly role: ApiTokensTable['role'];
    readonly fleets?: readonly string[];
    readonly createdBy: string;
  }): Promise<{ token: string; info: ApiToken } | undefined> {
    const token = `otto_${input.name}_${randomBytes(32).toString('base64url')}`;
    const r = await this.db
      .insertInto('apiTokens')
      .values({
        name: input.name,
        hash: sha256(token).toString('hex'),
        role: input.role,
        fleets: input.fleets?.length ? JSON.stringify([...input.fleets].sort()) : null,
        createdAt: this.now().toISOString(),
        createdBy: input.createdBy,
        lastUsedAt: null,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    return r ? { token, info: toToken(r) } : undefined;
  }

  /** The token's record when `token` is one Otto made and has not revoked; notes its use. */
  async verify(token: string): Promise<ApiToken | undefined> {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const row = await this.db
      .selectFrom('apiTokens')
      .selectAll()
      .where('name', '=', m[1]!)
      .executeTakeFirst();
    if (!row) return undefined;
    const stored = Buffer.from(row.hash, 'hex');
    const given = sha256(token);
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
    const lastUsedAt = this.now().toISOString();
    await this.db
      .updateTable('apiTokens')
      .set({ lastUsedAt })
      .where('name', '=', row.name)
      .execute();
    return toToken({ ...row, lastUsedAt });
  }

  async list(): Promise<ApiToken[]> {
    const rows = await this.db.selectFrom('apiTokens').selectAll().orderBy('name').execute();
    return rows.map(toToken);
  }

  /** Whether a token of that name was there (and is now gone). */
  async revoke(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('apiTokens').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
