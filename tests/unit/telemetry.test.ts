import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { consoleOutbox, makeOutbox } from '../../src/adapters/alert-outbox.js';
import { redactTarget } from '../../src/watch/incident-messages.js';
import { pollSchedule } from '../../src/watch/telemetry.js';
import { buildConfig, durationSeconds } from '../../src/config/config.js';
import { readCluster, secondsAgo } from '../../src/swarm/cluster-read.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';

describe("reading Docker's task ages", () => {
  it('turns human durations into seconds', () => {
    expect(secondsAgo('Failed less than a second ago')).toBe(0);
    expect(secondsAgo('Failed 3 seconds ago')).toBe(3);
    expect(secondsAgo('Rejected about a minute ago')).toBe(60);
    expect(secondsAgo('Failed 12 minutes ago')).toBe(720);
    expect(secondsAgo('Failed about an hour ago')).toBe(3600);
    expect(secondsAgo('Failed 2 days ago')).toBe(172_800);
    expect(secondsAgo('Running')).toBeUndefined();
  });
});

describe('telemetry config', () => {
  const base = { clusters: { local: { local: true } } };

  it('defaults to a 15 s poll, a 60 s grace, hourly reminders and memory_warn 90', () => {
    const t = buildConfig(base, '/tmp', undefined).telemetry;
    expect(t).toEqual({
      enabled: true,
      events: true,
      pollSeconds: 15,
      graceSeconds: 60,
      remindSeconds: 3600,
      alerts: [],
      digest: undefined,
      memoryWarnPercent: 90,
    });
    expect(durationSeconds('2h')).toBe(7200);
  });

  it('takes memory_warn as a percent of a task’s memory limit, 1 to 100', () => {
    const warn = (memory_warn: unknown) =>
      buildConfig({ ...base, telemetry: { memory_warn } }, '/tmp', undefined).telemetry
        .memoryWarnPercent;
    expect(warn(75)).toBe(75);
    expect(warn(100)).toBe(100);
    expect(() => warn(0)).toThrow(/memory_warn/);
    expect(() => warn(120)).toThrow(/memory_warn/);
    expect(() => warn('90%')).toThrow(/memory_warn/);
  });

  it('takes fleet alert targets over the default ones', () => {
    const c = buildConfig(
      {
        ...base,
        telemetry: { alerts: ['slack:C0OPS'], digest: '0 9 * * 1-5' },
        fleets: {
          a: { cluster: 'local', compose_file: 'a.yml' },
          b: {
            cluster: 'local',
            compose_file: 'b.yml',
            alerts: ['discord:123456789012345678', 'https://discord.com/api/webhooks/1/tok'],
            deploy_notices: false,
          },
        },
      },
      '/tmp',
      undefined,
    );
    expect(c.fleets.get('a')?.alerts).toEqual(['slack:C0OPS']);
    expect(c.fleets.get('b')?.alerts).toHaveLength(2);
    expect(c.fleets.get('b')?.deployNotices).toBe(false);
  });

  it('explains a poll cron cannot keep, an unknown target and a bad digest', () => {
    const bad = (telemetry: object) => () => buildConfig({ ...base, telemetry }, '/tmp', undefined);
    expect(bad({ poll: '7s' })).toThrow(/poll must divide a minute or an hour evenly/);
    expect(bad({ alerts: ['#ops'] })).toThrow(/alert targets look like slack:C0123ABC/);
    expect(bad({ alerts: ['http://example.com/api/webhooks/1/x'] })).toThrow(/alert targets/);
    expect(bad({ digest: 'every morning' })).toThrow(/digest is a cron schedule/);
    // A Slack target with only Discord configured has nothing to post with.
    expect(() =>
      buildConfig(
        {
          ...base,
          discord: { token: 'x'.repeat(30), application_id: '123456789012345678' },
          telemetry: { alerts: ['slack:C0OPS'] },
        },
        '/tmp',
        undefined,
      ),
    ).toThrow(/telemetry.alerts.0: slack:C0OPS is a Slack channel, but there is no slack: section/);
  });

  it('schedules polls with node-cron', () => {
    expect(pollSchedule(15)).toBe('*/15 * * * * *');
    expect(pollSchedule(60)).toBe('0 * * * * *');
    expect(pollSchedule(300)).toBe('0 */5 * * * *');
  });
});

