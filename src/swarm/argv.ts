/**
 * Pure builders of docker CLI argv. Nothing here runs anything: a Transport does.
 * `{{json .}}` is used instead of `--format json` so that Docker CLIs older than 23
 * on a manager answer the same way. Names from otto.yml or from chat (stacks,
 * services, registries) come after `--`, so that one starting with `-` is never
 * read as an option: the docker CLI takes everything after `--` as arguments.
 */

const JSON_LINES = '{{json .}}';

/** Service names of a fleet: `myapp` + `web` → `myapp_web`, as `docker stack deploy` names them. */
export function serviceName(fleet: string, service: string): string {
  return `${fleet}_${service}`;
}

export function stackDeploy(fleet: string): string[] {
  return [
    'docker',
    'stack',
    'deploy',
    '--with-registry-auth',
    '--prune',
    '--resolve-image',
    'always',
    '-c',
    '-',
    '--',
    fleet,
  ];
}

/** `docker stack rm -- <fleet>`: removes its services and networks (a preview that closed). */
export function stackRm(fleet: string): string[] {
  return ['docker', 'stack', 'rm', '--', fleet];
}

/**
 * Docker's own reading of a compose file on stdin, without deploying it (CLI 20.10
 * and newer): its verdict is the exit code and stderr. Stdout echoes the file with
 * secrets filled in: mask it, or drop it.
 */
export function stackConfig(): string[] {
  return ['docker', 'stack', 'config', '-c', '-'];
}

/** The networks a stack made (`docker stack rm` removes them after its services, in the background). */
export function stackNetworks(fleet: string): string[] {
  return [
    'docker',
    'network',
    'ls',
    '--filter',
    `label=com.docker.stack.namespace=${fleet}`,
    '--format',
    '{{.Name}}',
  ];
}

export function serviceLs(): string[] {
  return ['docker', 'service', 'ls', '--format', JSON_LINES];
}

export function serviceInspect(services: readonly string[]): string[] {
  return ['docker', 'service', 'inspect', '--', ...services];
}

export function servicePs(services: readonly string[]): string[] {
  return ['docker', 'service', 'ps', '--no-trunc', '--format', JSON_LINES, '--', ...services];
}

/** Tasks by id, one JSON line each: when each was created, which `service ps` does not say. */
export function taskInspect(ids: readonly string[]): string[] {
  return ['docker', 'inspect', '--type', 'task', '--format', JSON_LINES, '--', ...ids];
}

/**
 * Replaces every task of a service, one batch at a time as its update_config says,
 * without changing its spec otherwise (`--force` bumps TaskTemplate.ForceUpdate).
 * `--detach`: returns once the Swarm took the update; Otto waits for convergence itself.
 * @example serviceRestart('shop_web') // ['docker', 'service', 'update', '--force', '--detach', '--', 'shop_web']
 */
export function serviceRestart(service: string): string[] {
  return ['docker', 'service', 'update', '--force', '--detach', '--', service];
}

/**
 * Sets how many replicas a replicated service runs (Docker refuses a global service).
 * @example serviceScale('shop_web', 4) // ['docker', 'service', 'update', '--replicas', '4', '--detach', '--', 'shop_web']
 */
export function serviceScale(service: string, replicas: number): string[] {
  return ['docker', 'service', 'update', '--replicas', String(replicas), '--detach', '--', service];
}

export interface LogsOptions {
  readonly tail: number;
  /** A duration (`90s`, `10m`, `2h`, `1d`) or a date (`2026-01-31`, RFC 3339). */
  readonly since?: string | undefined;
}

/**
 * `--since` as Docker reads it. Docker parses durations with Go's
 * time.ParseDuration, which has no days: `1d` becomes `24h`. Dates pass as they are.
 */
export function dockerSince(since: string): string {
  const days = /^(\d+)d$/.exec(since);
  return days ? `${Number(days[1]) * 24}h` : since;
}

