import type { ClusterConfig } from '../config/config.js';
import { OttoError } from '../errors.js';
import {
  nodeAvailability,
  nodeDemote,
  nodeInspect,
  nodeLs,
  nodePs,
  nodeRm,
  parseJsonLines,
  swarmLeave,
} from '../swarm/argv.js';
import type { Outposts } from '../store/outposts.js';
import type { SshTarget } from '../transport/ssh-transport.js';
import type { Transport } from '../transport/transport.js';
import type { OutpostEvent } from './outpost-steps.js';

/** The part of `docker node inspect` removal reads. */
interface NodeState {
  readonly ID: string;
  readonly Description?: { readonly Hostname?: string };
  readonly Spec?: { readonly Role?: string };
  readonly Status?: { readonly State?: string; readonly Addr?: string };
}

export interface RemoveDeps {
  /** The cluster's managers. */
  readonly cluster: Transport;
  readonly outposts: Outposts;
  /** An SSH login to a node Otto added, its host key pinned. */
  connect(target: SshTarget): Transport;
  /** Waits between polls (tests pass a quick one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RemoveRequest {
  readonly cluster: ClusterConfig;
  /** The node's hostname or id. */
  readonly node: string;
  /** How long its tasks may take to move, and the node to go down after it left. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: (event: OutpostEvent) => void;
}

export interface RemoveOutcome {
  readonly ok: boolean;
  readonly events: readonly OutpostEvent[];
}

const POLL_MS = 2_000;

class Stop extends Error {}

/**
 * `outpost remove`: drains the node, waits until its tasks have moved, demotes a
 * manager (never the last one), makes the node leave (over SSH when Otto added it),
 * removes it from the Swarm's list and forgets the outpost. Each step is reported;
 * the first failure stops it with its fix.
 */
export async function removeOutpost(deps: RemoveDeps, req: RemoveRequest): Promise<RemoveOutcome> {
  const events: OutpostEvent[] = [];
  const emit = (e: OutpostEvent) => {
    events.push(e);
    req.onEvent?.(e);
  };
  const fail = (line: string, fix?: string) => {
    emit({ step: 'swarm', status: 'fail', line, fix });
    return new Stop(line);
  };
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = () => Date.now() + (req.timeoutMs ?? 120_000);
  const name = req.cluster.name;
  const run = (argv: readonly string[]) =>
    deps.cluster.run(argv, req.signal ? { signal: req.signal } : {});
  try {
    const inspected = await run(nodeInspect([req.node]));
    const node = inspected.stdout.trim().startsWith('[')
      ? (JSON.parse(inspected.stdout) as NodeState[])[0]
      : undefined;
    if (inspected.exitCode !== 0 || !node)
      throw fail(`${name} has no node ${req.node}.`, `See the nodes with: outposts ${name}`);
    const host = node.Description?.Hostname ?? req.node;
    const manager = node.Spec?.Role === 'manager';
    if (manager) {
      const managers = parseJsonLines<{ ManagerStatus?: string }>(
        (await run(nodeLs())).stdout,
      ).filter((n) => n.ManagerStatus);
      if (managers.length <= 1)
        throw fail(
          `${host} is the last manager of ${name}: without it the Swarm has no one to run it. Nothing was changed.`,
          `Add another manager first (otto outpost add ${name} <host> --role manager), then remove ${host}.`,
        );
    }
    const drained = await run(nodeAvailability(node.ID, 'drain'));
    if (drained.exitCode !== 0)
      throw fail(`Docker refused to drain ${host}: ${drained.stderr.trim()}`);
    emit({
      step: 'swarm',
      status: 'running',
      line: `Draining ${host}: its tasks move to other nodes...`,
    });
    const until = deadline();
    for (;;) {
      const tasks = parseJsonLines<object>(
        (await run(nodePs([node.ID], { running: true }))).stdout,
      );
      if (tasks.length === 0) break;
      if (Date.now() > until)
        throw fail(
          `${host} still runs ${tasks.length} task(s) after ${Math.round((req.timeoutMs ?? 120_000) / 1000)} s of draining; Otto stopped before it left. It stays drained.`,
          `See where they are stuck with: status, or outposts ${name}. Run outpost remove again once they moved, or outpost activate ${name} ${host} to keep it.`,
        );
      await sleep(POLL_MS);
    }
    emit({ step: 'swarm', status: 'ok', line: `${host} is drained: its tasks run elsewhere.` });
    if (manager) {
      const demoted = await run(nodeDemote(node.ID));
      if (demoted.exitCode !== 0)
        throw fail(`Docker refused to demote ${host}: ${demoted.stderr.trim()}`);
      emit({ step: 'swarm', status: 'ok', line: `${host} is a worker now (demoted).` });
    }
    const outpost =
      (await deps.outposts.byNodeId(name, node.ID)) ??
      (await deps.outposts.list(name)).find((o) => o.host === node.Status?.Addr);
    let left = false;
    if (outpost) {
      const t = deps.connect({
        host: outpost.host,
        port: outpost.port,
        user: outpost.user,
        privateKeyFile: outpost.keyFile,
        hostKey: outpost.fingerprint,
      });
      try {
        left = (await t.run(swarmLeave())).exitCode === 0;
      } catch (e) {
        if (!(e instanceof OttoError)) throw e;
      } finally {
        await t.close();
      }
    }
    emit(
      left
        ? { step: 'swarm', status: 'ok', line: `${host} left the Swarm.` }
        : {
            step: 'swarm',
            status: 'warn',
            line: `Otto could not make ${host} leave (${outpost ? 'it did not answer over SSH' : 'Otto did not add it, so has no login there'}); it is removed from the Swarm's list all the same.`,
            fix: `On ${host}: docker swarm leave, so it stops trying to rejoin.`,
          },
    );
    if (left) {
      const until2 = deadline();
      for (;;) {
        const [state] = JSON.parse(
          (await run(nodeInspect([node.ID]))).stdout || '[]',
        ) as NodeState[];
        if (!state || state.Status?.State === 'down') break;
        if (Date.now() > until2) break;
        await sleep(POLL_MS);
      }
    }
    const removed = await run(nodeRm(node.ID, { force: !left }));
    if (removed.exitCode !== 0)
      throw fail(
        `Docker refused to remove ${host} from the Swarm's list: ${removed.stderr.trim()}`,
      );
    if (outpost) await deps.outposts.remove(outpost);
    emit({ step: 'record', status: 'ok', line: `${host} is no longer an outpost of ${name}.` });
    return { ok: true, events };
  } catch (e) {
    if (e instanceof Stop) return { ok: false, events };
    throw e;
  }
}
