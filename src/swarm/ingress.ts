import type { IngressConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { TRAEFIK_NETWORK } from './compose.js';
import { stringifyDockerYaml, type DockerMap } from './docker-yaml.js';

/**
 * The cluster's HTTPS ingress: one Traefik v3 service in the stack `otto-ingress`,
 * which routes the services that carry Otto's Traefik labels (see `traefikLabels` in
 * compose.ts) and gets their certificates from Let's Encrypt.
 *
 * The render gives both the data and the text: the text is what Otto pipes to
 * `docker stack deploy -c - otto-ingress` (through `stackDeploy`), the data is what
 * a test or `otto doctor` compares a running service against without reparsing YAML.
 *
 * Traefik v3 splits Swarm out of the Docker provider: v2's
 * `--providers.docker.swarmMode=true` (seed 001's example) stops v3 from starting
 * (docs/content/migration/v2-to-v3-details.md, "SwarmMode"), so the Swarm provider
 * `--providers.swarm.*` is used instead.
 */

/** The stack the ingress runs as. */
export const INGRESS_STACK = 'otto-ingress';
/** The one service of {@link INGRESS_STACK}: the Swarm service is `otto-ingress_traefik`. */
export const INGRESS_SERVICE = 'traefik';
/** The entry point Otto's routers use (`traefik.http.routers.<r>.entrypoints=websecure`). */
export const HTTPS_ENTRYPOINT = 'websecure';
/** The plain HTTP entry point: redirects to {@link HTTPS_ENTRYPOINT} and answers HTTP-01 challenges. */
export const HTTP_ENTRYPOINT = 'web';
/** The certificate resolver Otto's routers name (`tls.certresolver=letsencrypt`). */
export const ACME_RESOLVER = 'letsencrypt';
/** The named volume that keeps Let's Encrypt's account and certificates across restarts. */
export const ACME_VOLUME = 'traefik-acme';
/** Where {@link ACME_VOLUME} is mounted in the container. */
export const ACME_DIR = '/acme';
const DOCKER_SOCKET = '/var/run/docker.sock';

/** An ingress config that can be deployed: enabled, with its Let's Encrypt e-mail. */
export type DeployableIngress = IngressConfig & { readonly acmeEmail: string };

/**
 * Says why a cluster's ingress cannot be deployed, or narrows it to one that can.
 * Throws a ConfigError naming the key path (`clusters.<name>.ingress.…`) and the fix.
 * @example
 * const ingress = deployableIngress('prod', cluster.ingress); // throws when acme_email is missing
 */
export function deployableIngress(cluster: string, ingress: IngressConfig): DeployableIngress {
  if (!ingress.enabled) {
    throw new ConfigError(
      `Cluster ${cluster} has its ingress turned off (clusters.${cluster}.ingress.enabled: false), so Otto does not deploy ${INGRESS_STACK} there.`,
      `Set clusters.${cluster}.ingress.enabled to true (or remove the line) in otto.yml, then run the setup again (restart Otto first if it is running).`,
    );
  }
  if (ingress.acmeEmail === undefined) {
    throw new ConfigError(
      `Cluster ${cluster} has no Let's Encrypt e-mail, so its shields (HTTPS) cannot be set up: clusters.${cluster}.ingress.acme_email is not set.`,
      `Add it to otto.yml, for example:\n  clusters:\n    ${cluster}:\n      ingress:\n        acme_email: ops@example.com\nthen run the setup again (restart Otto first if it is running).`,
    );
  }
  return { ...ingress, acmeEmail: ingress.acmeEmail };
}

/**
 * Traefik's command line for the ingress: Otto's flags, then `extraArgs` in order.
 * Each flag is spelled as in Traefik v3.7's reference documentation
 * (traefik/traefik, docs/content/reference/install-configuration/…):
 * @example traefikArgs({ enabled: true, acmeEmail: 'ops@example.com', image: 'traefik:v3.7.9', extraArgs: [] })[0]
 * // '--providers.swarm.endpoint=unix:///var/run/docker.sock'
 */
export function traefikArgs(ingress: DeployableIngress): string[] {
  const ep = `--entryPoints.${HTTP_ENTRYPOINT}`;
  const acme = `--certificatesresolvers.${ACME_RESOLVER}.acme`;
  return [
    // providers/swarm.md, "Configuration Options": endpoint, exposedByDefault, network.
    // Setting an option of the provider enables it.
    `--providers.swarm.endpoint=unix://${DOCKER_SOCKET}`,
    '--providers.swarm.exposedByDefault=false',
    `--providers.swarm.network=${TRAEFIK_NETWORK}`,
    // entrypoints.md: address, and http.redirections.entryPoint.{to,scheme}
    // (permanent defaults to true). The HTTP-01 challenge path is still answered on web.
    `${ep}.address=:80`,
    `${ep}.http.redirections.entryPoint.to=${HTTPS_ENTRYPOINT}`,
    `${ep}.http.redirections.entryPoint.scheme=https`,
    `--entryPoints.${HTTPS_ENTRYPOINT}.address=:443`,
    // tls/certificate-resolvers/acme.md: email, storage, httpchallenge.entrypoint.
    `${acme}.email=${ingress.acmeEmail}`,
    `${acme}.storage=${ACME_DIR}/acme.json`,
    `${acme}.httpchallenge.entrypoint=${HTTP_ENTRYPOINT}`,
    ...ingress.extraArgs,
  ];
}

/** What {@link renderIngressStack} gives. */
export interface IngressStack {
  /** The stack name: {@link INGRESS_STACK}. */
  readonly stack: string;
  /** Traefik's arguments, as the service's `command`. */
  readonly args: readonly string[];
  /** The compose file as data, as in `text`: every `$` of an argument doubled. */
  readonly data: DockerMap;
  /** The compose file as `docker stack deploy -c -` reads it: every `$` doubled. */
  readonly text: string;
}

function escapeDollars(s: string): string {
  return s.replaceAll('$', '$$$$');
}

/**
 * Renders the `otto-ingress` stack for a cluster: Traefik v3 with the Swarm provider,
 * ports 80 and 443 published in ingress mode (the routing mesh: any node answers),
 * one replica on a manager (the Swarm provider reads services from a manager's
 * engine, through the socket mounted read-only), the network `traefik-public` as
 * external (create it first with `overlayNetworkCreate`), and Let's Encrypt's
 * storage on the named volume `traefik-acme`. Throws a ConfigError (see
 * {@link deployableIngress}) when the ingress is off or has no e-mail.
 * @example
 * const { text } = renderIngressStack('prod', cluster.ingress);
 * await transport.run(stackDeploy(INGRESS_STACK), { stdin: text });
 */
export function renderIngressStack(cluster: string, ingress: IngressConfig): IngressStack {
  const deployable = deployableIngress(cluster, ingress);
  const args = traefikArgs(deployable);
  const service: DockerMap = {
    image: deployable.image,
    command: args.map(escapeDollars),
    ports: [80, 443].map((port) => ({
      target: port,
      published: port,
      protocol: 'tcp',
      mode: 'ingress',
    })),
    volumes: [
      {
        type: 'bind',
        source: DOCKER_SOCKET,
        target: DOCKER_SOCKET,
        read_only: true,
      },
      { type: 'volume', source: ACME_VOLUME, target: ACME_DIR },
    ],
    networks: [TRAEFIK_NETWORK],
    deploy: {
      mode: 'replicated',
      replicas: 1,
      placement: { constraints: ['node.role == manager'] },
    },
  };
  const data: DockerMap = {
    services: { [INGRESS_SERVICE]: service },
    networks: { [TRAEFIK_NETWORK]: { external: true } },
    volumes: { [ACME_VOLUME]: {} },
  };
  return { stack: INGRESS_STACK, args, data, text: stringifyDockerYaml(data) };
}

/**
 * What a launch says when a fleet routes domains on a cluster whose ingress is turned
 * off: a note before the launch (Otto runs no Traefik there; one of the user's own
 * may), and the fix to add when Docker then refuses the stack for a missing
 * `traefik-public` network.
 * @example
 * const { note, fix } = ingressOffNotice('prod', ['app.example.com']);
 */
export function ingressOffNotice(
  cluster: string,
  domains: readonly string[],
): { readonly note: string; readonly fix: string } {
  const names = domains.length > 3 ? `${domains.slice(0, 3).join(', ')}, …` : domains.join(', ');
  return {
    note: `Cluster ${cluster} has its ingress turned off (clusters.${cluster}.ingress.enabled: false): Otto runs no Traefik there, so ${names} ${domains.length > 1 ? 'are' : 'is'} served only by a Traefik of your own on the ${TRAEFIK_NETWORK} network.`,
    fix: `Turn the ingress on (remove clusters.${cluster}.ingress.enabled: false from otto.yml) and run otto outpost add for a manager of ${cluster}, or create the network for your own Traefik: docker network create --driver overlay --attachable ${TRAEFIK_NETWORK}. Then launch again.`,
  };
}
