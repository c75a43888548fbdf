import { mkdtempSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { healthz, metricsText } from '../../src/adapters/health.js';
import { registry } from '../../src/metrics.js';
import { buildConfig } from '../../src/config/config.js';
import { openOps, type Ops } from '../../src/ops/ops.js';
import { testKey } from '../support/keys.js';

let ops: Ops;

const open = async (telemetry: boolean) => {
  const dir = mkdtempSync(join(tmpdir(), 'otto-health-'));
  const config = buildConfig(
    {
      data_dir: '.',
      clusters: { prod: { local: true }, edge: { local: true } },
      fleets: { shop: { cluster: 'prod', compose_file: 'shop.yml' } },
      telemetry: { enabled: telemetry },
    },
    dir,
    join(dir, 'otto.yml'),
  );
  return openOps(config, { env: { OTTO_SECRET_KEY: testKey(5).toString('base64') } });
};

afterEach(async () => {
  await ops.close();
});

describe('GET /healthz', () => {
  beforeEach(async () => {
    ops = await open(true);
  });

  it('is 200 with each check when the database is writable and every adapter is connected', async () => {
    const h = await healthz(ops, () => ({ slack: true }));
    expect(h).toEqual({
      status: 200,
      body: {
        status: 'ok',
        checks: {
          database: { ok: true },
          slack: { ok: true },
          clusters: { prod: { ok: true }, edge: { ok: true } },
        },
      },
    });
  });

  it('is 503 when a chat adapter is not connected', async () => {
    const h = await healthz(ops, () => ({ slack: true, discord: false }));
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ status: 'unhealthy', checks: { discord: { ok: false } } });
  });

  it('reports an unreachable cluster from telemetry, and stays 200 (degraded)', async () => {
    await ops.incidents.open({
      subject: 'cluster:prod',
      kind: 'cluster',
      cluster: 'prod',
      state: 'unreachable',
      reason: 'no manager answers',
      openedAt: '2026-11-27T01:00:00.000Z',
    });
    const h = await healthz(ops, () => ({}));
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({
      status: 'degraded',
      checks: {
        clusters: {
          prod: { ok: false, error: 'unreachable since 2026-11-27T01:00:00.000Z' },
          edge: { ok: true },
        },
      },
    });
  });

  it('is 503 when the database cannot take a write', async () => {
    await ops.db.destroy();
    const h = await healthz(ops, () => ({}));
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ checks: { database: { ok: false } } });
    ops = await open(true); // for afterEach
  });
});

describe('GET /healthz without telemetry, and /metrics', () => {
  beforeEach(async () => {
    ops = await open(false);
  });

  it('says clusters are not watched', async () => {
    const h = await healthz(ops, () => ({}));
    expect(h.body).toMatchObject({
      status: 'ok',
      checks: { clusters: { prod: { ok: null, note: 'not watched (telemetry is off)' } } },
    });
  });

  it('serves Prometheus text with launches by outcome and open incidents counted now', async () => {
    const d = await ops.deployments.start({ fleet: 'shop', actor: 'a', composeSnapshot: 'x' });
    await ops.deployments.finish(d, 'succeeded', null);
    await ops.incidents.open({
      subject: 'service:prod:shop_web',
      kind: 'service',
      cluster: 'prod',
      state: 'down',
      reason: 'exits',
      openedAt: '2026-11-27T01:00:00.000Z',
    });
    let type = '';
    let text = '';
    await metricsText(ops, {
      writeHead: (_s: number, h: Record<string, string>) => (type = h['content-type'] ?? ''),
      end: (t: string) => (text = t),
    } as unknown as ServerResponse);
    expect(type).toContain('text/plain');
    expect(text).toMatch(/^otto_launches_total\{fleet="shop",outcome="succeeded"\} [1-9]/m);
    expect(text).toMatch(/^otto_launch_duration_seconds_count\{outcome="succeeded"\} [1-9]/m);
    expect(text).toMatch(/^otto_open_incidents\{kind="service"\} 1$/m);
    // Previews, one per pull request, are one series.
    for (const n of [1, 2]) {
      const p = await ops.deployments.start({
        fleet: `shop-pr-${n}`,
        actor: 'a',
        composeSnapshot: 'x',
      });
      await ops.deployments.finish(p, 'failed', 'x');
    }
    text = await registry.metrics();
    expect(text).toMatch(/^otto_launches_total\{fleet="preview",outcome="failed"\} [2-9]/m);
    expect(text).not.toContain('shop-pr-');
    for (const name of [
      'otto_alert_delivery_failures_total',
      'otto_chat_ack_seconds',
      'otto_ssh_channels_in_use',
      'otto_reconcile_pass_duration_seconds',
      'otto_process_resident_memory_bytes',
    ])
      expect(text).toContain(`# HELP ${name}`);
  });
});
