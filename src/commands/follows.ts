import type { FleetConfig, LogsConfig } from '../config/config.js';
import type { Ops } from '../ops/ops.js';
import { RefusedError } from '../errors.js';

/**
 * At most this many log streams per cluster at once, whatever the limits in
 * otto.yml: each holds an SSH session on a manager for as long as it runs, and
 * OpenSSH allows 10 per connection; launches need the rest.
 */
export const STREAMS_PER_CLUSTER = 4;

/** One live follow of a fleet's transmissions. */
export interface Follow {
  readonly id: number;
  readonly fleet: string;
  readonly cluster: string;
  readonly services: readonly string[];
  readonly actor: string;
  readonly startedAt: number;
  /** Aborted by Stop (`logs stop <id>`), with the reason as words. */
  readonly controller: AbortController;
}

/**
 * The follows running in this Otto, numbered from 1, and their limits: per fleet
 * and per person (`logs.follows_per_fleet`, `logs.follows_per_identity`), and
 * {@link STREAMS_PER_CLUSTER} streams per cluster, so viewers can never take the SSH
 * sessions a launch needs.
 */
export class Follows {
  private readonly running = new Map<number, Follow>();
  private next = 1;

  constructor(private readonly limits: LogsConfig) {}

  /** Registers a follow, or throws RefusedError naming the limit it would pass. */
  open(fleet: FleetConfig, services: readonly string[], actor: string): Follow {
    const all = [...this.running.values()];
    const ofFleet = all.filter((f) => f.fleet === fleet.name);
    const mine = all.filter((f) => f.actor === actor);
    const streams = all
      .filter((f) => f.cluster === fleet.cluster)
      .reduce((n, f) => n + f.services.length, 0);
    const list = (fs: readonly Follow[]) => fs.map((f) => `${f.id} (${f.actor})`).join(', ');
    if (mine.length >= this.limits.followsPerIdentity)
      throw new RefusedError(
        `${actor} already follows ${mine.length} transmission${mine.length === 1 ? '' : 's'} (follow ${list(mine)}), Otto's limit per person. Nothing new was started.`,
        `Stop one first: logs stop ${mine[0]!.id}. The limit is logs.follows_per_identity in otto.yml.`,
      );
    if (ofFleet.length >= this.limits.followsPerFleet)
      throw new RefusedError(
        `${fleet.name} is already followed ${ofFleet.length} time${ofFleet.length === 1 ? '' : 's'} (follow ${list(ofFleet)}), Otto's limit per fleet. Nothing new was started.`,
        `Join one of those threads, or stop one: logs stop ${ofFleet[0]!.id}. The limit is logs.follows_per_fleet in otto.yml.`,
      );
    if (streams + services.length > STREAMS_PER_CLUSTER)
      throw new RefusedError(
        `Following ${services.length === 1 ? services[0] : `${services.length} services`} would hold ${streams + services.length} log streams on cluster ${fleet.cluster}; Otto keeps at most ${STREAMS_PER_CLUSTER}, so that launches keep their SSH sessions. Nothing new was started.`,
        services.length > 1
          ? `Follow one service: logs ${fleet.name} <service> --follow.`
          : 'Stop a follow of this cluster first (its Stop button).',
      );
    const follow: Follow = {
      id: this.next++,
      fleet: fleet.name,
      cluster: fleet.cluster,
      services,
      actor,
      startedAt: Date.now(),
      controller: new AbortController(),
    };
    this.running.set(follow.id, follow);
    return follow;
  }

  get(id: number): Follow | undefined {
    return this.running.get(id);
  }

  close(id: number): void {
    this.running.delete(id);
  }

  list(): Follow[] {
    return [...this.running.values()];
  }
}

const registries = new WeakMap<Ops, Follows>();

/** The process-wide follows of `ops`, shared by every adapter. */
export function followsOf(ops: Ops): Follows {
  let f = registries.get(ops);
  if (!f) registries.set(ops, (f = new Follows(ops.config.logs)));
  return f;
}
