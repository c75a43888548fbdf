import { describe, expect, it } from 'vitest';
import { HEALTHY, judgeHealth, type HealthRecord } from '../../src/swarm/health.js';

const T0 = Date.parse('2026-11-25T03:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** Runs polls in order; returns each poll's state and change. */
function polls(
  list: { t: number; running: number; desired: number; failed?: number[] }[],
  start: HealthRecord = HEALTHY,
) {
  let record = start;
  return list.map((p) => {
    const r = judgeHealth(record, {
      running: p.running,
      desired: p.desired,
      failedAt: (p.failed ?? []).map(at),
      now: at(p.t),
    });
    record = r.record;
    return `${r.record.state}${r.change ? `:${r.change}` : ''}`;
  });
}

describe('service health', () => {
  it('waits out the grace period before calling a service short of replicas degraded', () => {
    expect(
      polls([
        { t: 0, running: 2, desired: 2 },
        { t: 15, running: 1, desired: 2 },
        { t: 60, running: 1, desired: 2 },
        { t: 75, running: 1, desired: 2 },
        { t: 90, running: 2, desired: 2 },
      ]),
    ).toEqual(['healthy', 'healthy', 'healthy', 'degraded:opened', 'healthy:recovered']);
  });

  it('calls a service with no task running down, and keeps the incident open while it eases', () => {
    let record = HEALTHY;
    const seen: string[] = [];
    for (const p of [
      { t: 0, running: 0 },
      { t: 60, running: 0 },
      { t: 120, running: 1 },
      { t: 180, running: 2 },
    ]) {
      const r = judgeHealth(record, { running: p.running, desired: 2, failedAt: [], now: at(p.t) });
      seen.push(`${r.record.state}:${r.change ?? '-'}:${r.record.incidentSince ?? '-'}`);
      record = r.record;
    }
    expect(seen).toEqual([
      'healthy:-:-',
      `down:opened:${at(60)}`,
      `degraded:shifted:${at(60)}`,
      'healthy:recovered:-',
    ]);
  });

  it('ends an incident only when every replica runs, not when a restarted task is inside its grace again', () => {
    // Down (nothing runs, tasks failing); a moment at 1/1, then the next task starting
    // at 0/1 with its last failure older than the grace: still down, no recovery.
    expect(
      polls([
        { t: 0, running: 0, desired: 1, failed: [-2] },
        { t: 15, running: 0, desired: 1, failed: [-2] },
        { t: 200, running: 1, desired: 1, failed: [-2] },
      ]),
    ).toEqual(['down:opened', 'down', 'healthy:recovered']);
    const start: HealthRecord = {
      state: 'down',
      incidentSince: at(0),
      shortSince: null,
      peak: 'down',
    };
    expect(
      polls(
        [
          { t: 100, running: 0, desired: 1, failed: [0] },
          { t: 102, running: 0, desired: 1, failed: [0] },
          { t: 104, running: 1, desired: 1, failed: [0] },
        ],
        start,
      ),
    ).toEqual(['down', 'down', 'healthy:recovered']);
  });

  it('calls three failed tasks in ten minutes a crash loop at once, and does not flap while it restarts', () => {
    expect(
      polls([
        { t: 0, running: 2, desired: 2, failed: [] },
        { t: 15, running: 1, desired: 2, failed: [5, 9, 14] },
        { t: 30, running: 2, desired: 2, failed: [5, 9, 14, 25] },
        { t: 45, running: 1, desired: 2, failed: [5, 9, 14, 25, 40] },
        { t: 200, running: 2, desired: 2, failed: [5, 9, 14, 25, 40] },
      ]),
    ).toEqual([
      'healthy',
      'crash_looping:opened',
      'crash_looping',
      'crash_looping',
      'healthy:recovered',
    ]);
  });

  it('calls nothing running while tasks fail down at once, without waiting out the grace', () => {
    expect(
      polls([
        { t: 0, running: 1, desired: 1, failed: [] },
        { t: 10, running: 0, desired: 1, failed: [8] },
      ]),
    ).toEqual(['healthy', 'down:opened']);
  });

  it('announces only a new worst state: a loop that flips between down and crash-looping stays quiet', () => {
    expect(
      polls([
        { t: 0, running: 2, desired: 2, failed: [] },
        { t: 15, running: 1, desired: 2, failed: [3, 8, 13] },
        { t: 30, running: 0, desired: 2, failed: [3, 8, 13, 28] },
        { t: 45, running: 1, desired: 2, failed: [3, 8, 13, 28, 40] },
        { t: 60, running: 0, desired: 2, failed: [3, 8, 13, 28, 40, 58] },
      ]),
    ).toEqual([
      'healthy',
      'crash_looping:opened',
      'down:worsened',
      'crash_looping:shifted',
      'down:shifted',
    ]);
  });

  it('leaves a service scaled to zero alone, and forgets failures older than the window', () => {
    expect(polls([{ t: 0, running: 0, desired: 0 }])).toEqual(['healthy']);
    expect(polls([{ t: 1000, running: 1, desired: 1, failed: [1, 2, 3] }])).toEqual(['healthy']);
  });

  it('does not re-open a known incident after a restart: the stored record carries on', () => {
    const stored = { state: 'down' as const, incidentSince: at(0), shortSince: at(-60) };
    expect(polls([{ t: 30, running: 0, desired: 1 }], stored)).toEqual(['down']);
  });
});
