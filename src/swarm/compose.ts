import { z } from 'zod';
import { overriddenImage } from './image-override.js';
import { ComposeError, MissingSecretsError } from '../errors.js';
import { castFor, castValue, CAST_WORDS } from './compose-casts.js';
import {
  isDockerMap,
  mapValues,
  parseDockerYaml,
  stringifyDockerYaml,
  type DockerMap,
  type DockerValue,
} from './docker-yaml.js';
import { interpolate, scanTemplate, type InterpolateHooks, type Lookup } from './interpolate.js';

export const TRAEFIK_NETWORK = 'traefik-public';

const hostname = z
  .string()
  .regex(
    /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i,
    'must be a plain domain name such as app.example.com',
  );

/** A string that still holds a variable: checked once it is filled in, at render. */
const templated = z.string().regex(/\$/);

const otternautsSchema = (domain: z.ZodType<string>, port: z.ZodType<number | string>) =>
  z
    .object({
      domains: z.array(domain).min(1, 'list at least one domain').optional(),
      port: port.optional(),
    })
    .strict()
    .refine((x) => !x.domains || x.port !== undefined, {
      message:
        'port is needed with domains: Traefik must know the container port (e.g. port: 3000)',
      path: ['port'],
    });

const portNumber = z.number().int().min(1).max(65535);

/** As written: a domain or port may be a variable (`${DOMAIN}`), checked after interpolation. */
const writtenOtternauts = otternautsSchema(
  z.union([hostname, templated]),
  z.union([portNumber, templated]),
);

/** As rendered: plain domains and a port number. */
const renderedOtternauts = otternautsSchema(hostname, portNumber);

const serviceSchema = z
  .object({
    image: z
      .string({ error: 'every service needs an image' })
      .min(1, 'every service needs an image'),
    'x-otternauts': writtenOtternauts.optional(),
  })
  .passthrough();

const composeSchema = z
  .object({
    services: z.record(
      z
        .string()
        .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'service names use letters, digits, _, . and -'),
      serviceSchema,
    ),
  })
  .passthrough();

/** `x-otternauts` as written: a domain or the port may still be a variable. */
export interface WrittenOtternauts {
  readonly domains: readonly string[];
  readonly port: number | string | undefined;
}

/** The domains and port Traefik routes; the port is a masked string only in what people see. */
export interface Otternauts {
  readonly domains: readonly string[];
  readonly port: number | string | undefined;
}

/** A service's `x-otternauts` once its variables are filled in, checked; undefined without one. */
function renderedOtternautsOf(svc: DockerMap, name: string, fleet: string): Otternauts | undefined {
  const x = svc['x-otternauts'];
  if (x === undefined) return undefined;
  const port = isDockerMap(x) ? x['port'] : undefined;
  const typed =
    isDockerMap(x) && typeof port === 'string' ? { ...x, port: castValue('int', port) ?? port } : x;
  const parsed = renderedOtternauts.safeParse(typed);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `services.${name}.x-otternauts.${i.path.join('.')}: ${i.message}`,
    );
    throw new ComposeError(
      `Configuration error in the compose file of ${fleet}, once its variables are filled in: ${lines.join('; ')}.`,
      'Fix the value (or the secret it reads) and launch again.',
    );
  }
  return { domains: parsed.data.domains ?? [], port: parsed.data.port };
}

export interface ParsedCompose {
  /** The file as Docker reads it (yaml.v3 scalars, merges resolved), before interpolation; `x-otternauts` still in. */
  readonly data: Readonly<DockerMap>;
  /** Each service's image and `x-otternauts` as written (either may still hold variables). */
  readonly services: ReadonlyMap<
    string,
    { readonly image: string; readonly otternauts?: WrittenOtternauts }
  >;
  /** Names of `${VAR}` references without a default: these must be set as secrets. */
  readonly required: ReadonlySet<string>;
}

/** Every string value of a tree (keys are never interpolated, as in Docker), with its path. */
function eachString(value: DockerValue, fn: (s: string, path: string) => void, path = ''): void {
  if (typeof value === 'string') fn(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => eachString(v, fn, `${path}[${i}]`));
  else if (isDockerMap(value))
    for (const [k, v] of Object.entries(value)) eachString(v, fn, path ? `${path}.${k}` : k);
}

