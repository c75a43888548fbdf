import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.js';
import type { Deployment, Incident } from '../../src/store/db.js';
import { MessageRef } from '../../src/store/message-ref.js';
import { redactTarget } from '../../src/watch/incident-messages.js';
import { webhookBody } from '../../src/adapters/notify/webhook-body.js';
import { mattermostBody } from '../../src/adapters/notify/mattermost-body.js';
import { teamsCard } from '../../src/adapters/notify/teams-card.js';
import { alertMail, mailDomain, smtpOptions } from '../../src/adapters/notify/mail.js';
import { signBody, verifySignature } from '../../src/adapters/notify/signature.js';
import { subjectOf, threadOf } from '../../src/adapters/notify/thread.js';

const incident: Incident = {
  id: 42,
  subject: 'service:prod:shop_web',
  kind: 'service',
  cluster: 'prod',
  fleet: 'shop',
  service: 'web',
  state: 'down',
  reason: 'Service web exits with code 3.',
  openedAt: '2026-05-04T09:10:00.000Z',
  updatedAt: '2026-05-04T09:10:00.000Z',
  remindedAt: '2026-05-04T09:10:00.000Z',
  resolvedAt: null,
  refs: '{}',
};

const deployment: Deployment = {
  id: 17,
  fleet: 'shop',
  version: 3,
  status: 'succeeded',
  actor: 'slack:U1',
  composeSnapshot: 'services: {}',
  reason: null,
  rollbackOf: null,
  pid: 1,
  hostname: 'otto',
  startedAt: '2026-05-04T09:00:00.000Z',
  finishedAt: '2026-05-04T09:00:04.200Z',
  durationMs: 4200,
  renderedCompose: null,
  gitSha: null,
  gitRef: null,
  gitSubject: null,
  imageOverrides: null,
};

const alert: Reply = {
  outcome: 'failed',
  text: '🔴 shop web is down: Service web exits with code 3.',
  fields: [
    { label: 'Fleet', value: 'shop' },
    { label: 'Service', value: 'web' },
  ],
  block: ['shop_web.1@n1 | out of coffee'],
  fix: 'Read the last log lines. If the last launch caused it, roll back.',
  buttons: [
    { label: 'Logs', command: 'logs shop web' },
    { label: 'Roll back', command: 'rollback shop', style: 'danger' },
  ],
};

describe('threads and subjects', () => {
  it('are the same for every message of one incident or launch', () => {
    expect(threadOf({ kind: 'alert', incident })).toBe('incident-42.1777885800000');
    expect(threadOf({ kind: 'recovery', incident })).toBe('incident-42.1777885800000');
    expect(threadOf({ kind: 'launch', deployment, cluster: 'prod' })).toBe(
      'launch-17.1777885200000',
    );
    expect(threadOf(undefined)).toMatch(/^notice-[0-9a-f]{12}$/);
    expect(subjectOf({ kind: 'update', incident }, alert)).toBe('Incident #42: shop web');
    expect(subjectOf({ kind: 'launch', deployment, cluster: 'prod' }, alert)).toBe(
      'Launch of shop v3',
    );
    expect(
      subjectOf(
        { kind: 'launch', deployment: { ...deployment, rollbackOf: 2, version: 5 }, cluster: 'p' },
        alert,
      ),
    ).toBe('Return of shop to v2 (v5)');
    expect(subjectOf(undefined, { outcome: 'ok', text: 'digest\nmore' })).toBe('digest');
  });

  it('are kept in a message ref, which holds no URL', () => {
    const ref = { kind: 'notify', key: 'a1b2c3d4e5f6', thread: 'incident-42.1777885800000' };
    expect(MessageRef.format(ref as MessageRef)).toBe(
      'notify:a1b2c3d4e5f6:incident-42.1777885800000',
    );
    expect(MessageRef.parse('notify:a1b2c3d4e5f6:incident-42.1777885800000')).toEqual(ref);
    expect(MessageRef.parse('notify:a1b2c3d4e5f6')).toBeUndefined();
    expect(MessageRef.parse('notify:a:b:c')).toBeUndefined();
  });
});

