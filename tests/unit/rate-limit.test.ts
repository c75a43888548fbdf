import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceChoices } from '../../src/commands/choices.js';
import { dispatch } from '../../src/commands/dispatch.js';
import { RateLimiter } from '../../src/commands/rate-limit.js';
import type { Ops } from '../../src/ops/ops.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';
import { NGINX, testOps } from '../support/test-ops.js';

describe('RateLimiter', () => {
  it('allows a burst, then one request per refill, per identity', () => {
    let now = 0;
    const l = new RateLimiter({ burst: 2, perMinute: 6 }, () => now);
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([0, 0, 10]);
    expect(l.take('b')).toBe(0);
    now += 10_000;
    expect(l.take('a')).toBe(0);
    expect(l.take('a')).toBe(10);
  });
});

describe('costly reads per identity', () => {
  let ops: Ops;
  const fake = new RecordingTransport({
    'service ls': ok('{"Name":"shop_web"}\n'),
    'service logs': ok('shop_web.1@n1    | hello\n'),
  });
  beforeAll(async () => {
    ops = await testOps(
      {
        clusters: { laptop: { local: true } },
        access: { 'slack:*': 'viewer' },
        fleets: { shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml' } },
      },
      { files: { 'stacks/shop.yml': NGINX }, transport: fake },
    );
  });
  afterAll(async () => {
    await ops.close();
  });

  it('stops a viewer flooding logs before any SSH channel is used, and not the others', async () => {
    const source = { actor: 'slack:UFLOOD', channel: 'slack:C1', platform: 'slack' as const };
    const replies = [];
    for (let i = 0; i < 7; i++) replies.push(await dispatch(ops, 'logs shop --tail 1000', source));
    expect(replies.slice(0, 5).every((r) => r.outcome === 'ok')).toBe(true);
    const limited = replies[5]!;
    expect(limited.outcome).toBe('failed');
    expect(limited.text).toContain("Otto's limit per person");
    expect(limited.fix).toMatch(/^Try again in \d+ s\.$/);
    expect(fake.verbs().filter((v) => v === 'service logs')).toHaveLength(5);
    const other = await dispatch(ops, 'logs shop', { ...source, actor: 'slack:UCALM' });
    expect(other.outcome).toBe('ok');
  });

  it('answers autocomplete from the compose file alone past the share', async () => {
    fake.calls.length = 0;
    for (let i = 0; i < 15; i++) {
      const names = await serviceChoices(
        ops,
        { actor: 'slack:UAUTO', groups: [] },
        'slack:C1',
        'shop',
        '',
      );
      expect(names).toEqual(['web']);
    }
    expect(fake.verbs().filter((v) => v === 'service ls')).toHaveLength(10);
  });
});
