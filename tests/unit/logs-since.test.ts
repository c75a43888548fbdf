import { describe, expect, it } from 'vitest';
import { logsFlags } from '../../src/commands/logs.js';

/** The first problem with these flags, as `logs` would name it, or undefined when they parse. */
function problem(flags: Record<string, string>): string | undefined {
  const r = logsFlags.safeParse(flags);
  return r.success ? undefined : r.error.issues[0]?.message;
}

describe('logs --since', () => {
  it('takes durations up to a year in every unit, and dates', () => {
    for (const since of ['90s', '10m', '2h', '1d', '365d', '8760h', '525600m', '31536000s'])
      expect(problem({ since }), since).toBeUndefined();
    for (const since of ['2026-01-31', '2026-01-31T12:00:00Z', '2026-01-31T12:00:00+02:00'])
      expect(problem({ since }), since).toBeUndefined();
  });

  it('refuses more than a year back, saying the limit', () => {
    for (const since of ['366d', '8761h', '525601m', '31536001s', '99999999999999999999999d'])
      expect(problem({ since }), since).toBe('go back at most 365d (8760h)');
  });

  it('still refuses what is neither a duration nor a date', () => {
    expect(problem({ since: '1w' })).toMatch(/use a duration such as 10m/);
    expect(problem({ since: '-1d' })).toMatch(/use a duration such as 10m/);
  });
});
