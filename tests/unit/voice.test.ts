import { describe, expect, it } from 'vitest';
import { otto } from '../../src/commands/voice.js';

describe('voice', () => {
  it('says how long ago something happened in words people use', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(otto.ago('2026-11-24T11:59:30Z', now)).toBe('just now');
    expect(otto.ago('2026-11-24T11:55:00Z', now)).toBe('5 min ago');
    expect(otto.ago('2026-11-24T10:00:00Z', now)).toBe('2 h ago');
    expect(otto.ago('2026-11-21T12:00:00Z', now)).toBe('3 days ago');
    expect(otto.ago('2026-11-24T12:00:05Z', now)).toBe('just now');
  });

  it('counts flight directors', () => {
    expect(otto.directors(1)).toBe("a flight director's approval");
    expect(otto.directors(2)).toBe("2 flight directors' approvals");
  });
});
