import { describe, expect, it } from 'vitest';
import {
  CALM,
  HEALTHY,
  judgeHealth,
  judgeMemory,
  type HealthRecord,
  type MemoryRecord,
} from '../../src/swarm/health.js';

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

describe('memory pressure', () => {
  const MiB = 2 ** 20;
  /** A poll: each task's MiB used of a 100 MiB limit, and the tasks out of sight. */
  type Poll = { used?: Record<string, number>; blind?: string[] };
  /** Runs polls at memory_warn 90; returns each poll's change (or -) and the hot tasks. */
  function memoryPolls(list: Poll[], start: MemoryRecord = CALM) {
    let record = start;
    return list.map((p) => {
      const r = judgeMemory(
        record,
        {
          read: Object.entries(p.used ?? {}).map(([task, used]) => ({
            task,
            usedBytes: used * MiB,
            limitBytes: 100 * MiB,
          })),
          blind: p.blind ?? [],
        },
        90,
      );
      record = r.record;
      return `${r.change ?? '-'} ${r.hot.map((h) => h.task).join(',')}`.trim();
    });
  }

  it('opens after two polls in a row at or above the threshold, not after one', () => {
    expect(
      memoryPolls([
        { used: { 'web.1': 50 } },
        { used: { 'web.1': 95 } },
        { used: { 'web.1': 80 } },
        { used: { 'web.1': 90 } },
        { used: { 'web.1': 93 } },
        { used: { 'web.1': 97 } },
      ]),
    ).toEqual(['-', '-', '-', '-', 'opened web.1', '- web.1']);
  });

  it('counts each task on its own: two tasks over once each is no incident', () => {
    expect(
      memoryPolls([
        { used: { 'web.1': 95, 'web.2': 10 } },
        { used: { 'web.1': 10, 'web.2': 95 } },
        { used: { 'web.1': 95, 'web.2': 10 } },
      ]),
    ).toEqual(['-', '-', '-']);
  });

  it('recovers once no task is above the threshold, and opens again later', () => {
    expect(
      memoryPolls([
        { used: { 'web.1': 95 } },
        { used: { 'web.1': 96 } },
        { used: { 'web.1': 99 } },
        { used: { 'web.1': 40 } },
        { used: { 'web.1': 40 } },
        { used: { 'web.1': 92 } },
        { used: { 'web.1': 92 } },
      ]),
    ).toEqual(['-', 'opened web.1', '- web.1', 'recovered', '-', '-', 'opened web.1']);
  });

  it('a replaced task (the old one gone, killed at its limit) ends the incident', () => {
    expect(
      memoryPolls([
        { used: { 'web.1': 95 } },
        { used: { 'web.1': 99 } },
        { used: { 'web.1x': 5 } },
      ]),
    ).toEqual(['-', 'opened web.1', 'recovered']);
  });

  it('keeps the count of a task out of sight: no recovery for what could not be read', () => {
    expect(
      memoryPolls([
        { used: { 'web.1': 95 } },
        { blind: ['web.1'] },
        { used: { 'web.1': 95 } },
        { blind: ['web.1'] },
        { blind: ['web.1'] },
        { used: { 'web.1': 20 } },
      ]),
    ).toEqual(['-', '-', 'opened web.1', '-', '-', 'recovered']);
  });

  it('says when the incident comes to be about other tasks', () => {
    expect(
      memoryPolls([
        { used: { 'web.1': 95, 'web.2': 91 } },
        { used: { 'web.1': 95, 'web.2': 50 } },
        { used: { 'web.1': 95, 'web.2': 91 } },
        { used: { 'web.1': 95, 'web.2': 99 } },
        { used: { 'web.1': 30, 'web.2': 99 } },
      ]),
    ).toEqual(['-', 'opened web.1', '- web.1', 'shifted web.2,web.1', 'shifted web.2']);
  });

  it('ignores tasks without a limit (a zero limit)', () => {
    const r = judgeMemory(
      CALM,
      { read: [{ task: 'web.1', usedBytes: 5, limitBytes: 0 }], blind: [] },
      90,
    );
    expect(r.record).toEqual(CALM);
  });
});