describe('the webhook body, schema version 1', () => {
  it('carries an incident as flat fields', () => {
    expect(
      webhookBody({
        kind: 'alert',
        id: 'incident-42.1777885800000',
        delivery: 'd1',
        sentAt: '2026-05-04T09:10:03.000Z',
        reply: alert,
        about: { kind: 'alert', incident },
      }),
    ).toEqual({
      schema_version: 1,
      kind: 'alert',
      id: 'incident-42.1777885800000',
      delivery: 'd1',
      sent_at: '2026-05-04T09:10:03.000Z',
      incident_id: 42,
      launch_id: null,
      cluster: 'prod',
      fleet: 'shop',
      service: 'web',
      subject: 'shop web',
      state: 'down',
      reason: 'Service web exits with code 3.',
      started_at: '2026-05-04T09:10:00.000Z',
      ended_at: null,
      text: '🔴 shop web is down: Service web exits with code 3.',
      fix: 'Read the last log lines. If the last launch caused it, roll back.',
      lines: ['shop_web.1@n1 | out of coffee'],
      launch: null,
    });
  });

  it('carries a launch, and a message of its own with nulls', () => {
    const launch = webhookBody({
      kind: 'launch',
      id: 'launch-17.1777885200000',
      delivery: 'd2',
      sentAt: '2026-05-04T09:00:05.000Z',
      reply: { outcome: 'ok', text: '✅ shop v3 is in orbit in 4.2 s (launch of shop).' },
      about: { kind: 'launch', deployment, cluster: 'prod' },
    });
    expect(launch).toMatchObject({
      kind: 'launch',
      incident_id: null,
      launch_id: 17,
      cluster: 'prod',
      fleet: 'shop',
      service: null,
      subject: 'shop',
      state: 'succeeded',
      reason: null,
      started_at: '2026-05-04T09:00:00.000Z',
      ended_at: '2026-05-04T09:00:04.200Z',
      fix: null,
      lines: [],
      launch: { version: 3, actor: 'slack:U1', return_of: null, duration_ms: 4200 },
    });
    const notice = webhookBody({
      kind: 'notice',
      id: 'notice-abc',
      delivery: 'd3',
      sentAt: 'now',
      reply: { outcome: 'ok', text: 'digest', block: ['shop: 1/1'] },
    });
    expect(notice).toMatchObject({ kind: 'notice', incident_id: null, fleet: null, state: null });
    expect(notice.lines).toEqual(['shop: 1/1']);
    expect(Object.keys(notice).sort()).toEqual(Object.keys(launch).sort());
  });
});

describe('the signature', () => {
  it('is an HMAC-SHA256 of "<timestamp>.<body>" that a receiver can verify', () => {
    const secret = 'a-secret-of-32-characters-long!!';
    const sig = signBody(secret, 1712345678, '{"a":1}');
    // printf '%s' '1712345678.{"a":1}' | openssl dgst -sha256 -hmac "$secret"
    expect(sig).toBe('sha256=967fbb4ff7ff1de350b3e2f6c571ecc8fb070e145968127c32780820166eea14');
    expect(verifySignature(secret, '1712345678', '{"a":1}', sig)).toBe(true);
    expect(verifySignature(secret, '1712345679', '{"a":1}', sig)).toBe(false);
    expect(verifySignature(secret, '1712345678', '{"a":2}', sig)).toBe(false);
    expect(verifySignature('another-secret-of-32-characters', '1712345678', '{"a":1}', sig)).toBe(
      false,
    );
    expect(verifySignature(secret, 'x', '{"a":1}', sig)).toBe(false);
  });
});

describe('the Mattermost body', () => {
  it('is markdown text with the fields, the lines in a code block, the fix and the commands', () => {
    expect(
      mattermostBody({ kind: 'alert', id: 'incident-42.1', first: true, reply: alert }),
    ).toEqual({
      text: [
        '🔴 shop web is down: Service web exits with code 3.',
        '**Fleet:** shop · **Service:** web',
        '```\nshop_web.1@n1 | out of coffee\n```',
        '→ Read the last log lines. If the last launch caused it, roll back.',
        'In chat: `logs shop web` · `rollback shop`',
      ].join('\n'),
      props: { otto: { kind: 'alert', id: 'incident-42.1' } },
    });
  });

  it('marks a later message with ↪️ and mentions nobody', () => {
    const body = mattermostBody({
      kind: 'update',
      id: 'i',
      first: false,
      reply: { outcome: 'failed', text: 'ping @channel (from a log line)', block: ['```x```'] },
    });
    expect(body.text).toBe(
      '↪️ ping @\u200bchannel (from a log line)\n```\n`\u200b``x`\u200b``\n```',
    );
  });
});

describe('the Teams card', () => {
  it('is one Adaptive Card 1.4 in a message, as a workflow webhook takes it', () => {
    const card = teamsCard({ first: true, reply: alert });
    expect(card).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            msteams: { width: 'Full' },
            body: [
              {
                type: 'TextBlock',
                text: '🔴 shop web is down: Service web exits with code 3.',
                wrap: true,
                weight: 'Bolder',
                color: 'Attention',
              },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Fleet', value: 'shop' },
                  { title: 'Service', value: 'web' },
                ],
              },
              {
                type: 'Container',
                style: 'emphasis',
                items: [
                  {
                    type: 'TextBlock',
                    text: 'shop_web.1@n1 | out of coffee',
                    wrap: true,
                    fontType: 'Monospace',
                    size: 'Small',
                    spacing: 'None',
                  },
                ],
              },
              {
                type: 'TextBlock',
                text: '→ Read the last log lines. If the last launch caused it, roll back.',
                wrap: true,
              },
              {
                type: 'TextBlock',
                text: 'In chat: logs shop web · rollback shop',
                wrap: true,
                isSubtle: true,
                size: 'Small',
              },
            ],
          },
        },
      ],
    });
    const recovered = teamsCard({ first: false, reply: { outcome: 'ok', text: '✅ recovered' } });
    expect(recovered.attachments[0].content.body).toEqual([
      { type: 'TextBlock', text: '↪️ ✅ recovered', wrap: true, weight: 'Bolder', color: 'Good' },
    ]);
  });
});

