/**
 * The fields docker stack deploy re-types after interpolation: `replicas: ${N:-2}`
 * is the string "2" once filled in, and Docker's loader casts it to the number 2
 * (docker/cli, cli/compose/loader/interpolate.go). Only strings that interpolation
 * changed are cast, as there; `*` is any key, `[]` any list item.
 */
export type Cast = 'int' | 'float' | 'bool';

const S = ['services', '*'];

export const CAST_PATHS: readonly (readonly [readonly string[], Cast])[] = [
  [[...S, 'configs', '[]', 'mode'], 'int'],
  [[...S, 'secrets', '[]', 'mode'], 'int'],
  [[...S, 'healthcheck', 'retries'], 'int'],
  [[...S, 'healthcheck', 'disable'], 'bool'],
  [[...S, 'deploy', 'replicas'], 'int'],
  [[...S, 'deploy', 'update_config', 'parallelism'], 'int'],
  [[...S, 'deploy', 'update_config', 'max_failure_ratio'], 'float'],
  [[...S, 'deploy', 'rollback_config', 'parallelism'], 'int'],
  [[...S, 'deploy', 'rollback_config', 'max_failure_ratio'], 'float'],
  [[...S, 'deploy', 'restart_policy', 'max_attempts'], 'int'],
  [[...S, 'deploy', 'placement', 'max_replicas_per_node'], 'int'],
  [[...S, 'ports', '[]', 'target'], 'int'],
  [[...S, 'ports', '[]', 'published'], 'int'],
  [[...S, 'ulimits', '*'], 'int'],
  [[...S, 'ulimits', '*', 'hard'], 'int'],
  [[...S, 'ulimits', '*', 'soft'], 'int'],
  [[...S, 'privileged'], 'bool'],
  [[...S, 'read_only'], 'bool'],
  [[...S, 'stdin_open'], 'bool'],
  [[...S, 'tty'], 'bool'],
  [[...S, 'volumes', '[]', 'read_only'], 'bool'],
  [[...S, 'volumes', '[]', 'volume', 'nocopy'], 'bool'],
  [['networks', '*', 'external'], 'bool'],
  [['networks', '*', 'internal'], 'bool'],
  [['networks', '*', 'attachable'], 'bool'],
  [['volumes', '*', 'external'], 'bool'],
  [['secrets', '*', 'external'], 'bool'],
  [['configs', '*', 'external'], 'bool'],
];

/** The cast for a path of keys (`[]` for list items), if Docker re-types it. */
export function castFor(path: readonly string[]): Cast | undefined {
  for (const [pattern, cast] of CAST_PATHS) {
    if (pattern.length === path.length && pattern.every((p, i) => p === '*' || p === path[i])) {
      return cast;
    }
  }
  return undefined;
}

const INT64 = /^[-+]?[0-9]+$/;
const FLOAT =
  /^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?(?:inf|infinity|nan)$/i;

/**
 * Casts an interpolated string as Go does there: strconv.Atoi, strconv.ParseFloat,
 * and YAML 1.1's booleans. Undefined when the string is not one.
 * @example castValue('int', '2') // 2; castValue('bool', 'yes') // true; castValue('int', 'two') // undefined
 */
export function castValue(cast: Cast, s: string): number | bigint | boolean | undefined {
  if (cast === 'bool') {
    const v = s.toLowerCase();
    if (['y', 'yes', 'true', 'on'].includes(v)) return true;
    if (['n', 'no', 'false', 'off'].includes(v)) return false;
    return undefined;
  }
  if (cast === 'int') {
    if (!INT64.test(s)) return undefined;
    const n = BigInt(s);
    if (n < -(2n ** 63n) || n > 2n ** 63n - 1n) return undefined;
    return Number.isSafeInteger(Number(n)) ? Number(n) : n;
  }
  if (!FLOAT.test(s)) return undefined;
  const lower = s.toLowerCase().replace(/^\+/, '');
  if (/^-?inf(inity)?$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (/^-?nan$/.test(lower)) return Number.NaN;
  return Number(s);
}

/** What a cast's values are called in a refusal. */
export const CAST_WORDS: Readonly<Record<Cast, string>> = {
  int: 'a whole number',
  float: 'a number',
  bool: 'true or false (yes/no, on/off)',
};
