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
