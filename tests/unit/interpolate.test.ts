import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/errors.js';
import { interpolate, scanTemplate, type InterpolateHooks } from '../../src/swarm/interpolate.js';

/** The Compose specification's interpolation, operator by operator. */
const env: Record<string, string> = { SET: 'value', EMPTY: '', FOO: 'foo', lower_case: 'lc' };
const lookup = (name: string) => env[name];
const missing: string[] = [];
const hooks: InterpolateHooks = {
  missing: (name) => {
    missing.push(name);
    return '';
  },
  required: (name, message) => {
    throw new ComposeError(`needs ${name}: ${message}`, 'set it');
  },
};
const fill = (t: string) => interpolate(t, 'x', lookup, hooks);

describe('interpolation (Compose specification)', () => {
  it.each([
    ['$SET', 'value'],
    ['${SET}', 'value'],
    ['a${SET}b', 'avalueb'],
    ['$SET/path', 'value/path'],
    ['$SET.$FOO', 'value.foo'],
    ['${lower_case}', 'lc'],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['$$$SET', '$value'],
    ['price: $$5', 'price: $5'],
    ['no variables', 'no variables'],
    // :- default when unset or empty; - default when unset only
    ['${UNSET:-default}', 'default'],
    ['${EMPTY:-default}', 'default'],
    ['${SET:-default}', 'value'],
    ['${UNSET-default}', 'default'],
    ['${EMPTY-default}', ''],
    ['${SET-default}', 'value'],
    ['${UNSET:-}', ''],
    ['${UNSET-}', ''],
    // :+ replacement when set and not empty; + replacement when set
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${UNSET:+alt}', ''],
    ['${SET+alt}', 'alt'],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    // ? and :? pass a set value through
    ['${SET:?message}', 'value'],
    ['${SET?message}', 'value'],
    ['${EMPTY?message}', ''],
    // nested forms
    ['${UNSET:-${FOO}}', 'foo'],
    ['${UNSET:-${ALSO_UNSET:-default}}', 'default'],
    ['${SET:-${ALSO_UNSET:-default}}', 'value'],
    ['${UNSET:-$FOO}', 'foo'],
    ['${SET:+${FOO}-x}', 'foo-x'],
    ['${UNSET:-a $$ b}', 'a $ b'],
    ['${UNSET:-http://x:1/p?q=1}', 'http://x:1/p?q=1'],
    ['${UNSET:-a-b:c}', 'a-b:c'],
    ['${UNSET:-{"k": 1\\}', '{"k": 1\\'],
    // a default the specification can't read is literal text, as docker stack deploy reads it
    ['${UNSET:-$2y$05$oZcj4FgdSFEYNCH0EH}', '$2y$05$oZcj4FgdSFEYNCH0EH'],
    ['${SET:-$2y$05$oZcj4FgdSFEYNCH0EH}', 'value'],
    ['${USER_UNSET:-admin}:${UNSET:-$2y$05$x}', 'admin:$2y$05$x'],
    ['${UNSET:-a$B-x}', 'a$B-x'],
  ])('%s → %s', (template, expected) => {
    expect(fill(template)).toBe(expected);
  });

  it('refuses :? and ? with the file’s own message', () => {
    expect(() => fill('${UNSET:?Variable not set}')).toThrow('needs UNSET: Variable not set');
    expect(() => fill('${EMPTY:?must not be empty}')).toThrow('needs EMPTY: must not be empty');
    expect(() => fill('${UNSET?Variable not set}')).toThrow('needs UNSET: Variable not set');
    expect(() => fill('${SET?$FOO}')).not.toThrow();
    expect(() => fill('${UNSET?${FOO} is the hint}')).toThrow('needs UNSET: foo is the hint');
  });

  it('reports a plain variable that is not set (Otto refuses, naming it)', () => {
    missing.length = 0;
    fill('${A}-$B.${UNSET:-${C}}-${SET:-${D}}');
    expect(missing).toEqual(['A', 'B', 'C']);
  });

  it('finds the names a template needs before rendering, at any depth', () => {
    const names = new Set<string>();
    scanTemplate('${A} $B ${C:-x} ${D:-${E}} ${F:+$G} ${H:?m} $$I', 'x', names);
    expect([...names]).toEqual(['A', 'B', 'E', 'G']);
  });

  it.each([
    ['$', 'it ends with a lone "$"'],
    ['cost $5', '"$5" is not a variable'],
    ['${}', '"${" must be followed by a variable name'],
    ['${1A}', '"${" must be followed by a variable name'],
    ['${A', '${A is never closed with }'],
    ['${A:-x', '${A:-… is never closed with }'],
    ['${A/x/y}', '${A/…} is not an operator Compose knows (:-, -, :?, ?, :+, +)'],
    ['${A:x}', '${A:…} is not an operator Compose knows (:-, -, :?, ?, :+, +)'],
  ])('refuses %s, saying why', (template, why) => {
    expect(() => fill(template)).toThrow(`x has a "$" Otto can't read: ${why}.`);
  });

  it('refuses $NAME followed by an operator, which docker stack deploy and the specification read differently', () => {
    expect(() => fill('$PREFIX-web')).toThrow(
      'x has $PREFIX-web, which docker stack deploy reads as ${PREFIX-web} and the Compose specification as ${PREFIX}-web.',
    );
    expect(() => fill('http://h/$PATH?q')).toThrow(/\$PATH\?q/);
    try {
      fill('$A:-b');
    } catch (e) {
      expect((e as ComposeError).fix).toBe(
        'Write ${A}:-b or ${A:-b}, whichever you mean, and launch again.',
      );
    }
    expect(fill('$SET:8080')).toBe('value:8080');
  });
});
