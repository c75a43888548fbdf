import {
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseDocument,
  Scalar,
  visit,
} from 'yaml';
import { ComposeError } from '../errors.js';

/**
 * YAML read and written the way `docker stack deploy` reads it. The docker CLI
 * parses compose files with Go's yaml.v3 into untyped maps, which differs from
 * YAML 1.2 (the `yaml` package's default) where compose files care: `0440` is
 * octal (288), `1_000` and `0b101` are numbers, `yes`/`on` stay strings, merge keys
 * (`<<: *base`) are resolved, and every alias is a copy, never a shared object.
 * The writer quotes every string yaml.v3 would otherwise read as something else.
 */

/**
 * A float whose value is a whole number (`1e6`, `2.0`). Kept apart from integers
 * because Docker turns the two into different strings (`1e+06` against `1000000`).
 */
export class GoFloat {
  constructor(readonly value: number) {}
}

export type DockerValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | GoFloat
  | DockerValue[]
  | { [key: string]: DockerValue };

export type DockerMap = { [key: string]: DockerValue };

/** Sets a key as data: a key named `__proto__` stays a key, never the object's prototype. */
export function setKey(map: DockerMap, key: string, value: DockerValue): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A new map with each value replaced, keys as they are (see {@link setKey}).
 * @example mapValues({ a: 1 }, (v) => v) // { a: 1 }
 */
export function mapValues(
  map: DockerMap,
  fn: (value: DockerValue, key: string) => DockerValue,
): DockerMap {
  const out: DockerMap = {};
  for (const [k, v] of Object.entries(map)) setKey(out, k, fn(v, k));
  return out;
}

export function isDockerMap(v: unknown): v is DockerMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoFloat);
}

/**
 * How many nodes aliases may add, at least: yaml.v3 allows a file to be almost all
 * alias expansion up to 400,000 nodes. A "billion laughs" file goes far past it.
 */
export const MAX_ALIAS_NODES = 400_000;

const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

const FIXED: ReadonlyMap<string, DockerValue> = new Map<string, DockerValue>([
  ...['true', 'True', 'TRUE'].map((s) => [s, true] as const),
  ...['false', 'False', 'FALSE'].map((s) => [s, false] as const),
  ...['', '~', 'null', 'Null', 'NULL'].map((s) => [s, null] as const),
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Infinity] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, -Infinity] as const),
]);

/** Go's strconv.ParseInt(s, 0, 64), then ParseUint: a bigint, or undefined. */
function goInt(s: string): bigint | undefined {
  if (!GO_INT.test(s)) return undefined;
  const neg = s.startsWith('-');
  const body = s.replace(/^[-+]/, '');
  let n: bigint;
  if (/^0[0-7]+$/.test(body)) n = BigInt(`0o${body.slice(1)}`);
  else n = BigInt(body.replace(/^0([XOB])/, (_m, p: string) => `0${p.toLowerCase()}`));
  if (neg) n = -n;
  const unsigned = !/^[-+]/.test(s);
  if (n < INT64_MIN || n > (unsigned ? UINT64_MAX : 2n ** 63n - 1n)) return undefined;
  return n;
}

function number(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

function float(v: number): number | GoFloat {
  return Number.isInteger(v) || Object.is(v, -0) ? new GoFloat(v) : v;
}

/**
 * What yaml.v3 makes of a plain (unquoted, untagged) scalar when it decodes into an
 * untyped value, as the docker CLI does. Timestamps stay strings there.
 * @example resolvePlain('0440') // 288; resolvePlain('yes') // 'yes'; resolvePlain('1_000') // 1000
 */
export function resolvePlain(s: string): DockerValue {
  const first = s[0] ?? '';
  if (FIXED.has(s)) return FIXED.get(s)!;
  if (first === '.') {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) ? float(Number(s)) : s;
  }
  if (!/[-+0-9]/.test(first)) return s;
  const plain = s.replaceAll('_', '');
  const int = goInt(plain);
  if (int !== undefined) return number(int);
  if (YAML_STYLE_FLOAT.test(plain)) return float(Number(plain));
  return s;
}

/** Whether yaml.v3 would read `s`, written plain, as the string `s` itself. */
export function plainIsString(s: string): boolean {
  return s !== '<<' && resolvePlain(s) === s;
}

const CORE = 'tag:yaml.org,2002:';