/** Files the docker CLI reads from its own disk: on a manager over SSH, not the ones beside otto.yml. */
function refuseLocalFiles(data: DockerMap, label: string): void {
  const refuse = (path: string, what: string, fix: string) => {
    throw new ComposeError(
      `Configuration error: ${label} has ${path}, ${what}. Otto sends the compose file to a manager over SSH, where the docker CLI would read that path on the manager's disk instead of beside your compose file, so Otto does not launch it.`,
      fix,
    );
  };
  for (const [name, svc] of Object.entries(isDockerMap(data['services']) ? data['services'] : {})) {
    if (isDockerMap(svc) && svc['env_file'] !== undefined) {
      refuse(
        `services.${name}.env_file`,
        'a file of variables',
        'Move the variables under environment: (use ${NAME} with otto secret set for secret ones) and launch again.',
      );
    }
  }
  for (const kind of ['configs', 'secrets'] as const) {
    const section = data[kind];
    if (!isDockerMap(section)) continue;
    for (const [name, entry] of Object.entries(section)) {
      if (isDockerMap(entry) && entry['file'] !== undefined) {
        const one = kind.slice(0, -1);
        refuse(
          `${kind}.${name}.file`,
          `a ${one} read from a file`,
          `Create the ${one} once on the cluster (docker ${one} create ${name} ./file, with a version in its name) and declare it with external: true and name: in the compose file, then launch again.`,
        );
      }
    }
  }
}

/** Environment names without a value (`- NAME`, `NAME:`): Docker takes them from the environment it runs in. */
function bareEnvironment(svc: DockerMap): string[] {
  const env = svc['environment'];
  if (Array.isArray(env))
    return env.filter((e): e is string => typeof e === 'string' && !e.includes('='));
  if (isDockerMap(env))
    return Object.entries(env)
      .filter(([, v]) => v === null)
      .map(([k]) => k);
  return [];
}

/**
 * Fills `- NAME` and `NAME:` from the fleet's secrets, which are to Otto what the
 * shell's environment is to `docker stack deploy`. Left bare, the docker CLI on the
 * manager would fill them from its SSH session (PATH, HOME, USER…).
 */
function fillBareEnvironment(svc: DockerMap, lookup: Lookup, hooks: InterpolateHooks): void {
  const env = svc['environment'];
  const value = (name: string) => lookup(name) ?? hooks.missing(name);
  if (Array.isArray(env)) {
    svc['environment'] = env.map((e) =>
      typeof e === 'string' && !e.includes('=') ? `${e}=${value(e)}` : e,
    );
  } else if (isDockerMap(env)) {
    for (const [k, v] of Object.entries(env)) if (v === null) env[k] = value(k);
  }
}

/**
 * Parses and validates a compose file as the docker CLI reads it. `label` names
 * the file in messages.
 * @example parseCompose('services:\n  web:\n    image: nginx\n', 'stacks/web.yml')
 */
export function parseCompose(text: string, label: string): ParsedCompose {
  const data = parseDockerYaml(text, label);
  const parsed = composeSchema.safeParse(data);
  if (!parsed.success || !isDockerMap(data)) {
    const lines = parsed.error?.issues.map(
      (i) => `${i.path.join('.') || '(top level)'}: ${i.message}`,
    ) ?? ['(top level): the file must be a mapping with services:'];
    throw new ComposeError(
      `Configuration error in ${label}: ${lines.join('; ')}.`,
      'Fix the compose file and launch again.',
    );
  }
  refuseLocalFiles(data, label);
  const required = new Set<string>();
  eachString(data, (s, path) => scanTemplate(s, path, required));
  for (const svc of Object.values(data['services'] as DockerMap))
    if (isDockerMap(svc)) for (const name of bareEnvironment(svc)) required.add(name);
  const services = new Map<string, { image: string; otternauts?: WrittenOtternauts }>();
  for (const [name, svc] of Object.entries(parsed.data.services)) {
    const x = svc['x-otternauts'];
    services.set(name, {
      image: svc.image,
      ...(x ? { otternauts: { domains: x.domains ?? [], port: x.port } } : {}),
    });
  }
  return { data, services, required };
}

