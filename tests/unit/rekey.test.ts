import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { openOps } from '../../src/ops/ops.js';
import { rekey } from '../../src/ops/rekey.js';
import { encrypt } from '../../src/store/crypto.js';
import { testKey } from '../support/keys.js';

describe('otto secret rekey with a key file', () => {
  it('leaves no staged key behind when a value can not be moved, and keeps the old key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otto-rekey-'));
    const config = buildConfig({ clusters: { l: { local: true } } }, dir, join(dir, 'otto.yml'));
    const ops = await openOps(config, { env: {} });
    try {
      const keyFile = join(config.dataDir, 'secret.key');
      const before = readFileSync(keyFile, 'utf8');
      // A value the current key can't open: the transaction stops before anything moved.
      await ops.db
        .insertInto('secrets')
        .values({
          fleet: 'x',
          name: 'X',
          ciphertext: encrypt(testKey(1), 'v', 'secret:x/X'),
          updatedAt: '',
        })
        .execute();
      await expect(rekey(ops, '')).rejects.toThrow(/can't decrypt/);
      expect(existsSync(join(config.dataDir, 'secret.key.new'))).toBe(false);
      expect(readFileSync(keyFile, 'utf8')).toBe(before);
    } finally {
      await ops.close();
    }
  });
});