function scalarValue(node: Scalar, path: string, label: string): DockerValue {
  const source = String(node.value);
  const tag = node.tag;
  const plain = node.type === Scalar.PLAIN || node.type === undefined;
  if (!tag || tag === '!') return plain && !tag ? resolvePlain(source) : source;
  if (!tag.startsWith(CORE)) return source;
  const kind = tag.slice(CORE.length);
  if (kind === 'str' || kind === 'binary' || kind === 'timestamp') return source;
  const v = resolvePlain(source);
  const ok =
    (kind === 'int' && (typeof v === 'bigint' || Number.isInteger(v))) ||
    (kind === 'float' && (typeof v === 'number' || v instanceof GoFloat)) ||
    (kind === 'bool' && typeof v === 'boolean') ||
    (kind === 'null' && v === null);
  if (kind === 'float' && typeof v === 'bigint') return float(Number(v));
  if (kind === 'float' && typeof v === 'number' && Number.isInteger(v)) return float(v);
  if (!ok && ['int', 'float', 'bool', 'null'].includes(kind)) {
    throw new ComposeError(
      `Configuration error: ${label} tags ${path || 'a value'} as !!${kind}, but "${source}" is not one.`,
      `Remove the !!${kind} tag or fix the value, and launch again.`,
    );
  }
  return v;
}

class Reader {
  private aliasNodes = 0;
  private nodes = 0;
  private readonly expanding = new Set<Node>();
  /** What each alias names: yaml's Alias.resolve walks the whole document each time. */
  private readonly targets = new Map<Node, Node | undefined>();

  constructor(
    doc: Document,
    private readonly label: string,
  ) {
    // One pass in document order: an alias names the last anchor of that name before it.
    const anchors = new Map<string, Node>();
    visit(doc, (_key, node) => {
      if (isAlias(node)) this.targets.set(node, anchors.get(node.source));
      else if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
    });
  }

  read(node: unknown, path: string, viaAlias: boolean): DockerValue {
    this.nodes++;
    if (
      viaAlias &&
      ++this.aliasNodes > MAX_ALIAS_NODES &&
      this.aliasNodes > (9 * this.nodes) / 10
    ) {
      throw new ComposeError(
        `Configuration error: ${this.label} expands its YAML aliases (*name) into more than ${MAX_ALIAS_NODES.toLocaleString('en')} values, as a "billion laughs" file does to exhaust memory. Otto did not expand it.`,
        'Write the repeated parts out, or alias smaller anchors, and launch again.',
      );
    }
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = this.target(node);
      if (!target) {
        throw new ComposeError(
          `Configuration error: ${this.label} has a YAML alias Otto can't resolve: *${node.source} names no anchor before it.`,
          'Define the anchor (&name) before its alias (*name) and launch again.',
        );
      }
      if (this.expanding.has(target)) {
        throw new ComposeError(
          `Configuration error: ${this.label} has a YAML alias (*${node.source}) inside its own anchor, at ${path || 'the top level'}.`,
          'An anchor cannot contain itself: copy the part you need, and launch again.',
        );
      }
      this.expanding.add(target);
      try {
        return this.read(target, path, true);
      } finally {
        this.expanding.delete(target);
      }
    }
    if (isScalar(node)) return scalarValue(node, path, this.label);
    if (isSeq(node)) return node.items.map((n, i) => this.read(n, `${path}[${i}]`, viaAlias));
    if (isMap(node)) return this.map(node, path, viaAlias);
    return null;
  }

  private target(alias: Node): Node | undefined {
    return this.targets.get(alias);
  }

  private key(pair: Pair, path: string, viaAlias: boolean): string | typeof MERGE {
    if (isScalar(pair.key) && pair.key.value === '<<' && !pair.key.tag) {
      if (pair.key.type === Scalar.PLAIN) return MERGE;
    }
    const k = this.read(pair.key, path, viaAlias);
    if (typeof k !== 'string') {
      throw new ComposeError(
        `Configuration error: ${this.label} has a key that is not a string at ${path || 'the top level'}: ${String(k instanceof GoFloat ? k.value : k)}. Docker refuses such keys.`,
        'Quote the key ("80": …) and launch again.',
      );
    }
    return k;
  }

  private map(node: YAMLMap, path: string, viaAlias: boolean): DockerMap {
    const at = (k: string) => (path ? `${path}.${k}` : k);
    const keys = node.items.map((p) => this.key(p, path, viaAlias));
    const explicit = new Set(keys.filter((k): k is string => k !== MERGE));
    const out: DockerMap = {};
    const set = (k: string, v: DockerValue) => setKey(out, k, v);
    node.items.forEach((pair, i) => {
      const k = keys[i]!;
      if (k !== MERGE) {
        set(k, this.read(pair.value, at(k), viaAlias));
        return;
      }
      for (const source of this.mergeSources(pair.value, path)) {
        for (const [mk, mv] of Object.entries(source)) {
          if (explicit.has(mk) || Object.prototype.hasOwnProperty.call(out, mk)) continue;
          set(mk, mv);
        }
      }
    });
    return out;
  }

  /** The maps a `<<` merges, first one first: a map, an alias of one, or a list of those. */
  private mergeSources(value: unknown, path: string): DockerMap[] {
    const refuse = () =>
      new ComposeError(
        `Configuration error: ${this.label} merges (<<) something that is not a mapping at ${path || 'the top level'}.`,
        'A merge key takes a mapping or a list of them, like <<: *base or <<: [*base, *extra].',
      );
    const one = (n: unknown): DockerMap => {
      const target = isAlias(n) ? this.target(n) : n;
      if (!isMap(target)) throw refuse();
      const v = this.read(n, path, true);
      if (!isDockerMap(v)) throw refuse();
      return v;
    };
    if (isSeq(value)) return value.items.map(one);
    return [one(value)];
  }
}