export function serviceLogs(service: string, opts: LogsOptions): string[] {
  return [
    'docker',
    'service',
    'logs',
    '--no-task-ids',
    '--tail',
    String(opts.tail),
    ...(opts.since ? ['--since', dockerSince(opts.since)] : []),
    '--',
    service,
  ];
}

/** The password goes on stdin, never in argv. */
export function registryLogin(registry: string, username: string): string[] {
  return ['docker', 'login', '--username', username, '--password-stdin', '--', registry];
}

export function info(): string[] {
  return ['docker', 'info', '--format', '{{json .Swarm.LocalNodeState}}'];
}

/** Parses `{{json .}}` output: one JSON object a line. */
export function parseJsonLines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}

export function nodeLs(): string[] {
  return ['docker', 'node', 'ls', '--format', JSON_LINES];
}

/**
 * Swarm-scope service and node events, one JSON object a line, from `since` (a Unix
 * time in seconds) on: the watcher's trigger. It runs until the connection ends.
 */
export function swarmEvents(since: number): string[] {
  return [
    'docker',
    'events',
    '--filter',
    'scope=swarm',
    '--filter',
    'type=service',
    '--filter',
    'type=node',
    '--since',
    String(since),
    '--format',
    JSON_LINES,
  ];
}

/**
 * The events a launch waits on, one JSON object a line, from now on: containers
 * starting or dying on the manager Otto talks to, and services being created, updated
 * (Swarm's update state moving) or removed anywhere. Docker filters AND across keys,
 * so the stack's label (containers only carry it) is matched by the reader, not here.
 */
export function launchEvents(): string[] {
  return [
    'docker',
    'events',
    '--filter',
    'type=container',
    '--filter',
    'type=service',
    '--filter',
    'event=start',
    '--filter',
    'event=die',
    '--filter',
    'event=create',
    '--filter',
    'event=update',
    '--filter',
    'event=remove',
    '--format',
    JSON_LINES,
  ];
}

/* ---- Outposts: a node's Swarm membership, the Swarm's nodes, and the ingress network ---- */

/** The Swarm's management port: joins go to a manager's address on it. */
export const SWARM_PORT = 2377;

/**
 * The node's Swarm state in one call, as JSON: `LocalNodeState` (`inactive`,
 * `pending`, `active`, `error`, `locked`), `NodeID`, `NodeAddr`, `ControlAvailable`
 * (a manager), `Error`, `RemoteManagers`, and on a manager `Cluster.ID`, `Nodes`,
 * `Managers`. Read it with {@link parseSwarmInfo}.
 * @example swarmInfo() // ['docker', 'info', '--format', '{{json .Swarm}}']
 */
export function swarmInfo(): string[] {
  return ['docker', 'info', '--format', '{{json .Swarm}}'];
}

/** What {@link swarmInfo} answers, the fields Otto reads. */
export interface SwarmInfo {
  readonly localNodeState: 'inactive' | 'pending' | 'active' | 'error' | 'locked' | string;
  /** Empty when the node is in no Swarm. */
  readonly nodeId: string;
  readonly nodeAddr: string;
  /** True on a manager. */
  readonly controlAvailable: boolean;
  /** The Swarm's id: only a manager knows it (undefined on a worker or outside a Swarm). */
  readonly clusterId: string | undefined;
  /** The managers this node knows of, `{ nodeId, addr: '10.0.0.1:2377' }`. */
  readonly remoteManagers: readonly { readonly nodeId: string; readonly addr: string }[];
  /** Docker's own words when the state is `error`, else empty. */
  readonly error: string;
}

/**
 * Reads the answer of {@link swarmInfo}. Throws a SyntaxError when stdout is not JSON
 * (the engine did not answer: look at the exit code and stderr first).
 * @example parseSwarmInfo('{"LocalNodeState":"inactive","NodeID":"","ControlAvailable":false}').localNodeState // 'inactive'
 */
