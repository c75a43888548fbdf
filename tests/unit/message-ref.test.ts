import { describe, expect, it } from 'vitest';
import { MessageRef } from '../../src/store/message-ref.js';
import { Subject } from '../../src/store/subject.js';

describe('MessageRef', () => {
  it('formats and parses every kind of message back to the same value', () => {
    const refs: MessageRef[] = [
      { kind: 'slack', channel: 'C0ALERTS', ts: '1732611111.000200' },
      { kind: 'discord', channel: '123456789012345678', message: '223456789012345678' },
      {
        kind: 'discord',
        channel: '123456789012345678',
        message: '223456789012345678',
        thread: '323456789012345678',
      },
      { kind: 'webhook', key: 'a1b2c3', message: '423456789012345678' },
      { kind: 'console', n: '7' },
    ];
    for (const ref of refs) expect(MessageRef.parse(MessageRef.format(ref))).toEqual(ref);
    expect(MessageRef.format(refs[0]!)).toBe('slack:C0ALERTS:1732611111.000200');
    expect(MessageRef.format(refs[2]!)).toBe(
      'discord:123456789012345678:223456789012345678:323456789012345678',
    );
  });

  it('refuses what is not a ref', () => {
    for (const text of [
      '',
      'slack:C1',
      'slack:C1:1:2',
      'teams:a:b',
      'webhook:k',
      'console:',
      'a:b:c:d:e',
    ])
      expect(MessageRef.parse(text), text).toBeUndefined();
  });
});

describe('Subject', () => {
  it('formats and parses services, nodes (colons and all) and clusters', () => {
    const subjects: Subject[] = [
      { kind: 'service', cluster: 'prod', service: 'shop_web' },
      { kind: 'node', cluster: 'prod', hostname: 'fe80::1' },
      { kind: 'cluster', cluster: 'prod' },
    ];
    for (const s of subjects) expect(Subject.parse(Subject.format(s))).toEqual(s);
    expect(Subject.format(subjects[1]!)).toBe('node:prod:fe80::1');
  });

  it('refuses what is not a subject', () => {
    for (const text of ['', 'cluster:', 'service:prod', 'service::x', 'node:prod:', 'disk:a:b'])
      expect(Subject.parse(text), text).toBeUndefined();
  });
});
