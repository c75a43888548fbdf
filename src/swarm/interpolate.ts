import { ComposeError } from '../errors.js';

/**
 * Variable interpolation as the Compose specification defines it:
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
 * `${VAR?message}`, `${VAR:+alt}`, `${VAR+alt}`, nested forms
 * (`${A:-${B:-x}}`) and `$$` for a literal dollar sign.
 *
 * Written here rather than taken from a library: the npm packages for this are
 * dotenv-expand style (no `?`/`+` operators, no Compose error semantics), and
 * Otto needs two things they don't give: the names a file needs before anything
 * is rendered, and a refusal of `$NAME-x`, which docker stack deploy reads as
 * `${NAME-x}` and the specification as `${NAME}-x`.
 */

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

type Operator = ':-' | '-' | ':?' | '?' | ':+' | '+';
const OPERATORS: readonly Operator[] = [':-', ':?', ':+', '-', '?', '+'];

type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'var'; readonly name: string }
  | {
      readonly kind: 'op';
      readonly name: string;
      readonly op: Operator;
      readonly word: readonly Part[];
    };

/** A template that isn't valid: where, and what is wrong. */
class TemplateError extends Error {}

function parse(s: string, start: number, inBraces: boolean): { parts: Part[]; end: number } {
  const parts: Part[] = [];
  let text = '';
  let i = start;
  const flush = () => {
    if (text) parts.push({ kind: 'text', text });
    text = '';
  };
  while (i < s.length) {
    const c = s[i]!;
    if (inBraces && c === '}') {
      flush();
      return { parts, end: i };
    }
    if (c !== '$') {
      text += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      text += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(s);
      if (!m) throw new TemplateError(`"\${" must be followed by a variable name`);
      const name = m[0];
      let j = i + 2 + name.length;
      if (s[j] === '}') {
        flush();
        parts.push({ kind: 'var', name });
        i = j + 1;
        continue;
      }
      const op = OPERATORS.find((o) => s.startsWith(o, j));
      if (!op) {
        throw new TemplateError(
          s[j] === undefined
            ? `\${${name} is never closed with }`
            : `\${${name}${s[j]}…} is not an operator Compose knows (:-, -, :?, ?, :+, +)`,
        );
      }
      j += op.length;
      const word = wordAt(s, j);
      if (s[word.end] !== '}') throw new TemplateError(`\${${name}${op}… is never closed with }`);
      flush();
      parts.push({ kind: 'op', name, op, word: word.parts });
      i = word.end + 1;
      continue;
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(s);
    if (!m) {
      throw new TemplateError(
        next === undefined ? 'it ends with a lone "$"' : `"$${next}" is not a variable`,
      );
    }
    const name = m[0];
    const after = i + 1 + name.length;
    const op = [':-', ':?', '-', '?'].find((o) => s.startsWith(o, after));
    if (op) {
      throw new AmbiguousError(name, op, s.slice(after + op.length).split('}')[0] ?? '');
    }
    flush();
    parts.push({ kind: 'var', name });
    i = after;
  }
  if (inBraces) return { parts, end: i };
  flush();
  return { parts, end: i };
}

/**
 * The word after an operator (`default` in `${NAME:-default}`), read as the
 * specification reads it (nested `${…}`, `$NAME`, `$$`). A word the specification
 * can't read, such as a bcrypt hash (`${PASSWORD:-$2y$05$…}`), is literal text up
 * to the first `}`, as docker stack deploy reads every default.
 */
function wordAt(s: string, start: number): { parts: Part[]; end: number } {
  try {
    return parse(s, start, true);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    const end = s.indexOf('}', start);
    if (end < 0) throw e;
    return { parts: end > start ? [{ kind: 'text', text: s.slice(start, end) }] : [], end };
  }
}

/** `$NAME-x` and friends: docker stack deploy and the specification disagree. */
class AmbiguousError extends TemplateError {
  constructor(
    readonly variable: string,
    readonly op: string,
    readonly rest: string,
  ) {
    super(`$${variable}${op}${rest}`);
  }
}

export interface Lookup {
  /** The variable's value, or undefined when it is not set. */
  (name: string): string | undefined;
}

export interface InterpolateHooks {
  /** A plain `$NAME`/`${NAME}` that is not set: Otto's rule is to refuse, naming it. */
  readonly missing: (name: string) => string;
  /** `${NAME:?message}` / `${NAME?message}` whose variable is missing. */
  readonly required: (name: string, message: string) => string;
}

function evaluate(parts: readonly Part[], lookup: Lookup, hooks: InterpolateHooks): string {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') {
      out += p.text;
      continue;
    }
    const value = lookup(p.name);
    if (p.kind === 'var') {
      out += value ?? hooks.missing(p.name);
      continue;
    }
    const set = value !== undefined;
    const full = set && value !== '';
    const word = () => evaluate(p.word, lookup, hooks);
    switch (p.op) {
      case ':-':
        out += full ? value : word();
        break;
      case '-':
        out += set ? value : word();
        break;
      case ':?':
        out += full ? value : hooks.required(p.name, word());
        break;
      case '?':
        out += set ? value : hooks.required(p.name, word());
        break;
      case ':+':
        out += full ? word() : '';
        break;
      case '+':
        out += set ? word() : '';
        break;
    }
  }
  return out;
}

/** Names a template reads with no default or alternative: a plain `$NAME` or `${NAME}`, at any depth. */
function plainNames(parts: readonly Part[], into: Set<string>): void {
  for (const p of parts) {
    if (p.kind === 'var') into.add(p.name);
    if (p.kind === 'op') plainNames(p.word, into);
  }
}

function parsed(template: string, path: string): readonly Part[] {
  try {
    return parse(template, 0, false).parts;
  } catch (e) {
    if (e instanceof AmbiguousError) {
      throw new ComposeError(
        `Configuration error: ${path} has $${e.variable}${e.op}${e.rest}, which docker stack deploy reads as \${${e.variable}${e.op}${e.rest}} and the Compose specification as \${${e.variable}}${e.op}${e.rest}. Otto won't guess.`,
        `Write \${${e.variable}}${e.op}${e.rest} or \${${e.variable}${e.op}${e.rest}}, whichever you mean, and launch again.`,
      );
    }
    if (e instanceof TemplateError) {
      throw new ComposeError(
        `Configuration error: ${path} has a "$" Otto can't read: ${e.message}.`,
        'Use ${NAME}, ${NAME:-default}, ${NAME:?message} or ${NAME:+alternative} for variables, and $$ for a literal dollar sign.',
      );
    }
    throw e;
  }
}

/**
 * Checks a string's templates and adds the variables it needs to `into`.
 * @example const names = new Set<string>(); scanTemplate('${A}-${B:-x}', 'image', names) // names: A
 */
export function scanTemplate(template: string, path: string, into: Set<string>): void {
  if (!template.includes('$')) return;
  plainNames(parsed(template, path), into);
}

/**
 * Fills a string's variables in. Strings without `$` come back as they are.
 * @example interpolate('${A:-${B:-x}}', 'image', () => undefined, hooks) // 'x'
 */
export function interpolate(
  template: string,
  path: string,
  lookup: Lookup,
  hooks: InterpolateHooks,
): string {
  if (!template.includes('$')) return template;
  return evaluate(parsed(template, path), lookup, hooks);
}
