import { STACK_LABEL } from './argv.js';
import type {
  ContainerSpec,
  FileReference,
  InspectedNetwork,
  InspectedService,
  Labels,
  ServiceSpec,
  SpecMount,
  UpdateSpec,
} from './service-spec.js';

/**
 * A stack's compose file, rebuilt from what its services run (`docker service inspect`).
 * Docker keeps no copy of the file a stack was deployed from, and `docker stack config`
 * can't help: it only merges and checks compose files on the CLI's own disk, it never
 * reads a stack that runs. So Otto turns each service's spec back into compose keys,
 * the way docker/cli's `compose/convert` made them, leaving out what is Docker's default.
 */

export type ComposeValue = string | number | boolean | ComposeValue[] | ComposeMap;
export interface ComposeMap {
  [key: string]: ComposeValue;
}

/** A comment for the file, on the key at `path` (`['services', 'web', 'image']`). */
export interface ComposeNote {
  readonly path: readonly string[];
  readonly text: string;
  /** `line`: after the value, on its line; `above`: on lines of its own before the key. */
  readonly at: 'line' | 'above';
}

export interface RebuiltCompose {
  readonly data: ComposeMap;
  readonly notes: readonly ComposeNote[];
}

/** The image label `docker stack deploy` sets: the image as the compose file wrote it. */
const IMAGE_LABEL = 'com.docker.stack.image';

/** Labels a person set: Docker's own (`com.docker.*`) are made again by every deploy. */
function ownLabels(labels: Labels | undefined): ComposeMap | undefined {
  const out = Object.fromEntries(
    Object.entries(labels ?? {}).filter(([k]) => !k.startsWith('com.docker.')),
  );
  return Object.keys(out).length ? out : undefined;
}

const UNITS: readonly [string, number][] = [
  ['h', 3600e9],
  ['m', 60e9],
  ['s', 1e9],
];

/**
 * A duration in nanoseconds as Go's time.ParseDuration reads it, as compose files write
 * durations: `90s` → `1m30s`, `0.5s` → `500ms`.
 * @example goDuration(90e9) // '1m30s'
 */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns % 1e9 !== 0) {
    if (ns % 1e6 === 0) return `${ns / 1e6}ms`;
    return ns % 1e3 === 0 ? `${ns / 1e3}us` : `${ns}ns`;
  }
  let rest = ns;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/**
 * Bytes as Docker's size parser reads them, in the largest binary unit that divides them.
 * @example memorySize(512 * 1024 * 1024) // '512M'
 */