/** Traefik router names may not hold dots: keep letters, digits and dashes. */
function routerName(fleet: string, service: string): string {
  return `${fleet}-${service}`.replace(/[^a-zA-Z0-9-]/g, '-');
}

/** The labels seed 001 describes, for one service with domains. */
export function traefikLabels(
  fleet: string,
  service: string,
  x: Otternauts,
): Record<string, string> {
  const r = routerName(fleet, service);
  const labels: Record<string, string> = {
    'traefik.enable': 'true',
    [`traefik.http.routers.${r}.rule`]: x.domains.map((d) => `Host(\`${d}\`)`).join(' || '),
    [`traefik.http.routers.${r}.entrypoints`]: 'websecure',
    [`traefik.http.routers.${r}.tls.certresolver`]: 'letsencrypt',
  };
  if (x.port !== undefined)
    labels[`traefik.http.services.${r}.loadbalancer.server.port`] = String(x.port);
  return labels;
}

function labelsAsMap(labels: DockerValue | undefined): DockerMap {
  if (Array.isArray(labels)) {
    return Object.fromEntries(
      labels.map((l) => {
        const s = String(l);
        const i = s.indexOf('=');
        return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
      }),
    );
  }
  return isDockerMap(labels) ? labels : {};
}

function joinNetwork(networks: DockerValue | undefined): DockerValue {
  if (networks === undefined || networks === null) return ['default', TRAEFIK_NETWORK];
  if (Array.isArray(networks))
    return networks.includes(TRAEFIK_NETWORK) ? networks : [...networks, TRAEFIK_NETWORK];
  if (isDockerMap(networks)) return { [TRAEFIK_NETWORK]: {}, ...networks };
  return networks;
}

/** What a render gives: the text `docker stack deploy -c -` reads, and what it names. */
export interface RenderedCompose {
  /** The compose file as Docker receives it: every `$` doubled, so the remote CLI does not interpolate again. */
  readonly text: string;
  /** Each service's image after interpolation (and pinning): `web` → `registry:5000/app:1`. */
  readonly images: ReadonlyMap<string, string>;
}

export interface RenderOptions {
  /**
   * Images to run instead of the file's, by service: a rollback pins the digests that
   * ran then (`app:1@sha256:…`). Services the file does not have are ignored.
   */
  readonly pins?: ReadonlyMap<string, string>;
  /**
   * Images given for this launch, by service (`launch shop web=1.4.2`): a tag or a
   * digest replaces the file's, a whole reference replaces its image (see
   * {@link overriddenImage}). Pins win over them.
   */
  readonly overrides?: ReadonlyMap<string, string>;
  /**
   * For people, not Docker: a variable that is not set reads `<NAME not set>` and a
   * value Docker could not re-type stays as it is, instead of refusing the file.
   */
  readonly display?: boolean;
}

/** For people: the domains and port as filled in (masked or `<NAME not set>`), unchecked. */
function displayOtternauts(svc: DockerMap): Otternauts | undefined {
  const x = svc['x-otternauts'];
  if (!isDockerMap(x)) return undefined;
  const domains = Array.isArray(x['domains']) ? x['domains'].map(String) : [];
  const port = x['port'];
  return {
    domains,
    port: typeof port === 'number' || typeof port === 'string' ? port : undefined,
  };
}

/** Interpolates every string value, re-typing the fields Docker re-types. */
function interpolateTree(
  value: DockerValue,
  keys: string[],
  lookup: Lookup,
  hooks: InterpolateHooks,
  display: boolean,
): DockerValue {
  if (typeof value === 'string') {
    const path = keys.join('.').replaceAll('.[]', '[]');
    const out = interpolate(value, path, lookup, hooks);
    const cast = out !== value ? castFor(keys) : undefined;
    if (!cast) return out;
    const typed = castValue(cast, out);
    if (typed !== undefined || display) return typed ?? out;
    throw new ComposeError(
      `Configuration error: ${path} is "${value}", which is "${out}" once filled in, and Docker needs ${CAST_WORDS[cast]} there.`,
      'Fix the value (or the secret it reads) and launch again.',
    );
  }
  if (Array.isArray(value))
    return value.map((v) => interpolateTree(v, [...keys, '[]'], lookup, hooks, display));
  if (isDockerMap(value))
    return mapValues(value, (v, k) => interpolateTree(v, [...keys, k], lookup, hooks, display));
  return value;
}

