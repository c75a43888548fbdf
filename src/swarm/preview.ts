import { ComposeError } from '../errors.js';
import { isDockerMap, parseDockerYaml, setKey, stringifyDockerYaml } from './docker-yaml.js';

/** A fleet name is at most 63 characters (it names the stack): room for `-pr-<number>`. */
const FLEET_MAX = 63;

/**
 * The fleet a pull request's preview runs as: `shop` + 42 → `shop-pr-42`, the
 * parent's name cut so the whole stays a fleet name.
 *
 * @example previewFleetName('shop', 42) // 'shop-pr-42'
 */
export function previewFleetName(parent: string, number: number): string {
  const tail = `-pr-${number}`;
  return `${parent.slice(0, FLEET_MAX - tail.length).replace(/-+$/, '')}${tail}`;
}

/** `pr-{number}.shop.example.com` with the number filled in. */
export function previewDomain(pattern: string, number: number): string {
  return pattern.replaceAll('{number}', String(number));
}

/**
 * A pull request's compose: the services of `services` answer on `domain` alone (their
 * `x-otternauts.port` kept), and every other service loses its domains, so the
 * preview never claims a production host name (Traefik would share it between both
 * stacks). Anchors, merges and variables are kept as Docker reads them; the result
 * is what the preview's launch records and renders.
 *
 * @example previewCompose(text, 'pr-42.shop.example.com', ['web'], 'shop.yml')
 */
export function previewCompose(
  text: string,
  domain: string,
  services: readonly string[],
  label: string,
): string {
  const data = parseDockerYaml(text, label);
  const all = isDockerMap(data) && isDockerMap(data['services']) ? data['services'] : undefined;
  if (!isDockerMap(data) || !all)
    throw new ComposeError(`Configuration error: ${label} has no services.`);
  for (const name of services) {
    const svc = all[name];
    if (!isDockerMap(svc))
      throw new ComposeError(
        `Configuration error: previews.services names ${name}, which ${label} does not have.`,
        `Its services: ${Object.keys(all).join(', ')}.`,
      );
    const x = svc['x-otternauts'];
    if (!isDockerMap(x) || x['port'] === undefined)
      throw new ComposeError(
        `Configuration error: service ${name} of ${label} has no x-otternauts.port, so a preview can't route ${domain} to it.`,
        `Give ${name} x-otternauts: { port: <its HTTP port> } in the compose file.`,
      );
    setKey(x, 'domains', [domain]);
  }
  for (const [name, svc] of Object.entries(all)) {
    if (services.includes(name) || !isDockerMap(svc)) continue;
    delete svc['x-otternauts'];
  }
  return stringifyDockerYaml(data);
}