export function parseSwarmInfo(stdout: string): SwarmInfo {
  const raw = JSON.parse(stdout.trim()) as {
    LocalNodeState?: string;
    NodeID?: string;
    NodeAddr?: string;
    ControlAvailable?: boolean;
    Error?: string;
    RemoteManagers?: { NodeID?: string; Addr?: string }[] | null;
    Cluster?: { ID?: string } | null;
  };
  return {
    localNodeState: raw.LocalNodeState ?? '',
    nodeId: raw.NodeID ?? '',
    nodeAddr: raw.NodeAddr ?? '',
    controlAvailable: raw.ControlAvailable === true,
    clusterId: raw.Cluster?.ID || undefined,
    remoteManagers: (raw.RemoteManagers ?? []).map((m) => ({
      nodeId: m.NodeID ?? '',
      addr: m.Addr ?? '',
    })),
    error: raw.Error ?? '',
  };
}

/** Where Docker keeps images and volumes, for the free-disk check: `/var/lib/docker` by default. */
export function dockerRootDir(): string[] {
  return ['docker', 'info', '--format', '{{.DockerRootDir}}'];
}

/**
 * Client and engine versions as one JSON object (`Client.Version`, `Server.Version`).
 * Without an engine to talk to, it prints the client part, `"Server":null`, and exits 1.
 * @example dockerVersion() // ['docker', 'version', '--format', '{{json .}}']
 */
export function dockerVersion(): string[] {
  return ['docker', 'version', '--format', JSON_LINES];
}

export interface SwarmInitOptions {
  /** `<ip|interface>[:port]`; Docker listens on 0.0.0.0:2377 without it. */
  readonly listenAddr?: string | undefined;
}

/**
 * Creates a Swarm with this node as its first manager. `advertiseAddr` is the address
 * (or interface) other nodes reach it on: `10.0.0.1`, `eth1`, `10.0.0.1:2377`.
 * @example swarmInit('10.0.0.1') // ['docker', 'swarm', 'init', '--advertise-addr', '10.0.0.1']
 */
export function swarmInit(advertiseAddr: string, opts: SwarmInitOptions = {}): string[] {
  return [
    'docker',
    'swarm',
    'init',
    '--advertise-addr',
    advertiseAddr,
    ...(opts.listenAddr ? ['--listen-addr', opts.listenAddr] : []),
  ];
}

export type SwarmRole = 'worker' | 'manager';

/**
 * Prints only the token a new node joins with, as `worker` or `manager`. Its stdout
 * is a secret: never show it, never log it.
 * @example swarmJoinToken('worker') // ['docker', 'swarm', 'join-token', '-q', 'worker']
 */
export function swarmJoinToken(role: SwarmRole): string[] {
  return ['docker', 'swarm', 'join-token', '-q', role];
}

/** `host:2377`, with IPv6 addresses in brackets: `[2001:db8::1]:2377`. */
export function managerAddress(host: string, port: number = SWARM_PORT): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface SwarmJoinOptions {
  readonly advertiseAddr?: string | undefined;
  readonly listenAddr?: string | undefined;
}

/**
 * Joins this node to the Swarm of the manager at `remote` (see {@link managerAddress}).
 * The token is a secret, and rides in argv as the value of `--token`: the docker CLI
 * has no stdin form for it (docker/cli `cli/command/swarm/join.go` defines `--token`
 * as a plain string flag). Print such an argv only through {@link maskSwarmTokens}.
 * @example swarmJoin('SWMTKN-1-…', '10.0.0.1:2377') // ['docker', 'swarm', 'join', '--token', 'SWMTKN-1-…', '--', '10.0.0.1:2377']
 */
export function swarmJoin(token: string, remote: string, opts: SwarmJoinOptions = {}): string[] {
  return [
    'docker',
    'swarm',
    'join',
    '--token',
    token,
    ...(opts.advertiseAddr ? ['--advertise-addr', opts.advertiseAddr] : []),
    ...(opts.listenAddr ? ['--listen-addr', opts.listenAddr] : []),
    '--',
    remote,
  ];
}

/** Swarm join tokens: `SWMTKN-1-<cluster key>-<secret>`. */
const SWARM_TOKEN = /SWMTKN-\d+-[A-Za-z0-9]+-[A-Za-z0-9]+/g;

