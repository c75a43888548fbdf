import { until } from '../support/standin-server.js';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { Conversation, textOf, tsOf } from '../support/slack-messages.js';
import { buttonPayload, slashPayload, SlackStandin } from '../support/slack-standin.js';
import { docker, startSshd, waitFor, type Sshd } from '../support/testbed.js';
import { sshCluster, webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');
const ALERTS = 'C0ALERT';

describe.skipIf(bed === null)('telemetry: alerts on the real Swarm, into Slack', () => {
  if (!bed) return;
  const slack = new SlackStandin();
  let reefSshd: Sshd;
  let otto: OttoProcess;
  const env = () => ({
    SLACK_BOT_TOKEN: 'xoxb-0000-secret-bot-token',
    SLACK_APP_TOKEN: 'xapp-1-secret-app-token',
    SLACK_API: slack.apiUrl,
    // Every docker call in the log: the tests count the watcher's polls by it.
    OTTO_TRACE: '1',
  });
  /** `docker service ls` calls so far: each poll of each cluster makes one. */
  const polls = () => (otto.log().match(/\] docker (-H \S+ )?service ls /g) ?? []).length;
  /** Waits until the watcher polled `n` more times: quiet checks wait on polls, not on time. */
  const morePolls = async (n: number) => {
    const from = polls();
    await until(`${n} more polls`, () => polls() >= from + n, 60_000);
  };
  const httpd = ['httpd', '-f', '-p', '8080', '-h', '/www'];

  let ws: ReturnType<typeof workspace>;

  beforeAll(async () => {
    const sshdDir = mkdtempSync(join(tmpdir(), 'otto-reef-sshd-'));
    chmodSync(sshdDir, 0o755); // sshd reads authorized_keys as the SSH user
    reefSshd = await startSshd(sshdDir);
    const stack = { services: { web: webService(bed.images.v1, { deploy: { replicas: 1 } }) } };
    ws = workspace(
      bed,
      {
        buoy: { compose: stack },
        beacon: { compose: stack },
        anchor: { compose: stack },
        keel: { compose: stack },
        reef: { compose: stack, cluster: 'reef' },
      },
      {
        swarm: sshCluster(bed),
        reef: sshCluster(bed, { port: reefSshd.port, private_key_file: reefSshd.key }),
      },
      {
        access: { 'slack:UALICE': 'deployer', 'slack:UEVE': 'viewer' },
        slack: {
          mode: 'socket',
          bot_token: '${SLACK_BOT_TOKEN}',
          app_token: '${SLACK_APP_TOKEN}',
          api_url: '${SLACK_API}',
        },
        telemetry: { poll: '2s', grace: '5s', alerts: [`slack:${ALERTS}`] },
      },
    );
    await slack.listen();
    otto = startOtto(ws.config, ws.dir, env());
    await otto.waitForLog('Telemetry is watching 2 clusters');
    await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
  }, 60_000);

  afterAll(async () => {
    const code = await otto.stop();
    await slack.close();
    await reefSshd.kill();
    await docker(bed, ['stack', 'rm', 'buoy']);
    for (const s of ['beacon_web', 'anchor_web', 'keel_web'])
      await docker(bed, ['service', 'rm', s]);
    expect(code).toBe(0);
    expect(otto.log()).not.toMatch(/xoxb-0000|xapp-1-secret/);
  });

  const slash = (text: string, user = 'UALICE') =>
    slack.envelope('slash_commands', slashPayload(slack, text, user));
  /** Root messages (not thread replies) posted to the alert channel that mention `text`. */
  const roots = (text: string) =>
    slack
      .callsOf('chat.postMessage')
      .filter(
        (c) => c.args['channel'] === ALERTS && !c.args['thread_ts'] && textOf(c).includes(text),
      );
  const threadReply = (ts: string, text: string) =>
    slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' && c.args['thread_ts'] === ts && textOf(c).includes(text),
      `a reply under ${ts} containing "${text}"`,
      60_000,
    );
  const crash = (service: string) =>
    docker(bed, [
      'service',
      'update',
      '--detach',
      '--args',
      'sh -c "echo buoy is taking on water; exit 3"',
      service,
    ]);
  /** A service made by hand (not launched): the watcher goes by its fleet's name prefix. */
  const createService = (name: string, options: string[]) =>
    docker(bed, [
      'service',
      'create',
      '--detach',
      '--name',
      name,
      ...options,
      bed.images.v1,
      ...httpd,
    ]);
  const mend = (service: string) =>
    docker(bed, ['service', 'update', '--detach', '--args', httpd.join(' '), service]);

  it('announces a launch in the alert channel: one message, edited to its result', async () => {
    const talk = new Conversation(slack);
    await slash('launch buoy');
    const notice = await talk.posted('started the launch of buoy (v1)', 60_000);
    expect(notice.args['channel']).toBe(ALERTS);
    await talk.drawn(tsOf(notice), 'buoy v1 is in orbit', 90_000);
    expect(roots('launch of buoy')).toHaveLength(1);
  });

  let buoyAlert: string;

  it('alerts once when a service crashes (reason, log lines, buttons) and threads the recovery', async () => {
    const talk = new Conversation(slack);
    await crash('buoy_web');
    const alert = await talk.posted('buoy web is down', 60_000);
    buoyAlert = tsOf(alert);
    const text = textOf(alert);
    expect(alert.args['channel']).toBe(ALERTS);
    expect(text).toContain('exits with code 3');
    expect(text).toContain('0/1 running');
    expect(text).toContain('[Logs]');
    expect(text).toContain('[Roll back]');
    expect(text).toContain('[Silence 1h]');
    expect(text).toContain('taking on water');
    // It keeps failing through several polls: still one message.
    await morePolls(4);
    expect(roots('buoy web is down')).toHaveLength(1);

    await mend('buoy_web');
    const recovered = await threadReply(buoyAlert, 'buoy web has recovered');
    expect(textOf(recovered)).toContain('1/1 running');
    await talk.drawn(buoyAlert, 'Resolved: buoy web was down');
    expect(roots('buoy web is down')).toHaveLength(1);
    expect(
      rows(
        ws.dir,
        "select state, resolved_at is not null as resolved from incidents where fleet = 'buoy'",
      ),
    ).toEqual([{ state: 'down', resolved: 1 }]);
  });

  it("follows the service's transmissions in the alert's thread from its Logs button", async () => {
    const talk = new Conversation(slack);
    const alert = slack.calls.find(
      (c) => c.method === 'chat.postMessage' && tsOf(c) === buoyAlert,
    )!;
    await slack.envelope('interactive', buttonPayload(slack, alert, 'Logs', 'UALICE'));
    const follow = await talk.posted('Following buoy web live');
    // The follow's message and its lines are in the alert's thread.
    expect(follow.args['thread_ts']).toBe(buoyAlert);
    await threadReply(buoyAlert, '| buoy is taking on water');
    await slack.envelope('interactive', buttonPayload(slack, follow, 'Stop', 'UALICE'));
    await talk.drawn(tsOf(follow), 'ended: stopped by <@UALICE>');
  });

  it('silences a service from the alert button, lists it under alerts, and posts the alert owed once lifted', async () => {
    const talk = new Conversation(slack);
    const alert = slack.calls.find(
      (c) => c.method === 'chat.postMessage' && tsOf(c) === buoyAlert,
    )!;
    await slack.envelope('interactive', buttonPayload(slack, alert, 'Silence 1h', 'UALICE'));
    const silenced = await talk.posted('buoy web is silenced until');
    expect(textOf(silenced)).toContain('pressed Silence 1h');

    await crash('buoy_web');
    await waitFor(
      'the silenced incident',
      async () =>
        rows(ws.dir, "select id from incidents where fleet = 'buoy' and resolved_at is null")
          .length === 1,
      60_000,
    );
    await morePolls(4);
    expect(roots('buoy web is down')).toHaveLength(1);

    talk.mark();
    await slash('alerts', 'UEVE');
    const list = await talk.posted('open incident');
    expect(textOf(list)).toContain('buoy web');
    expect(textOf(list)).toContain('silenced until');

    await slash('silence buoy web off');
    await talk.posted('Alerts for buoy web are on again');
    const owed = await talk.posted('buoy web is down', 30_000);
    expect(owed.args['channel']).toBe(ALERTS);
    await mend('buoy_web');
    await threadReply(tsOf(owed), 'buoy web has recovered');
  });

  it('names a failing healthcheck as the reason', async () => {
    const talk = new Conversation(slack);
    await createService('beacon_web', [
      '--health-cmd',
      'false',
      '--health-interval',
      '1s',
      '--health-retries',
      '1',
      '--health-start-period',
      '0s',
    ]);
    const alert = await talk.posted('beacon web is down', 90_000);
    await talk.drawn(tsOf(alert), 'healthcheck keeps failing', 60_000);
    await docker(bed, ['service', 'rm', 'beacon_web']);
    const gone = await threadReply(tsOf(alert), 'beacon web has recovered');
    expect(gone).toBeDefined();
    await talk.drawn(tsOf(alert), 'no longer exists');
  });

  it('names an image that cannot be pulled, with what to check', async () => {
    const talk = new Conversation(slack);
    await docker(bed, [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'keel_web',
      'otto-test:never-built',
      ...httpd,
    ]);
    const alert = await talk.posted('keel web is down', 60_000);
    await talk.drawn(tsOf(alert), 'Failed to pull image otto-test:never-built', 60_000);
    await talk.drawn(tsOf(alert), 'registry credentials', 5_000);
    await docker(bed, ['service', 'rm', 'keel_web']);
    await threadReply(tsOf(alert), 'keel web has recovered');
  });

  it('says when no node can take a service, and does not alert again after Otto restarts', async () => {
    const talk = new Conversation(slack);
    await createService('anchor_web', ['--constraint', 'node.labels.otto-nowhere==yes']);
    const alert = await talk.posted('anchor web is down', 60_000);
    expect(textOf(alert)).toContain('no nodes match constraints');
    expect(textOf(alert)).toContain('node.labels.otto-nowhere==yes');

    expect(await otto.stop()).toBe(0);
    otto = startOtto(ws.config, ws.dir, env());
    await otto.waitForLog('Telemetry is watching');
    await morePolls(4);
    expect(roots('anchor web is down')).toHaveLength(1);

    await docker(bed, ['service', 'rm', 'anchor_web']);
    await threadReply(tsOf(alert), 'anchor web has recovered');
  });

  it('raises one alert when a cluster cannot be reached, and a recovery when it answers again', async () => {
    const talk = new Conversation(slack);
    await reefSshd.kill();
    const alert = await talk.posted("cluster reef can't be reached", 60_000);
    expect(textOf(alert)).toContain('127.0.0.1');
    await morePolls(4);
    expect(roots("cluster reef can't be reached")).toHaveLength(1);
    await reefSshd.restart();
    await threadReply(tsOf(alert), 'cluster reef has recovered');
  });
});
