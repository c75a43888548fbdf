import type { Ops } from '../ops/ops.js';
import { info } from '../swarm/argv.js';

/** Asks each cluster's Docker engine for its Swarm state at start-up; says so when one does not answer. */
export async function preflight(ops: Ops, write: (line: string) => void): Promise<void> {
  await Promise.all(
    [...ops.config.clusters.keys()].map(async (name) => {
      try {
        const res = await ops.transport(name).run(info(), { timeoutMs: 10_000 });
        const state = res.stdout.trim().replace(/"/g, '');
        if (res.exitCode !== 0) {
          write(
            `⚠️  Cluster ${name}: no Docker engine answers (${res.stderr.trim().split('\n')[0]}). Otto keeps listening; launches there will fail until it does.`,
          );
        } else if (state !== 'active') {
          write(
            `⚠️  Cluster ${name}: Docker answers but is not a Swarm manager (swarm: ${state || 'unknown'}). ${
              ops.config.clusters.get(name)?.kind === 'ssh'
                ? `Set it up with: otto outpost add ${name} <host> (it creates the Swarm and the ingress).`
                : 'Run docker swarm init there first.'
            }`,
          );
        } else {
          write(`🛰️  Cluster ${name}: Swarm manager online.`);
        }
      } catch (e) {
        write(
          `⚠️  Cluster ${name}: ${e instanceof Error ? e.message : String(e)} Otto keeps listening.`,
        );
      }
    }),
  );
}