/** Doubles every `$` in string values, so that the remote docker CLI reads them as written. */
function escapeDollars(value: DockerValue): DockerValue {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$');
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (isDockerMap(value)) return mapValues(value, escapeDollars);
  return value;
}

/**
 * Renders what Docker sees: variables filled in from the fleet's secrets and the
 * fields Docker re-types cast, Traefik labels and network added to the services that
 * ask for them, `x-otternauts` removed, and every `$` doubled so the remote docker
 * CLI does not interpolate again. Throws {@link MissingSecretsError} (or a
 * ComposeError for `${NAME:?message}`) before anything is deployed.
 */
export function renderCompose(
  parsed: ParsedCompose,
  fleet: string,
  secrets: ReadonlyMap<string, string>,
  options: RenderOptions = {},
): RenderedCompose {
  const display = options.display === true;
  const missing = new Set<string>();
  const hooks: InterpolateHooks = {
    missing: (name) => {
      missing.add(name);
      return `<${name} not set>`;
    },
    required: (name, message) => {
      if (display) return `<${name} not set: ${message}>`;
      throw new ComposeError(
        `Configuration error: the compose file of ${fleet} needs ${name}: ${message || `${name} must be set`}.`,
        `Set it: otto secret set ${fleet} ${name}, then launch again.`,
      );
    },
  };
  const lookup: Lookup = (name) => secrets.get(name);
  const data = interpolateTree(parsed.data, [], lookup, hooks, display) as DockerMap;
  for (const svc of Object.values(data['services'] as DockerMap))
    if (isDockerMap(svc)) fillBareEnvironment(svc, lookup, hooks);
  if (missing.size > 0 && !display) throw new MissingSecretsError(fleet, [...missing].sort());

  delete data['x-otternauts'];
  let routed = false;
  const services = data['services'] as Record<string, DockerMap>;
  const images = new Map<string, string>();
  for (const [name, svc] of Object.entries(services)) {
    const x = display ? displayOtternauts(svc) : renderedOtternautsOf(svc, name, fleet);
    delete svc['x-otternauts'];
    const override = options.overrides?.get(name);
    if (override !== undefined)
      svc['image'] = overriddenImage(String(svc['image'] ?? ''), override);
    const pin = options.pins?.get(name);
    if (pin !== undefined) svc['image'] = pin;
    images.set(name, String(svc['image']));
    if (!x || x.domains.length === 0) continue;
    routed = true;
    const deploy: DockerMap = isDockerMap(svc['deploy']) ? svc['deploy'] : {};
    deploy['labels'] = { ...traefikLabels(fleet, name, x), ...labelsAsMap(deploy['labels']) };
    svc['deploy'] = deploy;
    svc['networks'] = joinNetwork(svc['networks']);
  }
  if (routed) {
    const networks: DockerMap = isDockerMap(data['networks']) ? data['networks'] : {};
    networks[TRAEFIK_NETWORK] ??= { external: true };
    data['networks'] = networks;
  }
  return { text: stringifyDockerYaml(escapeDollars(data)), images };
}

/** The registry an image is pulled from: `ghcr.io/a/b:1` → `ghcr.io`, `nginx` → `docker.io`. */
export function imageRegistry(image: string): string {
  const first = image.split('/')[0] ?? '';
  if (
    image.includes('/') &&
    (first.includes('.') || first.includes(':') || first === 'localhost')
  ) {
    return normalizeRegistry(first);
  }
  return 'docker.io';
}

/**
 * A registry as `docker login` takes it: a host name or IPv4 address, and an
 * optional port. Nothing else, so that it can never start with `-`.
 * @example isRegistryHost('registry.example.com:5000') // true; isRegistryHost('--help') // false
 */
export function isRegistryHost(registry: string): boolean {
  const m =
    /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)(?::(\d{1,5}))?$/i.exec(
      registry,
    );
  return !!m && m[1]!.length <= 253 && (m[2] === undefined || (+m[2] >= 1 && +m[2] <= 65535));
}

/** `https://GHCR.io/` → `ghcr.io`; Docker Hub's other names → `docker.io`. */
export function normalizeRegistry(registry: string): string {
  const r = registry
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '')
    .toLowerCase();
  return ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(r) ? 'docker.io' : r;
}