/**
 * Replaces every Swarm join token in a text (an argv line, stderr) with
 * `SWMTKN-[REDACTED]`, so that it can be logged or shown.
 * @example maskSwarmTokens('docker swarm join --token SWMTKN-1-abc-def -- m:2377') // 'docker swarm join --token SWMTKN-[REDACTED] -- m:2377'
 */
export function maskSwarmTokens(text: string): string {
  return text.replace(SWARM_TOKEN, 'SWMTKN-[REDACTED]');
}

/**
 * Leaves the Swarm. A manager needs `force` (and should be demoted first, so that
 * the Swarm keeps its quorum); a worker leaves without it.
 * @example swarmLeave() // ['docker', 'swarm', 'leave']
 */
export function swarmLeave(opts: { readonly force?: boolean } = {}): string[] {
  return ['docker', 'swarm', 'leave', ...(opts.force ? ['--force'] : [])];
}

/**
 * Turns a manager into a worker, so it can leave without breaking the managers' quorum.
 * @example nodeDemote('mgr-2') // ['docker', 'node', 'demote', '--', 'mgr-2']
 */
export function nodeDemote(node: string): string[] {
  return ['docker', 'node', 'demote', '--', node];
}

/**
 * The whole inspection of nodes (by id or hostname), as a JSON array: role, leader,
 * availability, state, engine version, labels.
 * @example nodeInspect(['worker-1']) // ['docker', 'node', 'inspect', '--', 'worker-1']
 */
export function nodeInspect(nodes: readonly string[]): string[] {
  return ['docker', 'node', 'inspect', '--', ...nodes];
}

export type NodeAvailability = 'active' | 'pause' | 'drain';

/**
 * Sets a node's availability: `drain` moves its tasks elsewhere, `active` takes tasks again.
 * @example nodeAvailability('worker-1', 'drain') // ['docker', 'node', 'update', '--availability', 'drain', '--', 'worker-1']
 */
export function nodeAvailability(node: string, availability: NodeAvailability): string[] {
  return ['docker', 'node', 'update', '--availability', availability, '--', node];
}

/**
 * Keys of node labels Otto sets: letters, digits, `.`, `_` and `-`, starting with a
 * letter or digit (no `=`, never an option). Check with it before {@link nodeLabelAdd}.
 */
export function isNodeLabelKey(key: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(key);
}

/**
 * Adds (or replaces) a node label, for placement constraints (`node.labels.k == v`).
 * @example nodeLabelAdd('worker-1', 'disk', 'ssd') // ['docker', 'node', 'update', '--label-add', 'disk=ssd', '--', 'worker-1']
 */
export function nodeLabelAdd(node: string, key: string, value: string): string[] {
  return ['docker', 'node', 'update', '--label-add', `${key}=${value}`, '--', node];
}

/**
 * Removes a node label (Docker refuses a key the node does not have).
 * @example nodeLabelRm('worker-1', 'disk') // ['docker', 'node', 'update', '--label-rm', 'disk', '--', 'worker-1']
 */
export function nodeLabelRm(node: string, key: string): string[] {
  return ['docker', 'node', 'update', '--label-rm', key, '--', node];
}

/**
 * Removes a node from the Swarm's list. Docker refuses a node that is still up
 * unless `force`: drain it and let it leave first.
 * @example nodeRm('worker-1') // ['docker', 'node', 'rm', '--', 'worker-1']
 */
export function nodeRm(node: string, opts: { readonly force?: boolean } = {}): string[] {
  return ['docker', 'node', 'rm', ...(opts.force ? ['--force'] : []), '--', node];
}

/**
 * The tasks on nodes, one JSON object a line. With `running`, only the tasks meant
 * to run (`desired-state=running`): after a drain, the list empties as they move.
 * @example nodePs(['worker-1'], { running: true }) // ['docker', 'node', 'ps', '--no-trunc', '--filter', 'desired-state=running', '--format', '{{json .}}', '--', 'worker-1']
 */