export function memorySize(bytes: number): string {
  for (const [unit, size] of [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  return `${bytes}b`;
}

/** CPUs as compose writes them (`0.5`), from Swarm's billionths of a CPU. */
export const cpus = (nano: number) => (nano / 1e9).toFixed(9).replace(/\.?0+$/, '');

/**
 * The image to write: as the stack's compose file had it (Docker keeps it in a label),
 * else what runs without the `@sha256:…` that the deploy resolved. A bare name pinned by
 * its digest alone keeps it: without it, it would mean `latest`.
 * @example imageOf({ Name: 'a_web', TaskTemplate: { ContainerSpec: { Image: 'nginx:1.27@sha256:ab' } } }) // { image: 'nginx:1.27', digest: 'sha256:ab' }
 */
export function imageOf(spec: ServiceSpec): { image: string; digest?: string } {
  const running = spec.TaskTemplate?.ContainerSpec?.Image ?? '';
  const at = running.indexOf('@');
  const digest = at >= 0 ? running.slice(at + 1) : undefined;
  const written = spec.Labels?.[IMAGE_LABEL];
  if (written)
    return written.includes('@') || !digest ? { image: written } : { image: written, digest };
  if (!digest) return { image: running };
  const name = running.slice(0, at);
  const tagged = name.slice(name.lastIndexOf('/') + 1).includes(':');
  return tagged ? { image: name, digest } : { image: running };
}

/** Sets `key` when `value` says something: not undefined, not empty. */
function put(map: ComposeMap, key: string, value: ComposeValue | undefined | null): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return;
  map[key] = value;
}

const list = (xs: readonly string[] | null | undefined) => (xs?.length ? [...xs] : undefined);

/** `KEY=value` lines as a map; as the list they are when one has no `=` (it means: unset). */
function environment(env: readonly string[] | null | undefined): ComposeValue | undefined {
  if (!env?.length) return undefined;
  if (env.some((e) => !e.includes('='))) return [...env];
  return Object.fromEntries(
    env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
}

function healthcheck(h: ContainerSpec['Healthcheck']): ComposeMap | undefined {
  if (!h) return undefined;
  if (h.Test?.[0] === 'NONE') return { disable: true };
  const out: ComposeMap = {};
  put(out, 'test', list(h.Test));
  if (h.Interval) out['interval'] = goDuration(h.Interval);
  if (h.Timeout) out['timeout'] = goDuration(h.Timeout);
  if (h.Retries) out['retries'] = h.Retries;
  if (h.StartPeriod) out['start_period'] = goDuration(h.StartPeriod);
  if (h.StartInterval) out['start_interval'] = goDuration(h.StartInterval);
  return out;
}

/** Swarm keeps `extra_hosts` as `IP host alias…`; compose writes `host:IP`. */
function extraHosts(hosts: readonly string[] | null | undefined): string[] | undefined {
  const out = (hosts ?? []).flatMap((h) => {
    const [ip, ...names] = h.trim().split(/\s+/);
    return names.map((n) => `${n}:${ip}`);
  });
  return out.length ? out : undefined;
}

function ulimits(u: ContainerSpec['Ulimits']): ComposeMap | undefined {
  if (!u?.length) return undefined;
  return Object.fromEntries(
    u.map((x) => [x.Name, x.Soft === x.Hard ? x.Soft : { soft: x.Soft, hard: x.Hard }]),
  );
}

function resources(r: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number } | undefined) {
  const out: ComposeMap = {};
  if (r?.NanoCPUs) out['cpus'] = cpus(r.NanoCPUs);
  if (r?.MemoryBytes) out['memory'] = memorySize(r.MemoryBytes);
  if (r?.Pids) out['pids'] = r.Pids;
  return out;
}

/** update_config / rollback_config: what differs from Swarm's defaults. */
function updateConfig(u: UpdateSpec | null | undefined): ComposeMap | undefined {
  if (!u) return undefined;
  const out: ComposeMap = {};
  if (u.Parallelism !== undefined && u.Parallelism !== 1) out['parallelism'] = u.Parallelism;
  if (u.Delay) out['delay'] = goDuration(u.Delay);
  if (u.FailureAction && u.FailureAction !== 'pause') out['failure_action'] = u.FailureAction;
  if (u.Monitor && u.Monitor !== 5e9) out['monitor'] = goDuration(u.Monitor);
  if (u.MaxFailureRatio) out['max_failure_ratio'] = u.MaxFailureRatio;
  if (u.Order && u.Order !== 'stop-first') out['order'] = u.Order;
  return out;
}

function deploy(spec: ServiceSpec): ComposeMap {
  const out: ComposeMap = {};
  const mode = spec.Mode ?? {};
  if (mode.Global) out['mode'] = 'global';
  else if (mode.GlobalJob) out['mode'] = 'global-job';
  else if (mode.ReplicatedJob) {
    out['mode'] = 'replicated-job';
    put(out, 'replicas', mode.ReplicatedJob.MaxConcurrent);
  } else out['replicas'] = mode.Replicated?.Replicas ?? 1;
  if (spec.EndpointSpec?.Mode === 'dnsrr') out['endpoint_mode'] = 'dnsrr';
  put(out, 'labels', ownLabels(spec.Labels));
  const t = spec.TaskTemplate;
  const res: ComposeMap = {};
  put(res, 'limits', resources(t?.Resources?.Limits));
  put(res, 'reservations', resources(t?.Resources?.Reservations));
  put(out, 'resources', res);
  const restart: ComposeMap = {};
  const r = t?.RestartPolicy;
  if (r?.Condition && r.Condition !== 'any') restart['condition'] = r.Condition;
  if (r?.Delay !== undefined && r.Delay !== 5e9) restart['delay'] = goDuration(r.Delay);
  if (r?.MaxAttempts) restart['max_attempts'] = r.MaxAttempts;
  if (r?.Window) restart['window'] = goDuration(r.Window);
  put(out, 'restart_policy', restart);
  const placement: ComposeMap = {};
  put(placement, 'constraints', list(t?.Placement?.Constraints));
  put(
    placement,
    'preferences',
    (t?.Placement?.Preferences ?? []).flatMap((p) =>
      p.Spread?.SpreadDescriptor ? [{ spread: p.Spread.SpreadDescriptor }] : [],
    ),
  );
  if (t?.Placement?.MaxReplicas) placement['max_replicas_per_node'] = t.Placement.MaxReplicas;
  put(out, 'placement', placement);
  put(out, 'update_config', updateConfig(spec.UpdateConfig));
  put(out, 'rollback_config', updateConfig(spec.RollbackConfig));
  return out;
}

function ports(spec: ServiceSpec): ComposeMap[] | undefined {
  const out = (spec.EndpointSpec?.Ports ?? []).map((p) => {
    const port: ComposeMap = {};
    put(port, 'target', p.TargetPort);
    if (p.PublishedPort) port['published'] = p.PublishedPort;
    if (p.Protocol && p.Protocol !== 'tcp') port['protocol'] = p.Protocol;
    if (p.PublishMode === 'host') port['mode'] = 'host';
    return port;
  });
  return out.length ? out : undefined;
}

export interface RebuildOptions {
  /**
   * The file is for a fleet of another name (a stack name Otto can't take as a fleet
   * name): the stack's own volumes keep their names, so its data stays in use.
   */
  readonly keepVolumeNames?: boolean;
}

/** Rebuilds one stack's compose file. `networks`: what `docker network inspect` said of their ids. */
export function composeFromServices(
  stack: string,
  services: readonly InspectedService[],
  networks: readonly InspectedNetwork[],
  options: RebuildOptions = {},
): RebuiltCompose {
  const prefix = `${stack}_`;
  const own = (name: string) => (name.startsWith(prefix) ? name.slice(prefix.length) : name);
  const notes: ComposeNote[] = [];
  const top: Record<'networks' | 'volumes' | 'secrets' | 'configs', ComposeMap> = {
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
  };
  // The engine keeps network ids in a spec; a name is looked up too, should one stay a name.
  const byId = new Map([
    ...networks.map((n) => [n.Name, n] as const),
    ...networks.map((n) => [n.Id, n] as const),
  ]);
  const out: ComposeMap = {};
  for (const { Spec: spec } of [...services].sort((a, b) =>
    a.Spec.Name.localeCompare(b.Spec.Name),
  )) {
    const key = own(spec.Name);
    const c: ContainerSpec = spec.TaskTemplate?.ContainerSpec ?? {};
    const svc: ComposeMap = {};
    const { image, digest } = imageOf(spec);
    svc['image'] = image;
    if (digest)
      notes.push({
        path: ['services', key, 'image'],
        at: 'line',
        text: ` ran as ${digest}: add @${digest} to pin it`,
      });
    put(svc, 'entrypoint', list(c.Command));
    put(svc, 'command', list(c.Args));
    put(svc, 'working_dir', c.Dir || undefined);
    put(svc, 'user', c.User || undefined);
    put(svc, 'hostname', c.Hostname || undefined);
    put(svc, 'environment', environment(c.Env));
    put(svc, 'labels', ownLabels(c.Labels));
    put(svc, 'ports', ports(spec));
    put(svc, 'networks', serviceNetworks(spec, key, byId, stack, top.networks, notes));
    put(
      svc,
      'volumes',
      (c.Mounts ?? []).map((m) => mount(m, stack, top.volumes, options.keepVolumeNames)),
    );
    put(
      svc,
      'secrets',
      (c.Secrets ?? []).map((r) => reference(r, 'secret', prefix, top.secrets)),
    );
    put(
      svc,
      'configs',
      (c.Configs ?? []).map((r) => reference(r, 'config', prefix, top.configs)),
    );
    put(svc, 'healthcheck', healthcheck(c.Healthcheck));
    if (c.StopGracePeriod) svc['stop_grace_period'] = goDuration(c.StopGracePeriod);
    put(svc, 'stop_signal', c.StopSignal || undefined);
    if (typeof c.Init === 'boolean') svc['init'] = c.Init;
    if (c.TTY) svc['tty'] = true;
    if (c.OpenStdin) svc['stdin_open'] = true;
    if (c.ReadOnly) svc['read_only'] = true;
    put(svc, 'cap_add', list(c.CapabilityAdd));
    put(svc, 'cap_drop', list(c.CapabilityDrop));
    put(svc, 'sysctls', c.Sysctls ? { ...c.Sysctls } : undefined);
    put(svc, 'ulimits', ulimits(c.Ulimits));
    put(svc, 'extra_hosts', extraHosts(c.Hosts));
    put(svc, 'dns', list(c.DNSConfig?.Nameservers));
    put(svc, 'dns_search', list(c.DNSConfig?.Search));
    if (c.DNSConfig?.Options?.length)
      notes.push({
        path: ['services', key, 'image'],
        at: 'above',
        text: ` Not carried over: DNS options ${c.DNSConfig.Options.join(' ')} (compose files for Swarm have no key for them).`,
      });
    const log = spec.TaskTemplate?.LogDriver;
    if (log?.Name) {
      const logging: ComposeMap = { driver: log.Name };
      put(logging, 'options', log.Options ? { ...log.Options } : undefined);
      svc['logging'] = logging;
    }
    svc['deploy'] = deploy(spec);
    out[key] = svc;
  }
  const data: ComposeMap = { services: out };
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const)
    put(data, kind, top[kind]);
  if (Object.keys(top.secrets).length)
    notes.push({
      path: ['secrets'],
      at: 'above',
      text: " Docker never gives a secret's value back, so these are the secrets that exist on the\n cluster now (external). For a new value: docker secret create NAME_v2 ./file, then name it here.",
    });
  if (Object.keys(top.configs).length)
    notes.push({
      path: ['configs'],
      at: 'above',
      text: ' The configs that exist on the cluster now (external); they are immutable: a new one needs a new name.',
    });
  return { data: escapeDollars(data) as ComposeMap, notes };
}

