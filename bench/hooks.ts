/**
 * Git and webhook figures for `npm run bench`:
 * - webhook → launch started: 100 signed generic deliveries, one after another, to
 *   `otto start`, each a push that a git fleet (a `file://` repository) launches.
 *   The fleet needs an approval, so each push ends as a recorded request: the whole
 *   path (signature, de-duplication, matching, fetch, ref to commit, compose read
 *   and checks, the request recorded) without the Swarm's own time. p50 and p99 of
 *   the answer's round trip after 10 uncounted; target p99 under 200 ms.
 * - clone reuse: the first read of a repository clones it, the next ones only fetch
 *   (the clone's folder is the same one); the time of each.
 */
import { createHmac } from 'node:crypto';
import { statSync } from 'node:fs';
import { stringify } from 'yaml';
import { GitRepos } from '../src/ops/git-repos.js';
import { testRepo } from '../tests/support/git-repo.js';
import { startOtto } from '../tests/support/otto-process.js';
import type { Testbed } from '../tests/support/testbed.js';
import { workspace } from '../tests/support/workspace.js';
import { percentile } from './stats.js';

const DELIVERIES = 100;
const WARMUP = 10;
const SECRET = 'bench-generic-hook-secret';

export async function hooksBench(bed: Testbed) {
  const repo = await testRepo();
  const sha = await repo.commit(
    { 'compose.yaml': stringify({ services: { web: { image: bed.images.v1 } } }) },
    'Bench',
  );

  // Clone reuse, on Otto's own clone cache.
  const cache = new GitRepos((await import('node:fs')).mkdtempSync('/tmp/otto-bench-git-'));
  const source = { repo: repo.url, ref: undefined, path: undefined, keyFile: undefined };
  const timed = async () => {
    const t0 = performance.now();
    await cache.read(source, undefined);
    return performance.now() - t0;
  };
  const cloneMs = await timed();
  const dir = cache.cloneDir(repo.url);
  const inode = statSync(dir).ino;
  const fetchMs = [await timed(), await timed(), await timed()];

  const ws = workspace(
    bed,
    {
      hooked: {
        extra: { git: { repo: repo.url }, auto_launch: true, approvals: { launch: 1 } },
      },
    },
    undefined,
    { http: { port: 0, hooks: { generic: { secret: SECRET } } } },
  );
  const otto = startOtto(ws.config, ws.dir);
  try {
    await otto.waitForLog("Otto's HTTP API listens on 127.0.0.1:");
    const port = /HTTP API listens on 127\.0\.0\.1:(\d+)/.exec(otto.log())?.[1];
    const send = async (n: number) => {
      const body = JSON.stringify({
        repository: repo.url,
        ref: 'refs/heads/main',
        sha,
        default_branch: 'main',
        pusher: `bench-${n}`,
      });
      const stamp = Math.floor(Date.now() / 1000);
      const sig = createHmac('sha256', SECRET).update(`${stamp}.${body}`).digest('hex');
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/hooks/generic`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-otto-timestamp': String(stamp),
          'x-otto-signature': `sha256=${sig}`,
        },
        body,
      });
      const json = (await r.json()) as { launches?: { approval?: number }[] };
      const ms = performance.now() - t0;
      if (r.status !== 202 || !json.launches?.[0]?.approval)
        throw new Error(`delivery ${n} was not started: ${r.status} ${JSON.stringify(json)}`);
      return ms;
    };
    for (let i = 0; i < WARMUP; i++) await send(i);
    const times: number[] = [];
    for (let i = 0; i < DELIVERIES; i++) times.push(await send(WARMUP + i));
    return {
      webhook_to_launch_started: {
        deliveries: DELIVERIES,
        p50_ms: percentile(times, 50),
        p99_ms: percentile(times, 99),
        target_p99_ms: 200,
      },
      clone_reuse: {
        first_read_clones_ms: Math.round(cloneMs),
        next_reads_fetch_ms: fetchMs.map(Math.round),
        cloned_again: statSync(dir).ino !== inode,
      },
    };
  } finally {
    await otto.stop();
  }
}