describe('the e-mail', () => {
  const base = {
    from: 'Otto <otto@example.com>',
    to: 'oncall@example.com',
    thread: 'incident-42.1777885800000',
    subject: 'Incident #42: shop web',
    delivery: 'beef',
  };

  it('opens the thread with its own Message-ID, and later mails reply to it under the same subject', () => {
    const first = alertMail({ ...base, kind: 'alert', first: true, reply: alert });
    expect(first).toEqual({
      from: 'Otto <otto@example.com>',
      to: 'oncall@example.com',
      subject: '[Otto] Incident #42: shop web',
      messageId: '<otto-incident-42.1777885800000@example.com>',
      text: [
        '🔴 shop web is down: Service web exits with code 3.',
        '  Fleet: shop',
        '  Service: web',
        '    shop_web.1@n1 | out of coffee',
        '→ Read the last log lines. If the last launch caused it, roll back.',
        '',
        'In chat: logs shop web · rollback shop',
        '',
        '-- ',
        'Otto at Mission Control. This address is listed as email:oncall@example.com in otto.yml.',
      ].join('\n'),
      headers: {
        'Auto-Submitted': 'auto-generated',
        'X-Otto-Kind': 'alert',
        'X-Otto-Thread': 'incident-42.1777885800000',
      },
    });
    const later = alertMail({
      ...base,
      kind: 'recovery',
      first: false,
      reply: { outcome: 'ok', text: '✅ shop web has recovered.' },
    });
    expect(later).toMatchObject({
      subject: '[Otto] Incident #42: shop web',
      messageId: '<otto-incident-42.1777885800000.beef@example.com>',
      inReplyTo: '<otto-incident-42.1777885800000@example.com>',
      references: ['<otto-incident-42.1777885800000@example.com>'],
    });
    expect(mailDomain('otto@mail.example.org')).toBe('mail.example.org');
    expect(mailDomain('weird')).toBe('otto.local');
  });

  it('maps smtp tls to nodemailer, logs nothing, and logs in only with a password', () => {
    const smtp = {
      host: 'smtp.example.com',
      port: 587,
      user: 'u',
      password: 'p',
      from: 'otto@example.com',
      tls: 'starttls' as const,
    };
    expect(smtpOptions(smtp)).toEqual({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      requireTLS: true,
      ignoreTLS: false,
      auth: { user: 'u', pass: 'p' },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      logger: false,
      debug: false,
    });
    expect(smtpOptions({ ...smtp, tls: 'tls', port: 465 })).toMatchObject({
      secure: true,
      requireTLS: false,
      ignoreTLS: false,
    });
    const plain = smtpOptions({ ...smtp, tls: 'none', user: undefined, password: undefined });
    expect(plain).toMatchObject({ secure: false, requireTLS: false, ignoreTLS: true });
    expect(plain).not.toHaveProperty('auth');
  });
});

describe('targets in logs', () => {
  it('show the host alone: no path, query, user or password', () => {
    expect(redactTarget('mattermost:https://chat.example.com/hooks/abc123')).toBe(
      'mattermost:https://chat.example.com/…',
    );
    expect(
      redactTarget('teams:https://prod.logic.azure.com:443/workflows/1/invoke?sig=s3cret'),
    ).toBe('teams:https://prod.logic.azure.com:443/…');
    expect(redactTarget('https://discord.com/api/webhooks/42/tok3n')).toBe(
      'https://discord.com/api/webhooks/42/…',
    );
    expect(redactTarget('sent to https://user:pw@h.example.com/x and http://127.0.0.1:9/y')).toBe(
      'sent to https://h.example.com/… and http://127.0.0.1:9/…',
    );
    expect(redactTarget('to teams:https://h.example.com/x?sig=s3cret: HTTP 404.')).toBe(
      'to teams:https://h.example.com/…: HTTP 404.',
    );
    expect(redactTarget('webhook:ops-hook')).toBe('webhook:ops-hook');
    expect(redactTarget('email:oncall@example.com')).toBe('email:oncall@example.com');
  });
});
