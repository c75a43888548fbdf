import { networkInspect, overlayNetworkCreate } from '../swarm/argv.js';
import { TRAEFIK_NETWORK } from '../swarm/compose.js';
import type { Transport } from '../transport/transport.js';

/**
 * With Otto's built-in default (no otto.yml), a launch makes the `traefik-public`
 * overlay network on this machine's Swarm when it is missing, so the example fleet's
 * routed service has its network before any ingress exists (Traefik routes to it once
 * one runs). With an otto.yml Otto never makes it on its own: `otto outpost add` does,
 * with the ingress. True when Otto made it now. A create that fails is left for the
 * launch to meet: its deploy says what is wrong (no Swarm here, most likely).
 */
export async function trialIngressNetwork(
  transport: Transport,
  signal?: AbortSignal,
): Promise<boolean> {
  if ((await transport.run(networkInspect(TRAEFIK_NETWORK), { signal })).exitCode === 0)
    return false;
  return (await transport.run(overlayNetworkCreate(TRAEFIK_NETWORK), { signal })).exitCode === 0;
}