const MERGE = Symbol('merge');

/**
 * Parses compose text as the docker CLI does: one document, yaml.v3's scalars, merge
 * keys resolved, aliases copied. Throws a ComposeError that names the line of a
 * YAML error.
 * @example parseDockerYaml('x: &a {n: 0440}\ny: *a\n', 'x.yml') // { x: { n: 288 }, y: { n: 288 } }
 */
export function parseDockerYaml(text: string, label: string): DockerValue {
  const doc = parseDocument(text, {
    prettyErrors: true,
    uniqueKeys: true,
    schema: 'failsafe',
    strict: false,
  });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ComposeError(
      `Configuration error: ${label} is not valid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      'Fix the YAML at that spot and launch again.',
    );
  }
  return new Reader(doc, label).read(doc.contents, '', false);
}

/**
 * What a plain scalar may not be in block context: start with an indicator or
 * space, hold ": " or " #", end with a space or a colon, or hold a character YAML
 * wants escaped.
 */
const PLAIN_FIRST = /^[^\s\-?:,[\]{}#&*!|>'"%@`]/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be quoted
const NOT_PLAIN = /: |\s#|[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]|[\s:]$/;

/** Characters YAML wants escaped in a double-quoted scalar that JSON.stringify leaves as they are. */
const UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\ufeff]/g;

function scalarText(v: string | number | bigint | boolean | null | GoFloat): string {
  if (typeof v === 'string') {
    if (PLAIN_FIRST.test(v) && !NOT_PLAIN.test(v) && plainIsString(v)) return v;
    return JSON.stringify(v).replace(
      UNPRINTABLE,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  const n = v instanceof GoFloat ? v.value : v;
  if (typeof n === 'number') {
    if (Number.isNaN(n)) return '.nan';
    if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
    // A whole float as `1000000.0`: yaml.v3 reads a float back, as the file had it.
    return v instanceof GoFloat && /^-?\d+$/.test(String(n)) ? `${String(n)}.0` : String(n);
  }
  return String(n);
}

function isEmpty(v: DockerValue): boolean {
  return Array.isArray(v) ? v.length === 0 : isDockerMap(v) && Object.keys(v).length === 0;
}

function emit(v: DockerValue, pad: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isEmpty(item) || !(Array.isArray(item) || isDockerMap(item))) {
        out.push(`${pad}- ${inline(item)}`);
        continue;
      }
      const start = out.length;
      emit(item, `${pad}  `, out);
      out[start] = `${pad}- ${out[start]!.slice(pad.length + 2)}`;
    }
    return;
  }
  if (!isDockerMap(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (isEmpty(x) || !(Array.isArray(x) || isDockerMap(x))) {
      out.push(`${pad}${scalarText(k)}: ${inline(x)}`);
    } else {
      out.push(`${pad}${scalarText(k)}:`);
      emit(x, `${pad}  `, out);
    }
  }
}

function inline(v: DockerValue): string {
  if (Array.isArray(v)) return '[]';
  if (isDockerMap(v)) return '{}';
  return scalarText(v);
}

/**
 * Writes a value so that the docker CLI reads back the same value: strings yaml.v3
 * would read as numbers, booleans or null are quoted (as is anything but plain
 * words), floats stay floats. Block style, two spaces, one line per value.
 * @example stringifyDockerYaml({ mode: 288, umask: '022' }) // 'mode: 288\numask: "022"\n'
 */
export function stringifyDockerYaml(value: DockerValue): string {
  if (!(Array.isArray(value) || isDockerMap(value)) || isEmpty(value)) return `${inline(value)}\n`;
  const out: string[] = [];
  emit(value, '', out);
  return `${out.join('\n')}\n`;
}
