import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type OttoConfig } from './schema.js';

import { envValue } from './env-value.js';
import { EXAMPLE_COMPOSE, EXAMPLE_FLEET, ottoHome } from './otto-home.js';
export * from './vocabulary.js';
export { envValue } from './env-value.js';
export { DEFAULT_INGRESS_IMAGE, IMAGE_REFERENCE } from './schema.js';
export type {
  ClusterConfig,
  DiscordConfig,
  HttpConfig,
  FleetConfig,
  FleetSource,
  GitSource,
  IngressConfig,
  LocalCluster,
  LogsConfig,
  ManagerConfig,
  NotifyEntry,
  OttoConfig,
  SlackConfig,
  SmtpConfig,
  SshCluster,
  TelemetryConfig,
} from './schema.js';

/** Replaces `${NAME}` in every string value with the environment's value (or `NAME_FILE`'s). */
function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = envValue(env, name);
      if (v === undefined) {
        throw new ConfigError(
          `otto.yml: ${path.join('.')} uses \${${name}}, but the environment has no ${name} (nor ${name}_FILE).`,
          `Export ${name} before starting Otto (or ${name}_FILE, the path of a file holding it), or write the value into otto.yml.`,
        );
      }
      return v;
    });
  }
  if (Array.isArray(value))
    return value.map((v, i) => interpolateEnv(v, env, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, [...path, k])]),
    );
  }
  return value;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const nested =
        'issues' in i && Array.isArray(i.issues)
          ? (i.issues[0] as { message?: string } | undefined)
          : undefined;
      const what =
        i.code === 'invalid_key' && nested?.message ? `invalid name: ${nested.message}` : i.message;
      return `  - ${i.path.length ? i.path.join('.') : '(top level)'}: ${what}`;
    })
    .join('\n');
}

/** Validates a parsed otto.yml object and resolves paths against `baseDir`. */
export function buildConfig(
  raw: unknown,
  baseDir: string,
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): OttoConfig {
  const parsed = configSchema(baseDir, path).safeParse(interpolateEnv(raw ?? {}, env, []));
  if (!parsed.success) {
    throw new ConfigError(
      `${path ?? 'otto.yml'} has a problem:\n${formatIssues(parsed.error)}`,
      'Fix the keys named above; README.md lists every key with an example.',
    );
  }
  return parsed.data;
}

/**
 * The configuration Otto runs with when there is no otto.yml at all: the `local`
 * cluster (this machine's docker CLI), and the example fleet `hello` on it when Otto's
 * folder has `examples/hello/compose.yml` (a checkout or the image always does).
 */
export function embeddedDefault(
  cwd: string = process.cwd(),
  home: string = ottoHome(),
): OttoConfig {
  const example = join(home, EXAMPLE_COMPOSE);
  return buildConfig(
    {
      data_dir: '.otto',
      clusters: { local: { local: true } },
      ...(existsSync(example)
        ? { fleets: { [EXAMPLE_FLEET]: { cluster: 'local', compose_file: example } } }
        : {}),
    },
    cwd,
    undefined,
  );
}

/**
 * Loads otto.yml. `explicit` is true when the user named the file (--config or
 * OTTO_CONFIG): then a missing file is an error instead of the embedded default.
 */
export function loadConfig(file: string, explicit: boolean): OttoConfig {
  const path = resolve(file);
  if (!existsSync(path)) {
    if (explicit) {
      throw new ConfigError(
        `Otto can't find the config file ${path}.`,
        'Check the path given to --config or OTTO_CONFIG.',
      );
    }
    return embeddedDefault();
  }
  const doc = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(
      `${path} is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      'Fix the YAML at that spot and try again.',
    );
  }
  let data: unknown;
  try {
    // yaml's default limit, made explicit: a "billion laughs" file nests aliases to exhaust memory.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    throw /^Excessive alias count/.test(e.message)
      ? new ConfigError(
          `${path} expands its YAML aliases (*name) more than 100 times over, as a "billion laughs" file does to exhaust memory. Otto did not expand it.`,
          'Write the repeated parts out, or alias smaller anchors, and try again.',
        )
      : new ConfigError(
          `${path} has a YAML alias Otto can't resolve: ${e.message}.`,
          'Define the anchor (&name) before its alias (*name) and try again.',
        );
  }
  return buildConfig(data, dirname(path), path);
}
