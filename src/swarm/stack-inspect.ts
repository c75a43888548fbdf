import type { Transport } from '../transport/transport.js';
import { networksInspect, parseJsonLines, serviceInspect, stackServiceLs } from './argv.js';
import type { InspectedNetwork, InspectedService } from './service-spec.js';
import { StackReadError } from './stacks.js';

export interface StackSpecs {
  /** The stack's services as `docker service inspect` gives them; empty: no such stack. */
  readonly services: readonly InspectedService[];
  /** The networks their specs name (by id), as `docker network inspect` gives them. */
  readonly networks: readonly InspectedNetwork[];
}

const fail = (what: string, res: { stderr: string }) =>
  new StackReadError(
    `Docker could not ${what}: ${res.stderr.trim().split('\n')[0] || 'no reason given'}.`,
    'Check that Docker runs there and is a Swarm manager (docker node ls), then try again.',
  );

/**
 * Everything a compose file of `stack` can be rebuilt from, in three docker calls: its
 * services (by the stack's label), their specs, and the networks they are attached to.
 * The stack's name goes after `--` or into a filter value, never into a shell.
 */
export async function readStackSpecs(
  transport: Transport,
  stack: string,
  signal?: AbortSignal,
): Promise<StackSpecs> {
  const run = { timeoutMs: 30_000, signal };
  const ls = await transport.run(stackServiceLs(stack), run);
  if (ls.exitCode !== 0) throw fail(`list the services of ${stack}`, ls);
  const names = parseJsonLines<{ Name?: string }>(ls.stdout)
    .map((r) => r.Name ?? '')
    .filter((n) => n.startsWith(`${stack}_`));
  if (names.length === 0) return { services: [], networks: [] };
  const inspect = await transport.run(serviceInspect(names), run);
  if (inspect.exitCode !== 0 || !inspect.stdout.trim().startsWith('['))
    throw fail(`inspect the services of ${stack}`, inspect);
  const services = JSON.parse(inspect.stdout) as InspectedService[];
  const ids = [
    ...new Set(
      services.flatMap((s) =>
        (s.Spec.TaskTemplate?.Networks ?? s.Spec.Networks ?? []).map((n) => n.Target),
      ),
    ),
  ];
  // A network Docker can't find makes the whole inspect fail: the rebuild then says which.
  const nets = ids.length ? await transport.run(networksInspect(ids), run) : undefined;
  const networks = nets ? parseJsonLines<InspectedNetwork>(nets.stdout) : [];
  return { services, networks };
}
