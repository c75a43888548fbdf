import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifySignature } from '../../src/adapters/notify/signature.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { until } from '../support/standin-server.js';
import { docker } from '../support/testbed.js';
import { webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

const HOOK_SECRET = 'e2e-hook-secret-5f4e3d2c1b0a';
const SMTP_PASSWORD = 'e2e-smtp-password-a1b2c3';

/**
 * `otto start` (with the HTTP API alone, no chat) sends a launch and an incident
 * of the real Swarm to a signed webhook, Mattermost, Teams and e-mail, with
 * secrets from the environment: the wiring of otto.yml's notify: and smtp: to the
 * watcher, end to end.
 */
describe.skipIf(bed === null)(
  'notify: webhook, Mattermost, Teams and e-mail from otto start',
  () => {
    if (!bed) return;
    const posts: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const mails: { raw: string; parsed: ParsedMail }[] = [];
    let http: Server;
    let smtp: SMTPServer;
    let otto: OttoProcess;
    let ws: ReturnType<typeof workspace>;

    const hook = (kind: string) =>
      posts
        .filter((p) => p.path === '/hook')
        .map((p) => JSON.parse(p.body) as Record<string, unknown>)
        .filter((b) => b['kind'] === kind);
    const mailsAbout = (subject: string) => mails.filter((m) => m.parsed.subject === subject);

    beforeAll(async () => {
      http = createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          posts.push({ path: req.url ?? '', headers: req.headers, body });
          res.end('ok');
        });
      });
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      smtp = new SMTPServer({
        logger: false,
        allowInsecureAuth: true,
        disabledCommands: ['STARTTLS'],
        onAuth: (auth, _s, cb) =>
          auth.password === SMTP_PASSWORD ? cb(null, { user: 'otto' }) : cb(new Error('no')),
        onData(stream, _s, cb) {
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
      // otto start and otto say both read otto.yml's ${…} from the environment.
      process.env['OTTO_E2E_HOOK_SECRET'] = HOOK_SECRET;
      process.env['OTTO_E2E_SMTP_PASSWORD'] = SMTP_PASSWORD;
      ws = workspace(
        bed,
        {
          tern: {
            compose: { services: { web: webService(bed.images.v1, { deploy: { replicas: 1 } }) } },
            extra: {
              alerts: [
                'webhook:ops-hook',
                `mattermost:${base}/mm/hooks/tok3n`,
                `teams:${base}/teams/invoke?sig=s3cr3t`,
                'email:oncall@example.com',
              ],
            },
          },
        },
        undefined,
        {
          http: { port: 0 },
          notify: { 'ops-hook': { url: `${base}/hook`, secret: '${OTTO_E2E_HOOK_SECRET}' } },
          smtp: {
            host: '127.0.0.1',
            port: (smtp.server.address() as AddressInfo).port,
            user: 'otto',
            password: '${OTTO_E2E_SMTP_PASSWORD}',
            from: 'Otto <otto@example.com>',
            tls: 'none',
          },
          telemetry: { poll: '2s', grace: '5s' },
        },
      );
      otto = startOtto(ws.config, ws.dir);
      await otto.waitForLog('Telemetry is watching 1 cluster');
    }, 120_000);

    afterAll(async () => {
      const code = await otto?.stop();
      await docker(bed, ['stack', 'rm', 'tern']);
      await new Promise<void>((r) => http.close(() => r()));
      await new Promise<void>((r) => smtp.close(() => r()));
      expect(code).toBe(0);
      for (const s of [HOOK_SECRET, SMTP_PASSWORD, 'tok3n', 's3cr3t'])
        expect(otto.log()).not.toContain(s);
    });

    it('announces a launch to every target, signed and by mail', async () => {
      const r = await ws.say('launch tern');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      await until(
        'the launch in orbit, on the webhook',
        () => hook('launch').some((b) => b['state'] === 'succeeded'),
        120_000,
      );
      const done = hook('launch').find((b) => b['state'] === 'succeeded')!;
      expect(done).toMatchObject({
        fleet: 'tern',
        cluster: 'swarm',
        launch_id: expect.any(Number),
      });
      const signed = posts.find((p) => p.path === '/hook')!;
      expect(
        verifySignature(
          HOOK_SECRET,
          String(signed.headers['x-otto-timestamp']),
          signed.body,
          String(signed.headers['x-otto-signature']),
        ),
      ).toBe(true);
      await until(
        'the launch mail',
        () => mailsAbout('[Otto] Launch of tern v1').length > 0,
        60_000,
      );
      await until(
        'the launch on Mattermost and Teams',
        () =>
          posts.some((p) => p.path.startsWith('/mm/')) &&
          posts.some((p) => p.path.startsWith('/teams/')),
        60_000,
      );
    });

    it('sends an incident and its recovery, and the recovery mail replies to the alert', async () => {
      await docker(bed, ['service', 'update', '--detach', '--args', 'sh -c "exit 3"', 'tern_web']);
      await until('the alert on the webhook', () => hook('alert').length > 0, 120_000);
      const alert = hook('alert')[0]!;
      expect(alert).toMatchObject({ fleet: 'tern', service: 'web', cluster: 'swarm' });
      const subject = `[Otto] Incident #${String(alert['incident_id'])}: tern web`;
      await until('the alert mail', () => mailsAbout(subject).length > 0, 60_000);

      await docker(bed, [
        'service',
        'update',
        '--detach',
        '--args',
        'httpd -f -p 8080 -h /www',
        'tern_web',
      ]);
      await until('the recovery on the webhook', () => hook('recovery').length > 0, 120_000);
      expect(hook('recovery')[0]!['id']).toBe(alert['id']);
      await until(
        'the recovery mail',
        () => mailsAbout(subject).some((m) => m.parsed.headers.get('x-otto-kind') === 'recovery'),
        60_000,
      );
      const [first] = mailsAbout(subject);
      const recovery = mailsAbout(subject).find(
        (m) => m.parsed.headers.get('x-otto-kind') === 'recovery',
      )!;
      expect(recovery.parsed.inReplyTo).toBe(first!.parsed.messageId);
      for (const m of mails) {
        expect(m.raw).not.toContain(SMTP_PASSWORD);
        expect(m.raw).not.toContain(HOOK_SECRET);
      }
    });
  },
);
