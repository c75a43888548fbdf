import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  GoFloat,
  parseDockerYaml,
  plainIsString,
  resolvePlain,
  stringifyDockerYaml,
} from '../../src/swarm/docker-yaml.js';

/** YAML as the docker CLI reads it (Go's yaml.v3 into untyped values). */
describe('resolvePlain (yaml.v3 scalars)', () => {
  it.each<[string, unknown]>([
    ['0440', 288],
    ['022', 18],
    ['0', 0],
    ['-0', 0],
    ['+12', 12],
    ['1_000', 1000],
    ['0b101', 5],
    ['-0b101', -5],
    ['0o17', 15],
    ['0x1F', 31],
    ['0X1f', 31],
    ['08', new GoFloat(8)],
    ['09.5', 9.5],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['1.0', new GoFloat(1)],
    ['1e6', new GoFloat(1e6)],
    ['9007199254740993', 9007199254740993n],
    ['12345678901234567890', 12345678901234567890n],
    ['99999999999999999999999', new GoFloat(1e23)],
    ['true', true],
    ['False', false],
    ['TRUE', true],
    ['~', null],
    ['null', null],
    ['', null],
    ['.inf', Infinity],
    ['-.Inf', -Infinity],
    ['yes', 'yes'],
    ['on', 'on'],
    ['No', 'No'],
    ['y', 'y'],
    ['2001-12-14', '2001-12-14'],
    ['1:20', '1:20'],
    ['0x', '0x'],
    ['1.2.3', '1.2.3'],
    ['-', '-'],
    ['_1', '_1'],
    ['v1', 'v1'],
  ])('%s → %o', (plain, value) => {
    expect(resolvePlain(plain)).toEqual(value);
  });

  it('says which strings must be quoted to stay strings', () => {
    expect(plainIsString('nginx')).toBe(true);
    expect(plainIsString('yes')).toBe(true);
    for (const s of ['0440', '1_000', '0b1', 'true', 'null', '', '<<', '1e3'])
      expect(plainIsString(s), s).toBe(false);
  });
});

describe('parseDockerYaml', () => {
  it('reads quoted scalars as strings and honours explicit tags', () => {
    expect(
      parseDockerYaml('a: "0440"\nb: \'1_000\'\nc: !!str 0440\nd: !!int "12"\ne: !!float 2\n', 'x'),
    ).toEqual({ a: '0440', b: '1_000', c: '0440', d: 12, e: new GoFloat(2) });
    expect(() => parseDockerYaml('a: !!int twelve\n', 'x')).toThrow(
      'Configuration error: x tags a as !!int, but "twelve" is not one.',
    );
  });

  it('resolves merge keys: explicit keys win, then the merged maps in order', () => {
    const data = parseDockerYaml(
      [
        'base: &base {image: a, replicas: 1, keep: base}',
        'extra: &extra {image: b, more: extra, keep: extra}',
        'one: {<<: *base, image: own}',
        'two: {<<: [*extra, *base]}',
        'three:',
        '  <<: *base',
        '  replicas: 3',
        '',
      ].join('\n'),
      'x',
    );
    expect(data).toMatchObject({
      one: { image: 'own', replicas: 1, keep: 'base' },
      two: { image: 'b', more: 'extra', keep: 'extra', replicas: 1 },
      three: { image: 'a', replicas: 3, keep: 'base' },
    });
  });

  it('copies every alias: changing one copy changes no other', () => {
    const data = parseDockerYaml(
      'x: &d {labels: {a: b}}\ns1: {deploy: *d}\ns2: {deploy: *d}\n',
      'x',
    ) as Record<string, { deploy: { labels: Record<string, string> } }>;
    data['s1']!.deploy.labels['traefik.enable'] = 'true';
    expect(data['s2']!.deploy.labels).toEqual({ a: 'b' });
  });

  it('refuses a merge of something that is not a mapping, and keys that are not strings', () => {
    expect(() => parseDockerYaml('a: &a [1]\nb: {<<: *a}\n', 'x')).toThrow(
      /merges \(<<\) something that is not a mapping at b/,
    );
    expect(() => parseDockerYaml('env:\n  80: http\n', 'x')).toThrow(
      'Configuration error: x has a key that is not a string at env: 80. Docker refuses such keys.',
    );
  });

  it('reads a key named __proto__ as a key', () => {
    const data = parseDockerYaml('labels:\n  __proto__: x\n', 'x') as {
      labels: Record<string, unknown>;
    };
    expect(Object.keys(data.labels)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(data.labels)).toBe(Object.prototype);
  });
});

describe('stringifyDockerYaml', () => {
  it('quotes the strings yaml.v3 would misread, and keeps whole floats floats', () => {
    const text = stringifyDockerYaml({
      mode: 288,
      umask: '022',
      big: '1_000',
      bin: '0b101',
      yes: 'yes',
      on: true,
      ratio: new GoFloat(1e6),
      huge: 12345678901234567890n,
      empty: '',
      nothing: null,
      merge: '<<',
    });
    expect(text).toBe(
      [
        'mode: 288',
        'umask: "022"',
        'big: "1_000"',
        'bin: "0b101"',
        'yes: yes',
        'on: true',
        'ratio: 1000000.0',
        'huge: 12345678901234567890',
        'empty: ""',
        'nothing: null',
        'merge: "<<"',
        '',
      ].join('\n'),
    );
    expect(parseDockerYaml(text, 'x')).toEqual({
      mode: 288,
      umask: '022',
      big: '1_000',
      bin: '0b101',
      yes: 'yes',
      on: true,
      ratio: new GoFloat(1e6),
      huge: 12345678901234567890n,
      empty: '',
      nothing: null,
      merge: '<<',
    });
    expect(parse(stringifyDockerYaml({ text: 'line 1\nline 2\n' }))).toEqual({
      text: 'line 1\nline 2\n',
    });
  });
});