/** A Swarm of `services` fleets of one failing service each: 4 verbs answer it all. */
function fakeSwarm(services: number): RecordingTransport {
  const names = Array.from({ length: services }, (_, i) => `f${i}_web`);
  return new RecordingTransport({
    'service ls': ok(
      names.map((n) => JSON.stringify({ Name: n, Replicas: '0/1', Image: 'x' })).join('\n'),
    ),
    'service inspect': ok(JSON.stringify(names.map((n) => ({ ID: n, Spec: { Name: n } })))),
    'service ps': ok(
      names
        .map((n) =>
          JSON.stringify({
            ID: `${n}1`,
            Name: `${n}.1`,
            Image: 'x',
            Node: 'n1',
            DesiredState: 'Running',
            CurrentState: 'Failed 4 seconds ago',
            Error: '"task: non-zero exit (3)"',
          }),
        )
        .join('\n'),
    ),
    'node ls': ok(JSON.stringify({ Hostname: 'n1', Status: 'Ready', Availability: 'Active' })),
  });
}

describe('a reconcile pass', () => {
  it('makes as many docker calls for 50 fleets as for 1', async () => {
    const one = fakeSwarm(1);
    const fifty = fakeSwarm(50);
    const now = Date.parse('2026-11-25T03:00:00Z');
    await readCluster(one, ['f0'], now);
    const r = await readCluster(
      fifty,
      Array.from({ length: 50 }, (_, i) => `f${i}`),
      now,
    );
    expect(one.calls).toHaveLength(4);
    expect(fifty.calls).toHaveLength(4);
    expect(r.services).toHaveLength(50);
    expect(r.services[7]).toMatchObject({
      fleet: 'f7',
      service: 'web',
      running: 0,
      desired: 1,
      failedAt: ['2026-11-25T02:59:56.000Z'],
      reason: { kind: 'exit_code' },
    });
  });
});

describe('Discord webhook alerts', () => {
  it('posts, replies and edits over HTTP, and never logs the token', async () => {
    const seen: { method: string; url: string; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: String(seen.length) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/42/s3cret`;
    const outbox = makeOutbox({ targets: [url] });
    const ref = await outbox.post(url, {
      outcome: 'failed',
      text: '🔴 shop web is down',
      buttons: [{ label: 'Logs', command: 'logs shop web' }],
    });
    expect(ref).not.toContain('s3cret');
    await outbox.reply(ref, { outcome: 'ok', text: '✅ shop web has recovered' });
    await outbox.edit(ref, { outcome: 'ok', text: '✅ Resolved' });
    server.close();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /api/webhooks/42/s3cret?wait=true',
      'POST /api/webhooks/42/s3cret?wait=true',
      'PATCH /api/webhooks/42/s3cret/messages/1',
    ]);
    expect(JSON.parse(seen[0]!.body)).toMatchObject({
      content: '🔴 shop web is down',
      allowed_mentions: { parse: [] },
    });
    expect(JSON.parse(seen[1]!.body).content).toContain('↪️');
    expect(redactTarget(url)).not.toContain('s3cret');
  });
});

describe('console alerts', () => {
  it('prints each alert once, and its updates indented under it', async () => {
    const lines: string[] = [];
    const outbox = consoleOutbox((t) => lines.push(t));
    const ref = await outbox.post('console', {
      outcome: 'failed',
      text: '🔴 shop web is down: Service web exits with code 3.',
      buttons: [{ label: 'Logs', command: 'logs shop web' }],
    });
    await outbox.reply(ref, { outcome: 'ok', text: '✅ shop web has recovered' });
    await outbox.edit(ref, { outcome: 'ok', text: '✅ Resolved' });
    expect(lines[0]).toContain('shop web is down');
    expect(lines[0]).toContain('[Logs: logs shop web]');
    expect(lines[1]).toBe('  ↪ ✅ shop web has recovered');
    expect(lines).toHaveLength(2);
  });
});
