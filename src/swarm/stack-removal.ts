import { setTimeout as delay } from 'node:timers/promises';
import { stackNetworks } from './argv.js';
import type { LaunchFailure } from './failure.js';
import type { Transport } from '../transport/transport.js';

/** How long a launch waits for a `docker stack rm` still in progress. */
export const REMOVAL_WAIT_MS = 120_000;
/** How often it looks at the stack's networks meanwhile. */
export const REMOVAL_POLL_MS = 2_000;

/**
 * Whether `docker stack deploy` failed on a network of `fleet`'s stack that is still
 * being removed: `docker stack rm` returns at once, and the Swarm deletes the stack's
 * networks only once their tasks have stopped (after their stop_grace_period).
 * Meanwhile the CLI finds the old network by its label, skips creating it, and the
 * service that names it can't be created.
 *
 * @example stackRemovalInProgress('failed to create service shop_web: Error response from daemon: network shop_default not found', 'shop') // true
 */
export function stackRemovalInProgress(stderr: string, fleet: string): boolean {
  const stack = fleet.replace(/[^a-zA-Z0-9]/g, (c) => `\\${c}`);
  return new RegExp(`network ${stack}_\\S+ not found`).test(stderr);
}

export interface RemovalWait {
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Polls the networks of `fleet`'s stack until none is left. Returns the networks
 * still there after `timeoutMs` (none when they went in time). Rejects when `signal`
 * aborts. A `docker network ls` that fails counts as not gone yet.
 */
export async function waitForStackRemoval(
  transport: Transport,
  fleet: string,
  opts: RemovalWait = {},
): Promise<string[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? REMOVAL_WAIT_MS);
  const { signal } = opts;
  for (;;) {
    const res = await transport.run(stackNetworks(fleet), { signal });
    const left =
      res.exitCode === 0
        ? res.stdout.split('\n').filter((l) => l.trim())
        : [`(docker network ls failed: ${res.stderr.trim()})`];
    if (left.length === 0 || Date.now() >= deadline) return left;
    await delay(opts.pollMs ?? REMOVAL_POLL_MS, undefined, signal ? { signal } : {});
  }
}

/** The failure of a launch whose previous stack was not removed in time. */
export function removalTimeoutFailure(
  fleet: string,
  waitedMs: number,
  left: readonly string[],
): LaunchFailure {
  return {
    kind: 'deploy_rejected',
    message: `The previous ${fleet} stack is still being removed (docker stack rm works in the background: its networks go once its tasks have stopped), and after ${Math.round(waitedMs / 1000)} s its networks were still there (${left.join(', ')}), so nothing was deployed. A task that ignores SIGTERM stops only after its stop_grace_period: check what is left with docker network ls --filter label=com.docker.stack.namespace=${fleet} on a manager, and launch again once it is empty.`,
  };
}
