import { parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { ComposeError, MissingSecretsError } from '../errors.js';

export const TRAEFIK_NETWORK = 'traefik-public';

const hostname = z
  .string()
  .regex(
    /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i,
    'must be a plain domain name such as app.example.com',
  );

const otternautsSchema = z
  .object({
    domains: z.array(hostname).min(1, 'list at least one domain').optional(),
    port: z.number().int().min(1).max(65535).optional(),
  })
  .strict()
  .refine((x) => !x.domains || x.port !== undefined, {
    message: 'port is needed with domains: Traefik must know the container port (e.g. port: 3000)',
    path: ['port'],
  });

const serviceSchema = z
  .object({
    image: z
      .string({ error: 'every service needs an image' })
      .min(1, 'every service needs an image'),
    'x-otternauts': otternautsSchema.optional(),
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

export interface Otternauts {
  readonly domains: readonly string[];
  readonly port: number | undefined;
}

export interface ParsedCompose {
  /** The file as plain data, `x-otternauts` still in. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly services: ReadonlyMap<
    string,
    { readonly image: string; readonly otternauts?: Otternauts }
  >;
  /** Names of `${VAR}` references without a default: these must be set as secrets. */
  readonly required: ReadonlySet<string>;
}

const VARIABLE = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function mapStrings(value: unknown, fn: (s: string, path: string) => string, path = ''): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => mapStrings(v, fn, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn, path ? `${path}.${k}` : k)]),
    );
  }
  return value;
}

/** Checks that a string holds only interpolation forms Otto understands. */
function scanVariables(s: string, path: string, required: Set<string>): void {
  const stripped = s.replace(
    VARIABLE,
    (_m, dollar, braced: string, def: string | undefined, bare) => {
      if (!dollar && def === undefined) required.add(braced ?? bare);
      return '';
    },
  );
  if (stripped.includes('$')) {
    throw new ComposeError(
      `Configuration error: ${path} has a "$" Otto can't read.`,
      'Use ${NAME} or ${NAME:-default} for secrets, and $$ for a literal dollar sign.',
    );
  }
}

/**
 * How far YAML aliases may expand (yaml's own default, made explicit): a compose
 * file reuses an anchor a few times (`<<: *defaults`), a "billion laughs" file
 * nests aliases to blow up memory.
 */
export const MAX_ALIAS_COUNT = 100;

/**
 * Parses and validates a compose file. `label` names the file in messages.
 * @example parseCompose('services:\n  web:\n    image: nginx\n', 'stacks/web.yml')
 */
export function parseCompose(text: string, label: string): ParsedCompose {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ComposeError(
      `Configuration error: ${label} is not valid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      'Fix the YAML at that spot and launch again.',
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // yaml throws a ReferenceError for an alias it won't resolve: too many ("billion laughs") or unknown.
    if (!(e instanceof ReferenceError)) throw e;
    throw /^Excessive alias count/.test(e.message)
      ? new ComposeError(
          `Configuration error: ${label} expands its YAML aliases (*name) more than ${MAX_ALIAS_COUNT} times over, as a "billion laughs" file does to exhaust memory. Otto did not expand it.`,
          'Write the repeated parts out, or alias smaller anchors, and launch again.',
        )
      : new ComposeError(
          `Configuration error: ${label} has a YAML alias Otto can't resolve: ${e.message}.`,
          'Define the anchor (&name) before its alias (*name) and launch again.',
        );
  }
  const parsed = composeSchema.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(top level)'}: ${i.message}`,
    );
    throw new ComposeError(
      `Configuration error in ${label}: ${lines.join('; ')}.`,
      'Fix the compose file and launch again.',
    );
  }
  const required = new Set<string>();
  mapStrings(data, (s, path) => {
    scanVariables(s, path, required);
    return s;
  });
  const services = new Map<string, { image: string; otternauts?: Otternauts }>();
  for (const [name, svc] of Object.entries(parsed.data.services)) {
    const x = svc['x-otternauts'];
    services.set(name, {
      image: svc.image,
      ...(x ? { otternauts: { domains: x.domains ?? [], port: x.port } } : {}),
    });
  }
  return { data: data as Record<string, unknown>, services, required };
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

function labelsAsMap(labels: unknown): Record<string, string> {
  if (Array.isArray(labels)) {
    return Object.fromEntries(
      labels.map((l) => {
        const s = String(l);
        const i = s.indexOf('=');
        return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
      }),
    );
  }
  if (labels && typeof labels === 'object') {
    return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v ?? '')]));
  }
  return {};
}

function joinNetwork(networks: unknown): unknown {
  if (networks === undefined || networks === null) return ['default', TRAEFIK_NETWORK];
  if (Array.isArray(networks))
    return networks.includes(TRAEFIK_NETWORK) ? networks : [...networks, TRAEFIK_NETWORK];
  if (typeof networks === 'object') return { [TRAEFIK_NETWORK]: {}, ...networks };
  return networks;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
}

/**
 * Renders what Docker sees: secrets filled in, Traefik labels and network added,
 * `x-otternauts` removed, and every `$` doubled so the remote docker CLI does not
 * interpolate again. Throws {@link MissingSecretsError} before anything is deployed.
 */
export function renderCompose(
  parsed: ParsedCompose,
  fleet: string,
  secrets: ReadonlyMap<string, string>,
  options: RenderOptions = {},
): RenderedCompose {
  const missing = [...parsed.required].filter((n) => !secrets.has(n)).sort();
  if (missing.length > 0) throw new MissingSecretsError(fleet, missing);

  const data = structuredClone(parsed.data) as Record<string, Json>;
  delete data['x-otternauts'];
  let routed = false;
  const services = data['services'] as Record<string, Record<string, Json>>;
  for (const [name, svc] of Object.entries(services)) {
    const x = parsed.services.get(name)?.otternauts;
    delete svc['x-otternauts'];
    if (!x || x.domains.length === 0) continue;
    routed = true;
    const deploy: Record<string, Json> = isRecord(svc['deploy'])
      ? (svc['deploy'] as Record<string, Json>)
      : {};
    deploy['labels'] = { ...traefikLabels(fleet, name, x), ...labelsAsMap(deploy['labels']) };
    svc['deploy'] = deploy;
    svc['networks'] = joinNetwork(svc['networks']) as Json;
  }
  if (routed) {
    const networks: Record<string, Json> = isRecord(data['networks'])
      ? (data['networks'] as Record<string, Json>)
      : {};
    networks[TRAEFIK_NETWORK] ??= { external: true };
    data['networks'] = networks;
  }
  const filled = mapStrings(data, (s) =>
    s.replace(VARIABLE, (_m, dollar, braced: string, def: string | undefined, bare: string) => {
      if (dollar) return '$';
      const name = braced ?? bare;
      return secrets.get(name) ?? def ?? '';
    }),
  ) as Record<string, Record<string, Record<string, Json>>>;
  const images = new Map<string, string>();
  for (const [name, svc] of Object.entries(filled['services'] ?? {})) {
    const pin = options.pins?.get(name);
    if (pin !== undefined) svc['image'] = pin;
    images.set(name, String(svc['image']));
  }
  const text = stringify(
    mapStrings(filled, (s) => s.replace(/\$/g, '$$$$')),
    { lineWidth: 0 },
  );
  return { text, images };
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