/**
 * The networks of a service by their compose names: the stack's own (`shop_default` is
 * `default`) and external ones (declared `external: true` at the top). Swarm adds the
 * service's own name as an alias on each: only other aliases are written. Only the
 * stack's default network, with no other alias: nothing to write.
 */
function serviceNetworks(
  spec: ServiceSpec,
  key: string,
  byId: ReadonlyMap<string, InspectedNetwork>,
  stack: string,
  declared: ComposeMap,
  notes: ComposeNote[],
): ComposeValue | undefined {
  const attached = spec.TaskTemplate?.Networks ?? spec.Networks ?? [];
  const named: [string, string[]][] = [];
  for (const a of attached) {
    const n = byId.get(a.Target);
    if (!n) {
      notes.push({
        path: ['services', key, 'image'],
        at: 'above',
        text: ` Docker could not say which network ${a.Target} is: add it under networks: by hand.`,
      });
      continue;
    }
    const ours = n.Labels?.[STACK_LABEL] === stack;
    const name = ours && n.Name.startsWith(`${stack}_`) ? n.Name.slice(stack.length + 1) : n.Name;
    if (ours) {
      const entry: ComposeMap = {};
      if (name === n.Name) entry['name'] = n.Name;
      if (n.Driver && n.Driver !== 'overlay') entry['driver'] = n.Driver;
      if (n.Attachable) entry['attachable'] = true;
      if (name !== 'default' || Object.keys(entry).length) declared[name] = entry;
    } else declared[name] = { external: true };
    named.push([name, (a.Aliases ?? []).filter((x) => x !== key)]);
  }
  const aliased = named.some(([, al]) => al.length);
  if (!aliased && named.length === 1 && named[0]![0] === 'default') return undefined;
  if (!aliased) return named.map(([n]) => n);
  return Object.fromEntries(
    named.map(([n, al]): [string, ComposeMap] => [n, al.length ? { aliases: al } : {}]),
  );
}

