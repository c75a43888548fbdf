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
 * Quotes a word so that tokenize() reads it back as one argument (the parser has no
 * escapes, so a double quote inside becomes a single one). Not shell quoting.
 */
export function quoteWord(value: string): string {
  if (/^[^\s"']+$/.test(value) && !value.startsWith('--')) return value;
  return `"${value.replace(/"/g, "'")}"`;
}

/**
 * Parses `logs myapp web --tail 20 --since=10m` into name, positional args and flags.
 * A leading `/otto` or `otto` is dropped. A flag with no value (`--force`, or one
 * followed by another flag) is `'true'`; each command validates its own flags.
 */
export function parseText(text: string): ParsedText {
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
    if (eq > 0) {
      flags[t.slice(2, eq)] = t.slice(eq + 1);
      continue;
    }
    const value = rest[i + 1];
    if (value === undefined || value.startsWith('--')) flags[t.slice(2)] = 'true';
    else {
      flags[t.slice(2)] = value;
      i++;
    }
  }
  return { name: (first ?? '').toLowerCase(), args, flags };
}
