import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildConfig } from '../../src/config/config.js';
import { openOps, type Ops, type OutpostReach } from '../../src/ops/ops.js';
import type { Transport } from '../../src/transport/transport.js';
import { testKey } from './keys.js';

/** A one-service compose file, for fleets whose content does not matter. */
export const NGINX = 'services:\n  web:\n    image: nginx\n';

export interface TestOpsOptions {
  /** Files to write, relative to the project folder: `{ 'stacks/shop.yml': NGINX }`. */
  readonly files?: Readonly<Record<string, string>>;
  /** Every cluster's transport (a fake Swarm); the real ones when unset. */
  readonly transport?: Transport;
  /** Which test key encrypts the secrets. */
  readonly key?: number;
  /** How new servers are reached (outpost add): a fake server. */
  readonly outpostReach?: OutpostReach;
}

/**
 * Ops on a real SQLite file in a fresh folder, from an otto.yml given as data: the
 * set-up most unit tests of commands and stores share.
 *
 * @example const ops = await testOps({ clusters: { laptop: { local: true } } });
 */
export async function testOps(raw: unknown, options: TestOpsOptions = {}): Promise<Ops> {
  const dir = mkdtempSync(join(tmpdir(), 'otto-unit-'));
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const config = buildConfig(raw, dir, join(dir, 'otto.yml'));
  const transport = options.transport;
  return openOps(config, {
    env: { OTTO_SECRET_KEY: testKey(options.key ?? 0).toString('base64') },
    ...(transport ? { makeTransport: () => transport } : {}),
    ...(options.outpostReach ? { makeOutpostReach: () => options.outpostReach! } : {}),
  });
}