/** A mount as a long-syntax volume. The stack's own named volumes are declared at the top. */
function mount(m: SpecMount, stack: string, declared: ComposeMap, keepName = false): ComposeMap {
  const type = m.Type ?? 'volume';
  const out: ComposeMap = { type };
  if (m.Source) {
    if (type === 'volume') {
      const ours = m.VolumeOptions?.Labels?.[STACK_LABEL] === stack;
      const key =
        ours && m.Source.startsWith(`${stack}_`) ? m.Source.slice(stack.length + 1) : m.Source;
      const driver = m.VolumeOptions?.DriverConfig;
      const entry: ComposeMap = ours ? {} : { external: true };
      if (ours && (key === m.Source || keepName)) entry['name'] = m.Source;
      if (driver?.Name && driver.Name !== 'local') entry['driver'] = driver.Name;
      put(entry, 'driver_opts', driver?.Options ? { ...driver.Options } : undefined);
      declared[key] = entry;
      out['source'] = key;
    } else out['source'] = m.Source;
  }
  put(out, 'target', m.Target);
  if (m.ReadOnly) out['read_only'] = true;
  if (m.BindOptions?.Propagation) out['bind'] = { propagation: m.BindOptions.Propagation };
  if (m.VolumeOptions?.NoCopy) out['volume'] = { nocopy: true };
  if (m.TmpfsOptions?.SizeBytes) out['tmpfs'] = { size: m.TmpfsOptions.SizeBytes };
  return out;
}

