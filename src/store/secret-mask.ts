/** What a masked secret value reads as. */
export const MASK = '••••••';

/** Values shorter than this are left alone: masking them would hide ordinary text. */
export const MIN_MASKED_LENGTH = 4;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `\u00e9` for every character past ASCII, as Python's json.dumps and many loggers write it. */
function asciiEscaped(jsonBody: string, upper: boolean): string {
  return jsonBody.replace(/[^\x20-\x7e]/g, (c) => {
    const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  });
}

/**
 * Every form a secret value can take in text Otto shows: the value itself, as a
 * JSON or YAML double-quoted string would escape it (`\n`, `\t`, `\\`, `\"`, and
 * `\u00e9` for non-ASCII), URL-encoded, and, for a value of several lines (a PEM
 * key, a pretty-printed JSON credential), each of its lines on its own, since
 * `docker service logs` puts a task prefix before every line a service prints.
 */
export function secretForms(value: string): string[] {
  if (value.length < MIN_MASKED_LENGTH) return [];
  const json = JSON.stringify(value).slice(1, -1);
  const forms = new Set([
    value,
    json,
    asciiEscaped(json, false),
    asciiEscaped(json, true),
    json.replace(/\//g, '\\/'),
    encodeURIComponent(value),
  ]);
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n|\r/)) {
      const t = line.trim();
      if (t.length >= MIN_MASKED_LENGTH) {
        forms.add(t);
        forms.add(JSON.stringify(t).slice(1, -1));
      }
    }
  }
  return [...forms].filter((f) => f.length >= MIN_MASKED_LENGTH);
}

/**
 * Replaces every secret value in text with {@link MASK}, in any of its
 * {@link secretForms}. Mask whole outputs before splitting or trimming them, so
 * that a value is never cut in half before it is found.
 *
 * @example new SecretMask(['s3cr3t-key']).mask('key=s3cr3t-key') // 'key=••••••'
 */
export class SecretMask {
  private readonly pattern: RegExp | undefined;

  constructor(values: Iterable<string>) {
    const forms = [...new Set([...values].flatMap(secretForms))].sort(
      (a, b) => b.length - a.length,
    );
    this.pattern = forms.length ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  mask(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASK) : text;
  }

  /** Masks every string in plain data (a parsed compose file), keys left as they are. */
  maskDeep<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.mask(v);
      if (Array.isArray(v)) return v.map(walk);
      // Plain objects only: a value type (a parsed compose file's whole floats) stays as it is.
      const proto: unknown = v && typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
      if (proto === Object.prototype || proto === null)
        return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(value) as T;
  }
}

/** Longest a line of output may be in a reply; the rest is counted, after masking. */
export const MAX_LINE_LENGTH = 2000;

/** Cuts a line to {@link MAX_LINE_LENGTH} characters and says how many were left out. */
export function clipLine(line: string): string {
  return line.length <= MAX_LINE_LENGTH
    ? line
    : `${line.slice(0, MAX_LINE_LENGTH)} … (${line.length - MAX_LINE_LENGTH} more characters)`;
}
