import { describe, expect, it } from 'vitest';
import { fleetLogs } from '../../src/swarm/logs.js';
import { clipLine, MASK, SecretMask } from '../../src/store/secret-mask.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';
import { BACKSLASHES, JSON_CREDENTIAL, PEM, TABS, UNICODE } from '../support/secret-values.js';

describe('SecretMask', () => {
  it('masks a value, its JSON-escaped and URL-encoded forms, and each line of a multi-line value', () => {
    const m = new SecretMask([PEM, JSON_CREDENTIAL, BACKSLASHES, TABS, UNICODE]);
    for (const v of [PEM, JSON_CREDENTIAL, BACKSLASHES, TABS, UNICODE]) {
      expect(m.mask(`raw=${v};`)).toBe(`raw=${MASK};`);
      expect(m.mask(`json=${JSON.stringify(v)};`)).toBe(`json="${MASK}";`);
      expect(m.mask(`url=${encodeURIComponent(v)}`)).toBe(`url=${MASK}`);
    }
    // Python's json.dumps escapes non-ASCII as \u00e4.
    const ascii = JSON.stringify(UNICODE).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    expect(m.mask(ascii)).toBe(`"${MASK}"`);
    // docker service logs prefixes every line a task prints.
    const printed = PEM.split('\n')
      .map((l) => `app_web.1@node-1    | ${l}`)
      .join('\n');
    expect(m.mask(printed)).not.toMatch(/MIIEvQ|MzEfYy|BEGIN PRIVATE/);
    const pretty = JSON_CREDENTIAL.split('\n')
      .map((l) => `app_web.1@node-1    | ${l}`)
      .join('\n');
    expect(m.mask(pretty)).not.toContain('f3c9a1b2c3d4e5f6');
  });

  it('leaves short values and text without secrets alone, and masks strings inside data', () => {
    const m = new SecretMask(['abc', 'hunter2-very-secret']);
    expect(m.mask('abc def')).toBe('abc def');
    expect(new SecretMask([]).mask('plain')).toBe('plain');
    expect(
      m.maskDeep({ a: ['x hunter2-very-secret y', 3], b: { c: 'hunter2-very-secret' } }),
    ).toEqual({ a: [`x ${MASK} y`, 3], b: { c: MASK } });
  });

  it('clips long lines and says how much was left out', () => {
    expect(clipLine('x'.repeat(2005))).toBe(`${'x'.repeat(2000)} … (5 more characters)`);
    expect(clipLine('short')).toBe('short');
  });
});

describe('fleetLogs masking', () => {
  it('masks a secret a service prints across several lines, and one split between them', async () => {
    const stdout =
      PEM.split('\n')
        .map((l) => `a_web.1@n1    | ${l}`)
        .join('\n') +
      `\na_web.1@n1    | creds=${JSON.stringify(JSON_CREDENTIAL)}\na_web.1@n1    | raw ${BACKSLASHES} ${TABS} ${UNICODE}\n`;
    const t = new RecordingTransport({ 'service logs': ok(stdout) });
    const r = await fleetLogs(
      t,
      'a',
      ['web'],
      { tail: 50 },
      new SecretMask([PEM, JSON_CREDENTIAL, BACKSLASHES, TABS, UNICODE]),
    );
    const all = r.lines.join('\n');
    for (const leak of ['MIIEvQ', 'MzEfYy', 'f3c9a1b2c3d4e5f6', 'vault', 'separated', 'ñandú'])
      expect(all).not.toContain(leak);
    expect(r.lines).toHaveLength(6);
  });
});
