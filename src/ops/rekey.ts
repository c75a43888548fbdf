import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { commitKeyFile, decodeKey, NEW_KEY_FILE, stageKeyFile } from '../store/crypto.js';
import type { Ops } from './ops.js';

export interface RekeyResult {
  readonly secrets: number;
  readonly registries: number;
  /** The key file now holding the new key; undefined when the key comes from OTTO_SECRET_KEY. */
  readonly file: string | undefined;
}

/**
 * Moves every stored secret and registry password to a new key. `input` is the new
 * key (base64 or hex); empty asks Otto to make a random one, which it can only do
 * when the key lives in data_dir/secret.key (Otto can't change your environment).
 * With a key file, the new key is staged beside it before the database moves and
 * renamed over it after: at no moment is the key the database needs lost.
 */
export async function rekey(ops: Ops, input: string): Promise<RekeyResult> {
  const fromEnv = ops.secretKey.source === 'env';
  if (!input && fromEnv)
    throw new ConfigError(
      'Otto reads its key from OTTO_SECRET_KEY, so it needs the new key on stdin: it will not change your environment for you.',
      'openssl rand -base64 32 > new.key; otto secret rekey < new.key, then set OTTO_SECRET_KEY to that key and restart Otto.',
    );
  const next = input ? decodeKey(input, 'the new key given on stdin') : randomBytes(32);
  if (fromEnv) {
    const moved = await ops.secrets.rekey(next);
    return { ...moved, file: undefined };
  }
  stageKeyFile(ops.config.dataDir, next);
  let moved;
  try {
    moved = await ops.secrets.rekey(next);
  } catch (e) {
    // Nothing moved (one transaction): the staged key opens nothing, so it goes too.
    rmSync(join(ops.config.dataDir, NEW_KEY_FILE), { force: true });
    throw e;
  }
  commitKeyFile(ops.config.dataDir);
  return { ...moved, file: ops.secretKey.file };
}
