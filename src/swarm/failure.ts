import { TRAEFIK_NETWORK } from './compose.js';
import { ingressOffNotice } from './ingress.js';

/** Why a launch failed, in words a person on call can act on. */
export type FailureKind =
  | 'image_pull'
  | 'registry_login'
  | 'no_node'
  | 'exit_code'
  | 'unhealthy'
  | 'update_paused'
  | 'rolled_back'
  | 'timeout'
  | 'deploy_rejected';

export interface LaunchFailure {
  readonly kind: FailureKind;
  readonly service?: string;
  readonly message: string;
}

/** Reads a task's Error (from `docker service ps`) into a failure. */
export function classifyTaskError(
  service: string,
  image: string,
  error: string,
  constraints: readonly string[],
): LaunchFailure | undefined {
  if (!error) return undefined;
  if (/unhealthy/i.test(error)) {
    return {
      kind: 'unhealthy',
      service,
      message: `Service ${service} is unhealthy: its healthcheck keeps failing.`,
    };
  }
  if (/no suitable node|constraints? not satisfied|insufficient resources/i.test(error)) {
    const where = constraints.length ? ` (constraints: ${constraints.join(', ')})` : '';
    return {
      kind: 'no_node',
      service,
      message: `Service ${service} cannot start: no nodes match constraints${where}. Swarm says: ${error}`,
    };
  }
  const exit = /non-zero exit \((\d+)\)/.exec(error);
  if (exit?.[1] === '137') {
    return {
      kind: 'exit_code',
      service,
      message: `Service ${service} was killed (exit code 137): most likely out of memory (OOM), or stopped by a signal. Check its memory limit.`,
    };
  }
  if (exit) {
    return {
      kind: 'exit_code',
      service,
      message: `Service ${service} exits with code ${exit[1]}.`,
    };
  }
  if (
    /no such image|pull access denied|manifest unknown|not found|unauthorized|denied|could not be accessed|error pulling|pull/i.test(
      error,
    )
  ) {
    return {
      kind: 'image_pull',
      service,
      message: `Failed to pull image ${image} for ${service}: ${error}`,
    };
  }
  return { kind: 'exit_code', service, message: `Service ${service} keeps failing: ${error}` };
}

/**
 * What the docker CLI prints beside an error without it being one: the --detach
 * notice of `docker stack deploy`, options a Swarm ignores, progress lines,
 * warnings. None of it is why a deploy failed.
 */
const NOTICES: readonly RegExp[] = [
  /^Since --detach=false was not specified/i,
  /^In a future release, --detach=false will become the default/i,
  /^Ignoring (unsupported|deprecated) options?:/i,
  /^(Creating|Updating|Removing) (network|service|secret|config) /i,
  /^WARNING:/,
  /^\s*\w[\w.-]*: .* is not supported\.?$/i,
];

/**
 * Docker's own words about a failure, without its notices (see {@link NOTICES}):
 * the last few lines that say what went wrong.
 * @example dockerError('Since --detach=false was not specified, tasks will be created in the background.\nfailed to create service x: bad') // 'failed to create service x: bad'
 */
export function dockerError(stderr: string, lines = 3): string {
  const all = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = all.filter((l) => !NOTICES.some((n) => n.test(l)));
  // Nothing but notices: better to show them than nothing.
  return (errors.length > 0 ? errors : all).slice(-lines).join(' ');
}

/** The cluster a launch went to, as far as a failure's words need it. */
export interface FailureCluster {
  readonly name: string;
  readonly ingress: { readonly enabled: boolean };
}

/** Reads why `docker stack deploy` refused the stack. */
export function deployFailure(stderr: string, cluster?: FailureCluster): LaunchFailure {
  const first = dockerError(stderr);
  if (new RegExp(`network "?${TRAEFIK_NETWORK}"? is declared as external`, 'i').test(stderr)) {
    const missing = `The ${TRAEFIK_NETWORK} network is missing on this cluster (or is not a Swarm overlay network), so routed services can't join it.`;
    if (cluster && !cluster.ingress.enabled) {
      return {
        kind: 'deploy_rejected',
        message: `${missing} ${ingressOffNotice(cluster.name, []).fix}`,
      };
    }
    return {
      kind: 'deploy_rejected',
      message: `${missing} Set up the ingress with otto outpost add ${cluster?.name ?? '<cluster>'} <manager host> (it deploys Traefik once per cluster), or create the network for a Traefik of your own: docker network create --driver overlay --attachable ${TRAEFIK_NETWORK}`,
    };
  }
  return {
    kind: 'deploy_rejected',
    message: `Docker refused the stack: ${first || 'no reason given'}`,
  };
}
