import { describe, expect, it } from 'vitest';
import { updatedServices } from '../../src/swarm/before-read.js';
import { epochNanos } from '../../src/swarm/swarm-time.js';
import { taskInspect } from '../../src/swarm/argv.js';

describe("a deploy's own word on what it changed", () => {
  it('names the services it updated, not the ones it created', () => {
    const out = [
      'Creating network shop_default',
      'Updating service shop_web (id: 3f2a9c)',
      'Creating service shop_db',
      'Updating service shop_worker (id: 77b0e1)',
    ].join('\n');
    expect(updatedServices(out)).toEqual(['shop_web', 'shop_worker']);
    expect(updatedServices('Creating service shop_db\n')).toEqual([]);
    expect(updatedServices('')).toEqual([]);
  });

  it("reads Swarm's times to the nanosecond, whatever their digits", () => {
    expect(epochNanos('1970-01-01T00:00:01Z')).toBe(1_000_000_000n);
    expect(epochNanos('1970-01-01T00:00:01.5Z')).toBe(1_500_000_000n);
    expect(epochNanos('1970-01-01T00:00:01.000000001Z')).toBe(1_000_000_001n);
    expect(epochNanos('1970-01-01T01:00:01.25+01:00')).toBe(1_250_000_000n);
    // Two times less than a millisecond apart still compare.
    expect(
      epochNanos('2026-11-27T07:20:01.500000001Z') > epochNanos('2026-11-27T07:20:01.5Z'),
    ).toBe(true);
    expect(() => epochNanos('yesterday')).toThrow('not an RFC 3339 time');
  });

  it('asks for tasks by id, as JSON lines', () => {
    expect(taskInspect(['t1', 't2'])).toEqual([
      'docker',
      'inspect',
      '--type',
      'task',
      '--format',
      '{{json .}}',
      '--',
      't1',
      't2',
    ]);
  });
});
