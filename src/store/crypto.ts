import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { envValue } from '../config/env-value.js';

export const KEY_FILE = 'secret.key';

/** A rekey writes the new key here first, and renames it over secret.key once the database holds it. */
export const NEW_KEY_FILE = 'secret.key.new';

export interface SecretKey {
  readonly key: Buffer;
  /** Set when Otto made a new key file on this run: the caller tells the user. */
  readonly generatedAt?: string;
  /** Where the key came from: the environment, or `<data_dir>/secret.key`. */
  readonly source: 'env' | 'file';
  /** The key file (whether or not the key came from it). */
  readonly file: string;
}

/**
 * A key with fewer than 16 different byte values was not drawn at random (all
 * zeros, a repeated letter, a short word): it would only look like protection.
 * Random 32-byte keys have about 30 different values.
 */
export function isWeakKey(key: Buffer): boolean {
  return new Set(key).size < 16;
}

/** Reads a key given as base64 or hex; refuses one of the wrong size or a weak one. */
export function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(
      `The secret key in ${where} is not 32 bytes (base64 or hex).`,
      'Make one with: openssl rand -base64 32',
    );
  }
  if (isWeakKey(key)) {
    throw new ConfigError(
      `The secret key in ${where} is not random (it repeats a few byte values, like all zeros), so it would not protect the secrets.`,
      'Make a random one with: openssl rand -base64 32',
    );
  }
  return key;
}

/**
 * A rekey in two steps: the new key is written to secret.key.new (mode 0600) before
 * the database moves to it, and renamed over secret.key after. If Otto stops in
 * between, the new key is still on disk for the operator (start-up says so).
 */
export function stageKeyFile(dataDir: string, key: Buffer): void {
  writeFileSync(join(dataDir, NEW_KEY_FILE), key.toString('base64') + '\n', {
    mode: 0o600,
    flag: 'w',
  });
}

export function commitKeyFile(dataDir: string): void {
  renameSync(join(dataDir, NEW_KEY_FILE), join(dataDir, KEY_FILE));
}

/**
 * The AES-256 key: OTTO_SECRET_KEY (or the file OTTO_SECRET_KEY_FILE names), else `<data_dir>/secret.key`, else a new key
 * written there with mode 0600.
 */
export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretKey {
  const file = join(dataDir, KEY_FILE);
  const fromEnv = envValue(env, 'OTTO_SECRET_KEY');
  if (fromEnv) return { key: decodeKey(fromEnv, 'OTTO_SECRET_KEY'), source: 'env', file };
  if (existsSync(file))
    return { key: decodeKey(readFileSync(file, 'utf8'), file), source: 'file', file };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return { key, generatedAt: file, source: 'file', file };
}

/** AES-256-GCM; `context` (e.g. `secret:myapp/API_KEY`) binds the ciphertext to its row. */
export function encrypt(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return 'v1:' + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

export function decrypt(key: Buffer, stored: string, context: string): string {
  const raw = Buffer.from(stored.replace(/^v1:/, ''), 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new ConfigError(
      `Otto can't decrypt a stored value (${context}): the secret key is not the one it was stored with.`,
      'Start Otto with the OTTO_SECRET_KEY (or data_dir/secret.key) that was used to store it, or set the value again. If an otto secret rekey was cut short, the new key is in data_dir/secret.key.new.',
    );
  }
}