export function nodePs(
  nodes: readonly string[],
  opts: { readonly running?: boolean } = {},
): string[] {
  return [
    'docker',
    'node',
    'ps',
    '--no-trunc',
    ...(opts.running ? ['--filter', 'desired-state=running'] : []),
    '--format',
    JSON_LINES,
    '--',
    ...nodes,
  ];
}

/**
 * Creates the attachable overlay network the ingress and every routed service share
 * (`traefik-public`, see TRAEFIK_NETWORK in compose.ts).
 * @example overlayNetworkCreate('traefik-public') // ['docker', 'network', 'create', '--driver', 'overlay', '--attachable', '--', 'traefik-public']
 */
export function overlayNetworkCreate(name: string): string[] {
  return ['docker', 'network', 'create', '--driver', 'overlay', '--attachable', '--', name];
}

/**
 * One network's driver, scope and attachability as JSON; exits 1 when there is none.
 * @example networkInspect('traefik-public') // ['docker', 'network', 'inspect', '--format', '{{json .}}', '--', 'traefik-public']
 */
export function networkInspect(name: string): string[] {
  return ['docker', 'network', 'inspect', '--format', JSON_LINES, '--', name];
}

/* ---- Gauges: what the tasks of services use, read on the nodes that run them ---- */

/**
 * The tasks of services that are meant to run, one JSON object a line (no history).
 * @example runningTasks(['shop_web']) // ['docker', 'service', 'ps', '--no-trunc', '--filter', 'desired-state=running', '--format', '{{json .}}', '--', 'shop_web']
 */
export function runningTasks(services: readonly string[]): string[] {
  return [
    'docker',
    'service',
    'ps',
    '--no-trunc',
    '--filter',
    'desired-state=running',
    '--format',
    JSON_LINES,
    '--',
    ...services,
  ];
}

/**
 * One reading of every running container of the node the CLI talks to: CPU, memory
 * used and limit, network and block I/O. Docker takes two samples a second apart, so
 * it answers in about 2 s. Read it with `parseStats` (swarm/stats.ts).
 * @example dockerStats() // ['docker', 'stats', '--no-stream', '--format', '{{json .}}']
 */
export function dockerStats(): string[] {
  return ['docker', 'stats', '--no-stream', '--format', JSON_LINES];
}

/* ---- Stacks Otto didn't launch: found by the label docker stack deploy puts on them ---- */

/**
 * The label `docker stack deploy` puts on everything a stack makes (services, networks,
 * volumes, secrets, configs): its value is the stack's name.
 */
export const STACK_LABEL = 'com.docker.stack.namespace';

/**
 * Every stack of the Swarm, one JSON object a line (`Name`, `Services`). Docker finds
 * them by {@link STACK_LABEL} on services: `docker service ls` can't show labels (its
 * template sees only ID, Name, Mode, Replicas, Image and Ports).
 * @example stackLs() // ['docker', 'stack', 'ls', '--format', '{{json .}}']
 */
export function stackLs(): string[] {
  return ['docker', 'stack', 'ls', '--format', JSON_LINES];
}

/**
 * The services of one stack, one JSON object a line, as `service ls` shows them.
 * @example stackServiceLs('legacy') // ['docker', 'service', 'ls', '--filter', 'label=com.docker.stack.namespace=legacy', '--format', '{{json .}}']
 */
export function stackServiceLs(stack: string): string[] {
  return [
    'docker',
    'service',
    'ls',
    '--filter',
    `label=${STACK_LABEL}=${stack}`,
    '--format',
    JSON_LINES,
  ];
}

/**
 * Networks by id or name, one JSON object a line (`Name`, `Id`, `Driver`, `Labels`,
 * `Attachable`): what a service spec's network ids stand for.
 * @example networksInspect(['k2p0…']) // ['docker', 'network', 'inspect', '--format', '{{json .}}', '--', 'k2p0…']
 */
export function networksInspect(ids: readonly string[]): string[] {
  return ['docker', 'network', 'inspect', '--format', JSON_LINES, '--', ...ids];
}
