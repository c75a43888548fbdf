import { parseTasks, type TaskRow } from './converge.js';
import { parseJsonLines, serviceLs, servicePs } from './argv.js';
import type { Transport } from '../transport/transport.js';

interface ServiceLsRow {
  readonly ID: string;
  readonly Name: string;
  readonly Mode: string;
  readonly Replicas: string;
  readonly Image: string;
}

export interface ServiceStatus {
  readonly name: string;
  readonly running: number;
  readonly desired: number;
  readonly image: string;
  /** Why tasks are not running, one line a task: `web.2 on node-1: task: non-zero exit (3)`. */
  readonly problems: readonly string[];
}

export interface FleetStatus {
  readonly fleet: string;
  readonly services: readonly ServiceStatus[];
}

/**
 * One line per task slot that is not running: its newest task's state and the
 * last failure in that slot (`app.1 on node-1: Ready 3 seconds ago, last failure: task: non-zero exit (3)`).
 * `docker service ps` lists each slot newest first.
 */
export function slotProblems(tasks: readonly TaskRow[], fleet: string): string[] {
  const slots = new Map<string, TaskRow[]>();
  for (const t of tasks) slots.set(t.Name, [...(slots.get(t.Name) ?? []), t]);
  const lines: string[] = [];
  for (const [name, history] of slots) {
    const current = history[0];
    if (!current || current.CurrentState.startsWith('Running')) continue;
    const failure = history.find((t) => t.Error)?.Error;
    const where = current.Node ? ` on ${current.Node}` : '';
    lines.push(
      `${name.slice(fleet.length + 1)}${where}: ${current.CurrentState}${failure ? `, last failure: ${failure}` : ''}`,
    );
  }
  return lines;
}

/**
 * Reads the status of every given fleet on one cluster with at most two docker
 * calls, whatever the number of fleets: one `service ls`, and one `service ps`
 * over those of their services that are short of replicas (none when all run).
 */
export async function clusterStatus(
  transport: Transport,
  fleets: readonly string[],
): Promise<FleetStatus[]> {
  const ls = await transport.run(serviceLs());
  const rows = parseJsonLines<ServiceLsRow>(ls.stdout);
  const owner = (name: string) => fleets.find((f) => name.startsWith(`${f}_`));
  const ours = rows.filter((r) => owner(r.Name));
  // Tasks only explain services that are short of replicas: skip the call when none is.
  const short = ours.filter((r) => !/^(\d+)\/\1\b/.test(r.Replicas)).map((r) => r.Name);
  const tasks = short.length > 0 ? parseTasks((await transport.run(servicePs(short))).stdout) : [];
  return fleets.map((fleet) => ({
    fleet,
    services: ours
      .filter((r) => owner(r.Name) === fleet)
      .map((r) => {
        const [, running = '0', desired = '0'] = /^(\d+)\/(\d+)/.exec(r.Replicas) ?? [];
        const problems = slotProblems(
          tasks.filter((t) => t.Name.startsWith(`${r.Name}.`)),
          fleet,
        );
        return {
          name: r.Name.slice(fleet.length + 1),
          running: Number(running),
          desired: Number(desired),
          image: r.Image,
          problems,
        };
      }),
  }));
}
