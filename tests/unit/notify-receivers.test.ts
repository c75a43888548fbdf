import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOutbox, type Outbox } from '../../src/adapters/alert-outbox.js';
import { verifySignature } from '../../src/adapters/notify/signature.js';
import type { FleetConfig } from '../../src/config/config.js';
import type { Ops } from '../../src/ops/ops.js';
import { refsOf } from '../../src/store/incidents.js';
import { ClusterWatch } from '../../src/watch/cluster-watch.js';
import { announceLaunches } from '../../src/watch/telemetry.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';
import { testOps } from '../support/test-ops.js';

/**
 * Every notify target against a real receiver, driven by the real incident loop
 * (a cluster watch over a fake Swarm, incidents in a real SQLite file) and the
 * launch notices: a node:http server takes the signed webhook, Mattermost and
 * Teams posts; smtp-server takes the mail, which mailparser reads.
 */

const HOOK_SECRET = 'hook-secret-0123456789abcdef';
const SMTP_PASSWORD = 'smtp-pass-9f8e7d6c';
const FLEET_SECRET = 'fleet-secret-hunter2-xyz';
const SECRETS = [HOOK_SECRET, SMTP_PASSWORD, FLEET_SECRET, 'tok3n', 's3cr3t'];

interface Post {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}
const posts: Post[] = [];
/** Status answers, by path prefix, taken one per request before the default 200. */
const scripted = new Map<string, number[]>();

const mails: { raw: string; parsed: ParsedMail }[] = [];
const logins: string[] = [];

const swarm = { running: 2, desired: 2, failedSecondsAgo: [] as number[] };
const fakeSwarm = new RecordingTransport({
  'service ls': () =>
    ok(
      JSON.stringify({
        Name: 'shop_web',
        Replicas: `${swarm.running}/${swarm.desired}`,
        Image: 'shop:1',
      }),
    ),
  'service inspect': ok('[{"ID":"s1","Spec":{"Name":"shop_web"}}]'),
  'service ps': () =>
    ok(
      swarm.failedSecondsAgo
        .map((s, i) =>
          JSON.stringify({
            ID: `t${i}`,
            Name: 'shop_web.1',
            Image: 'shop:1',
            Node: 'n1',
            DesiredState: 'Shutdown',
            CurrentState: `Failed ${s} seconds ago`,
            Error: '"task: non-zero exit (3)"',
          }),
        )
        .join('\n'),
    ),
  // The service prints its secret: the alert must show it masked, everywhere.
  'service logs': ok(`shop_web.1@n1 | connecting with ${FLEET_SECRET}\nshop_web.1@n1 | bye\n`),
  'node ls': ok(JSON.stringify({ Hostname: 'n1', Status: 'Ready', Availability: 'Active' })),
});

