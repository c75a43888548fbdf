import Database from 'better-sqlite3';
import { join } from 'node:path';

/** Reads rows of a workspace's database, read-only, as the tests check what Otto recorded. */
export function rows(dir: string, sql: string): Record<string, unknown>[] {
  const db = new Database(join(dir, 'data', 'otto.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}