/**
 * A secret or config of a service: by name only (never a value), declared at the top as
 * external. The stack's own (`shop_api_key`) keep their name with `name:`.
 */
function reference(
  r: FileReference,
  kind: 'secret' | 'config',
  prefix: string,
  declared: ComposeMap,
): ComposeValue {
  const full = (kind === 'secret' ? r.SecretName : r.ConfigName) ?? '';
  const key = full.startsWith(prefix) ? full.slice(prefix.length) : full;
  declared[key] = key === full ? { external: true } : { name: full, external: true };
  const entry: ComposeMap = { source: key };
  // docker stack deploy targets a secret or config at its name (older CLIs: a config at /<name>).
  const target = r.File?.Name;
  if (target && target !== key && !(kind === 'config' && target === `/${key}`))
    entry['target'] = target;
  if (r.File?.UID && r.File.UID !== '0') entry['uid'] = r.File.UID;
  if (r.File?.GID && r.File.GID !== '0') entry['gid'] = r.File.GID;
  if (r.File?.Mode !== undefined && r.File.Mode !== 0o444) entry['mode'] = r.File.Mode;
  return Object.keys(entry).length === 1 ? key : entry;
}

/** Every `$` of a value doubled: compose reads `$$` as a `$`, and `${X}` as a variable. */
function escapeDollars(v: ComposeValue): ComposeValue {
  if (typeof v === 'string') return v.replaceAll('$', '$$$$');
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}
