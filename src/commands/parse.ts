import { UsageError } from '../errors.js';

export interface ParsedText {
  readonly name: string;
  readonly args: string[];
  readonly flags: Record<string, string>;
}

/** Splits on whitespace, keeping "double" or 'single' quoted parts together. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) tokens.push(m[1] ?? m[2] ?? m[3] ?? '');
  return tokens;
}

/**
 * Parses `logs myapp web --tail 20 --since=10m` into name, positional args and flags.
 * A leading `/otto` or `otto` is dropped. `boolean` names flags that take no value.
 */
export function parseText(text: string, boolean: ReadonlySet<string> = new Set()): ParsedText {
  const tokens = tokenize(text.trim());
  if (tokens[0] === '/otto' || tokens[0] === 'otto') tokens.shift();
  const [first, ...rest] = tokens;
  const args: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i]!;
    if (!t.startsWith('--') || t === '--') {
      args.push(t);
      continue;
    }
    const eq = t.indexOf('=');
    const key = eq > 0 ? t.slice(2, eq) : t.slice(2);
    if (eq > 0) flags[key] = t.slice(eq + 1);
    else if (boolean.has(key)) flags[key] = 'true';
    else {
      const value = rest[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new UsageError(`The option --${key} needs a value.`, `For example: --${key} 20`);
      }
      flags[key] = value;
      i++;
    }
  }
  return { name: (first ?? '').toLowerCase(), args, flags };
}