let http: Server;
let smtp: SMTPServer;
let ops: Ops;
let shop: FleetConfig;
let outbox: Outbox;
let watch: ClusterWatch;
const logs: string[] = [];
let base = '';

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const path = req.url ?? '';
      posts.push({ path, headers: req.headers, body });
      const prefix = [...scripted.keys()].find((p) => path.startsWith(p));
      const status = (prefix && scripted.get(prefix)?.shift()) || 200;
      res.writeHead(status, status === 503 ? { 'retry-after': '0' } : {});
      res.end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  smtp = new SMTPServer({
    logger: false,
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(auth, _session, cb) {
      logins.push(`${auth.username}:${auth.password}`);
      if (auth.username === 'otto' && auth.password === SMTP_PASSWORD) cb(null, { user: 'otto' });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        void simpleParser(raw).then((parsed) => {
          mails.push({ raw, parsed });
          cb();
        });
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  ops = await testOps(
    {
      clusters: { laptop: { local: true } },
      notify: { 'ops-hook': { url: `${base}/hook`, secret: HOOK_SECRET } },
      smtp: {
        host: '127.0.0.1',
        port: smtpPort,
        user: 'otto',
        password: SMTP_PASSWORD,
        from: 'Otto <otto@example.com>',
        tls: 'none',
      },
      fleets: {
        shop: {
          cluster: 'laptop',
          compose_file: 'stacks/shop.yml',
          alerts: [
            'webhook:ops-hook',
            `mattermost:${base}/mm/hooks/tok3n`,
            `teams:${base}/teams/workflows/1/invoke?api-version=2016-06-01&sig=s3cr3t`,
            'email:oncall@example.com',
          ],
        },
      },
      telemetry: { grace: '0s', remind: '1h' },
    },
    {
      files: { 'stacks/shop.yml': 'services:\n  web:\n    image: shop:1\n' },
      transport: fakeSwarm,
      key: 9,
    },
  );
  await ops.secrets.set('shop', 'DB_PASSWORD', FLEET_SECRET);
  shop = ops.config.fleets.get('shop')!;
  outbox = makeOutbox({
    targets: shop.alerts,
    notify: ops.config.notify,
    smtp: ops.config.smtp,
    log: (line) => logs.push(line),
    // Short real waits: the retries happen, no test waits on a clock.
    retry: { attempts: 3, totalMs: 30_000, baseMs: 20, capMs: 100 },
  });
  watch = new ClusterWatch(ops, 'laptop', [shop], outbox, {
    log: (line) => logs.push(line),
    targetsFor: (f) => f?.alerts ?? [],
  });
});

afterAll(async () => {
  await outbox?.close(1_000);
  await ops?.close();
  await new Promise<void>((r) => http.close(() => r()));
  await new Promise<void>((r) => smtp.close(() => r()));
});

const on = (prefix: string) => posts.filter((p) => p.path.startsWith(prefix));
const json = (p: Post) => JSON.parse(p.body) as Record<string, unknown>;

/** Runs a pass of the watcher, then waits until every queued notification went out. */
async function pass(): Promise<void> {
  await watch.pass();
  await outbox.idle();
}

describe('notify targets, driven by the incident loop', () => {
  it('sends the alert everywhere: signed JSON (again after a 503), Mattermost, Teams and a mail', async () => {
    scripted.set('/hook', [503]);
    Object.assign(swarm, { running: 1, desired: 2, failedSecondsAgo: [] });
    await pass();

    const [incident] = await ops.incidents.openIncidents('laptop');
    expect(incident).toBeDefined();
    const refs = refsOf(incident!);
    expect(Object.keys(refs)).toEqual(shop.alerts);
    for (const ref of Object.values(refs)) expect(ref).toMatch(/^notify:[0-9a-f]{12}:incident-/);

    const hook = on('/hook');
    expect(hook).toHaveLength(2);
    for (const h of hook) {
      expect(h.headers['content-type']).toBe('application/json');
      expect(h.headers['x-otto-kind']).toBe('alert');
      const ts = String(h.headers['x-otto-timestamp']);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(300);
      expect(verifySignature(HOOK_SECRET, ts, h.body, String(h.headers['x-otto-signature']))).toBe(
        true,
      );
    }
    // The retry is the same delivery, byte for byte.
    expect(hook[1]!.body).toBe(hook[0]!.body);
    const body = json(hook[1]!);
    expect(hook[1]!.headers['x-otto-delivery']).toBe(body['delivery']);
    expect(body).toMatchObject({
      schema_version: 1,
      kind: 'alert',
      id: `incident-${incident!.id}.${Date.parse(incident!.openedAt)}`,
      incident_id: incident!.id,
      launch_id: null,
      cluster: 'laptop',
      fleet: 'shop',
      service: 'web',
      subject: 'shop web',
      state: 'degraded',
      started_at: incident!.openedAt,
      ended_at: null,
      launch: null,
    });
    expect(String(body['text'])).toContain('shop web is degraded');

    const [mm] = on('/mm/hooks/tok3n');
    expect(json(mm!)).toEqual({
      text: expect.stringContaining('shop web is degraded') as unknown,
      props: { otto: { kind: 'alert', id: body['id'] } },
    });
    expect(String(json(mm!)['text'])).toContain('In chat: `logs shop web --tail 20 --follow`');

    const [teams] = on('/teams/');
    expect(teams!.path).toContain('sig=s3cr3t');
    const card = json(teams!) as {
      type: string;
      attachments: {
        contentType: string;
        content: { version: string; body: { text?: string }[] };
      }[];
    };
    expect(card.type).toBe('message');
    expect(card.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0]!.content.version).toBe('1.4');
    expect(card.attachments[0]!.content.body[0]!.text).toContain('shop web is degraded');

    expect(mails).toHaveLength(1);
    const mail = mails[0]!.parsed;
    expect(mail.subject).toBe(`[Otto] Incident #${incident!.id}: shop web`);
    expect(mail.messageId).toBe(`<otto-${body['id']}@example.com>`);
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.from?.text).toBe('"Otto" <otto@example.com>');
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('oncall@example.com');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.headers.get('x-otto-kind')).toBe('alert');
    expect(mail.text).toContain('shop web is degraded');
    expect(logins).toEqual([`otto:${SMTP_PASSWORD}`]);
  });

  it('sends a worse state as an update, a new post but no mail, with masked log lines', async () => {
    // Teams refuses this one for good (a 4xx): logged once, not tried again.
    scripted.set('/teams/', [404]);
    const before = { hook: on('/hook').length, teams: on('/teams/').length };
    Object.assign(swarm, { running: 0, failedSecondsAgo: [2] });
    await pass();

    const update = on('/hook').slice(before.hook);
    expect(update.map((p) => json(p)['kind'])).toEqual(['update']);
    const body = json(update[0]!);
    expect(body['state']).toBe('down');
    expect(body['lines']).toEqual([
      'shop_web.1@n1 | connecting with ••••••',
      'shop_web.1@n1 | bye',
    ]);
    expect(on('/teams/').length - before.teams).toBe(1);
    const refused = logs.filter((l) => l.includes('could not send the update'));
    expect(refused).toEqual([
      `⚠️ Otto could not send the update of incident #${String(body['incident_id'])} (shop web) to teams:${base}/…: the receiver answered HTTP 404. This message is dropped; later ones are sent as usual.`,
    ]);

    // One mail per incident and one for its recovery: a worse state is no mail.
    expect(mails).toHaveLength(1);
  });

  it('sends the recovery into the same thread, and no edit goes anywhere', async () => {
    const before = posts.length;
    Object.assign(swarm, { running: 2, failedSecondsAgo: [] });
    await pass();
    const after = posts.slice(before);
    const kindOf = (p: Post) => {
      const b = json(p) as { kind?: string; props?: { otto: { kind: string } }; type?: string };
      return `${p.path.split('/')[1]} ${b.kind ?? b.props?.otto.kind ?? b.type}`;
    };
    // Each target has its own queue: their posts arrive in any order.
    expect(after.map(kindOf).sort()).toEqual(['hook recovery', 'mm recovery', 'teams message']);
    const recovery = json(after.find((p) => p.path === '/hook')!);
    const mm = json(after.find((p) => p.path.startsWith('/mm/'))!);
    expect(recovery['ended_at']).toEqual(expect.any(String));
    expect(recovery['id']).toBe(json(on('/hook')[0]!)['id']);
    expect(String(mm['text'])).toMatch(/^↪️ ✅ shop web has recovered/);

    expect(mails).toHaveLength(2);
    const [first, second] = mails.map((m) => m.parsed);
    expect(second!.subject).toBe(first!.subject);
    expect(second!.inReplyTo).toBe(first!.messageId);
    expect(second!.references).toBe(first!.messageId);
    expect(second!.messageId).not.toBe(first!.messageId);
    expect(second!.headers.get('x-otto-kind')).toBe('recovery');
    expect(await ops.incidents.openIncidents('laptop')).toEqual([]);
  });

  it('announces a launch and its end, threaded the same way', async () => {
    const started = await ops.deployments.start({
      fleet: 'shop',
      actor: 'slack:U1',
      composeSnapshot: 'services: {}',
    });
    const targetsFor = (f: FleetConfig | undefined) => f?.alerts ?? [];
    await announceLaunches(ops, outbox, targetsFor, (l) => logs.push(l));
    await outbox.idle();
    await ops.deployments.finish(started, 'succeeded', null);
    await announceLaunches(ops, outbox, targetsFor, (l) => logs.push(l));
    await outbox.idle();

    const launches = on('/hook')
      .map(json)
      .filter((b) => b['kind'] === 'launch');
    expect(launches.map((b) => b['state'])).toEqual(['deploying', 'succeeded']);
    expect(launches[1]).toMatchObject({
      id: `launch-${started.id}.${Date.parse(started.startedAt)}`,
      launch_id: started.id,
      fleet: 'shop',
      cluster: 'laptop',
      launch: { version: started.version, actor: 'slack:U1', return_of: null },
    });
    const launchMails = mails.slice(2).map((m) => m.parsed);
    expect(launchMails.map((m) => m.subject)).toEqual([
      `[Otto] Launch of shop v${started.version}`,
      `[Otto] Launch of shop v${started.version}`,
    ]);
    expect(launchMails[1]!.inReplyTo).toBe(launchMails[0]!.messageId);
    expect(launchMails[1]!.text).toContain('is in orbit');
  });

  it('never puts a secret or a URL token in a body, a header or a log line', () => {
    for (const p of posts.filter((p) => !p.path.startsWith('/teams/')))
      for (const s of SECRETS)
        expect(`${JSON.stringify(p.headers)}${p.body}`, p.path).not.toContain(s);
    for (const p of on('/teams/'))
      for (const s of SECRETS) expect(p.body, 'teams body').not.toContain(s);
    for (const m of mails) for (const s of SECRETS) expect(m.raw).not.toContain(s);
    for (const l of logs) for (const s of SECRETS) expect(l).not.toContain(s);
  });
});
