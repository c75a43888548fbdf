/**
 * Discord figures for `npm run bench`: the time from sending INTERACTION_CREATE on
 * the gateway to Otto's defer callback, for 200 `/otto help` interactions sent 20
 * at a time after an uncounted warm-up burst of 20 (p50, p99; target p99 under
 * 100 ms, Discord allows 3 s). Discord is the local stand-in of the tests.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { percentile } from './stats.js';
import { APP_ID, DiscordStandin, member, slash } from '../tests/support/discord-standin.js';
import { startOtto } from '../tests/support/otto-process.js';
import type { Testbed } from '../tests/support/testbed.js';

const INTERACTIONS = 200;
const CONCURRENCY = 20;
const USER = '300000000000000009';

export async function discordBench(bed: Testbed) {
  const standin = new DiscordStandin();
  await standin.listen();
  const dir = mkdtempSync(join(tmpdir(), 'otto-bench-discord-'));
  const file = join(dir, 'otto.yml');
  writeFileSync(
    file,
    stringify({
      clusters: { local: { local: true, docker_host: bed.dockerHost } },
      access: { [`discord:${USER}`]: 'viewer' },
      discord: { token: 'MTAw.bench-token.abcdefghijkl', application_id: APP_ID, api_url: standin.apiUrl },
    }),
  );
  const otto = startOtto(file, dir);
  try {
    await otto.waitForLog('Discord connected');
    await standin.waitReady();
    const round = async (n: number) => {
      const times: number[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next++ < n) times.push(await standin.interaction({ ...slash('help'), member: member(USER) }).deferred);
        }),
      );
      return times;
    };
    await round(CONCURRENCY);
    const times = await round(INTERACTIONS);
    return {
      interactions: INTERACTIONS,
      concurrency: CONCURRENCY,
      defer_p50_ms: percentile(times, 50),
      defer_p99_ms: percentile(times, 99),
      under_100ms_p99: percentile(times, 99) < 100,
    };
  } finally {
    await otto.stop();
    await standin.close();
  }
}
