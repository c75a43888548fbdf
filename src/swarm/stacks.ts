import { z } from 'zod';
import { OttoError } from '../errors.js';
import type { Transport } from '../transport/transport.js';
import { parseTasks } from './converge.js';
import { INGRESS_STACK } from './ingress.js';
import { parseJsonLines, serviceLs, servicePs, stackLs, stackServiceLs } from './argv.js';
import { slotProblems, type FleetStatus, type ServiceStatus } from './status.js';

/**
 * A stack name as Docker takes it: every service of the stack is `<stack>_<service>`,
 * and Swarm wants service names to be DNS labels (letters, digits, `-` and `_`
 * between them, at most 63 characters).
 */
export const STACK_NAME = /^[a-zA-Z0-9](?:[-_]*[a-zA-Z0-9])*$/;

export const stackNameSchema = z
  .string()
  .max(63, 'stack names have at most 63 characters')
  .regex(
    STACK_NAME,
    'stack names use letters, digits, - and _, starting and ending with a letter or digit',
  );

/** Docker could not list what runs on a cluster (no engine, or not a Swarm manager). */
export class StackReadError extends OttoError {
  override readonly code = 'stack_read';
}

interface ServiceLsRow {
  readonly Name: string;
  readonly Replicas: string;
  readonly Image: string;
}

/**
 * The stack a Swarm service belongs to, among `stacks`: the longest `<stack>_` its name
 * starts with (a stack `shop_old` owns `shop_old_web`, not `shop`).
 * @example ownerOf('shop_old_web', ['shop', 'shop_old']) // 'shop_old'
 */
export function ownerOf(service: string, stacks: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const s of stacks)
    if (service.startsWith(`${s}_`) && (!best || s.length > best.length)) best = s;
  return best;
}

/** Reads `docker stack ls`: the names of the stacks, sorted. */
export function parseStackNames(stdout: string): string[] {
  return parseJsonLines<{ Name?: string }>(stdout)
    .map((r) => r.Name ?? '')
    .filter(Boolean)
    .sort();
}

function checked(res: { exitCode: number; stderr: string }, what: string): void {
  if (res.exitCode === 0) return;
  const said = res.stderr.trim().split('\n')[0] ?? '';
  throw new StackReadError(
    `Docker could not ${what}${said ? `: ${said}` : ''}.`,
    'Check that Docker runs there and is a Swarm manager (docker node ls), then try again.',
  );
}

/** The services of `rows` that `stack` owns, as status shows them, with the problems of those short of replicas. */
function statusOf(
  stack: string,
  rows: readonly ServiceLsRow[],
  tasks: ReturnType<typeof parseTasks>,
): FleetStatus {
  return {
    fleet: stack,
    services: rows.map((r): ServiceStatus => {
      const [, running = '0', desired = '0'] = /^(\d+)\/(\d+)/.exec(r.Replicas) ?? [];
      return {
        name: r.Name.slice(stack.length + 1),
        running: Number(running),
        desired: Number(desired),
        image: r.Image,
        problems: slotProblems(
          tasks.filter((t) => t.Name.startsWith(`${r.Name}.`)),
          stack,
        ),
      };
    }),
  };
}

/** Services short of replicas: their tasks say why. */
const short = (rows: readonly ServiceLsRow[]) =>
  rows.filter((r) => !/^(\d+)\/\1\b/.test(r.Replicas)).map((r) => r.Name);

export interface ClusterStacks {
  /** One per fleet asked for, in that order (no services: not launched). */
  readonly fleets: readonly FleetStatus[];
  /** The stacks that are none of the fleets, Otto's ingress, nor `skip`, by name. */
  readonly unmanaged: readonly FleetStatus[];
}

export interface ClusterStacksOptions {
  /** Stacks Otto launched that are not fleets of otto.yml (live pull request previews). */
  readonly skip?: readonly string[];
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * What runs on one cluster: the given fleets and every other stack, in a fixed number
 * of docker calls whatever the number of fleets and stacks: `service ls` and `stack ls`
 * side by side, then one `service ps` over the services short of replicas (none when
 * all run). Throws a StackReadError when Docker can't list the services.
 */
export async function clusterStacks(
  transport: Transport,
  fleets: readonly string[],
  options: ClusterStacksOptions = {},
): Promise<ClusterStacks> {
  const run = { timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal };
  const [ls, stacks] = await Promise.all([
    transport.run(serviceLs(), run),
    transport.run(stackLs(), run),
  ]);
  checked(ls, 'list the services (docker service ls)');
  const rows = parseJsonLines<ServiceLsRow>(ls.stdout);
  // Without stack ls (an error of its own), the fleets still show; other stacks don't.
  const all = stacks.exitCode === 0 ? parseStackNames(stacks.stdout) : [];
  const skip = new Set([...fleets, ...(options.skip ?? []), INGRESS_STACK]);
  const others = all.filter((s) => !skip.has(s));
  // Owners among every stack, skipped ones too: a preview `shop_x` owns `shop_x_web`, not fleet shop.
  const names = [...new Set([...fleets, ...all])];
  const owned = new Map<string, ServiceLsRow[]>(names.map((n) => [n, []]));
  for (const r of rows) {
    const owner = ownerOf(r.Name, names);
    if (owner) owned.get(owner)!.push(r);
  }
  const shortOnes = [...fleets, ...others].flatMap((n) => short(owned.get(n)!));
  const tasks =
    shortOnes.length > 0 ? parseTasks((await transport.run(servicePs(shortOnes), run)).stdout) : [];
  return {
    fleets: fleets.map((f) => statusOf(f, owned.get(f)!, tasks)),
    unmanaged: others
      .map((s) => statusOf(s, owned.get(s)!, tasks))
      .filter((s) => s.services.length > 0),
  };
}

/**
 * One stack's services as status shows them, found by its label: two docker calls at
 * most (`service ls` filtered on the stack, and `service ps` when some are short).
 * No services: Docker knows no such stack there.
 */
export async function stackStatus(
  transport: Transport,
  stack: string,
  options: Pick<ClusterStacksOptions, 'timeoutMs' | 'signal'> = {},
): Promise<FleetStatus> {
  const run = { timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal };
  const ls = await transport.run(stackServiceLs(stack), run);
  checked(ls, `list the services of ${stack} (docker service ls)`);
  const rows = parseJsonLines<ServiceLsRow>(ls.stdout).filter((r) =>
    r.Name.startsWith(`${stack}_`),
  );
  const shortOnes = short(rows);
  const tasks =
    shortOnes.length > 0 ? parseTasks((await transport.run(servicePs(shortOnes), run)).stdout) : [];
  return statusOf(stack, rows, tasks);
}

/** The stacks of a cluster (`docker stack ls`), but Otto's ingress. */
export async function stackNames(
  transport: Transport,
  options: Pick<ClusterStacksOptions, 'timeoutMs' | 'signal'> = {},
): Promise<string[]> {
  const res = await transport.run(stackLs(), {
    timeoutMs: options.timeoutMs ?? 30_000,
    signal: options.signal,
  });
  checked(res, 'list the stacks (docker stack ls)');
  return parseStackNames(res.stdout).filter((s) => s !== INGRESS_STACK);
}
