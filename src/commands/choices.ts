import type { FleetConfig } from '../config/config.js';
import type { Ops } from '../ops/ops.js';
import { parseJsonLines, serviceLs } from '../swarm/argv.js';
import type { Who } from './access.js';
import { limiter } from './rate-limit.js';
import { fleetsVisibleTo } from './fleet-lookup.js';

/** Discord shows at most 25 choices. */
const MAX_CHOICES = 25;
/** Autocomplete must answer within 3 s: the cluster gets 2 s, then the compose file answers alone. */
const CLUSTER_WAIT_MS = 2_000;

const matching = (names: Iterable<string>, typed: string) =>
  [...new Set(names)]
    .filter((n) => n.startsWith(typed.toLowerCase()))
    .sort()
    .slice(0, MAX_CHOICES);

/** Fleets the person may view from this channel, starting with what they typed. */
export function fleetChoices(ops: Ops, who: Who, channel: string, typed: string): string[] {
  return matching(
    fleetsVisibleTo(ops.config, who, channel).map((f) => f.name),
    typed,
  );
}

/**
 * A fleet's services, from the cluster (what runs) and from its compose file (what
 * will run). Nothing for a fleet the person may not view.
 */
export async function serviceChoices(
  ops: Ops,
  who: Who,
  channel: string,
  fleetName: string,
  typed: string,
): Promise<string[]> {
  const fleet = fleetsVisibleTo(ops.config, who, channel).find((f) => f.name === fleetName);
  if (!fleet) return [];
  // Past the person's share, the compose file answers alone: no SSH channel is used.
  const askCluster = limiter(ops, 'autocomplete').take(who.actor) === 0;
  const [running, planned] = await Promise.all([
    askCluster ? runningServices(ops, fleet) : [],
    // A git fleet's come from its last launch: a suggestion never waits on a fetch.
    ops.sources.services(fleet, { fetch: false }).catch(() => []),
  ]);
  return matching([...running, ...planned], typed);
}

/** The fleet's services the cluster runs now; none when it does not answer in time. */
async function runningServices(ops: Ops, fleet: FleetConfig): Promise<string[]> {
  try {
    const r = await ops.transport(fleet.cluster).run(serviceLs(), { timeoutMs: CLUSTER_WAIT_MS });
    return parseJsonLines<{ Name?: string }>(r.stdout)
      .map((s) => s.Name ?? '')
      .filter((n) => n.startsWith(`${fleet.name}_`))
      .map((n) => n.slice(fleet.name.length + 1));
  } catch {
    return [];
  }
}
