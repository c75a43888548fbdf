/**
 * One active Otto per database: two `otto start` on one data_dir, the second a
 * standby that takes over when the first is killed (kill -9: no clean stop, so its
 * lease must run out), with an incident already alerted and a launch in flight.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHAT_SECTIONS } from '../support/chat-config.js';
import { rows } from '../support/db.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { Conversation, textOf, tsOf } from '../support/slack-messages.js';
import { slashPayload, SlackStandin } from '../support/slack-standin.js';
import { until } from '../support/standin-server.js';
import { docker } from '../support/testbed.js';
import { OTTO_BIN, slowStack, TEST_KEY, webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');
const ALERTS = 'C0ALERT';

describe.skipIf(bed === null)('one active Otto per database, and a standby', () => {
  if (!bed) return;
  const slack = new SlackStandin();
  const ws = workspace(
    bed,
    {
      moor: {
        compose: { services: { web: webService(bed.images.v1, { deploy: { replicas: 1 } }) } },
      },
      drift: { compose: slowStack(bed.images.v1), converge_timeout: 600 },
    },
    undefined,
    {
      access: { 'slack:UALICE': 'deployer' },
      slack: CHAT_SECTIONS.slack,
      telemetry: { poll: '2s', grace: '5s', alerts: [`slack:${ALERTS}`] },
    },
  );
  const env = () => ({
    SLACK_BOT_TOKEN: 'xoxb-0000-secret-bot-token',
    SLACK_APP_TOKEN: 'xapp-1-secret-app-token',
    SLACK_API: slack.apiUrl,
    // Every docker call in the log: the test counts the new active one's polls by it.
    OTTO_TRACE: '1',
  });
  let first: OttoProcess;
  let second: OttoProcess | undefined;

  beforeAll(async () => {
    await slack.listen();
    first = startOtto(ws.config, ws.dir, env());
    await first.waitForLog('Telemetry is watching');
    await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
  }, 60_000);

  afterAll(async () => {
    if (second) expect(await second.stop()).toBe(0);
    await slack.close();
    for (const s of ['moor', 'drift']) await docker(bed, ['stack', 'rm', s]);
  });

  const slash = (text: string) =>
    slack.envelope('slash_commands', slashPayload(slack, text, 'UALICE'));
  const alerts = (text: string) =>
    slack
      .callsOf('chat.postMessage')
      .filter(
        (c) => c.args['channel'] === ALERTS && !c.args['thread_ts'] && textOf(c).includes(text),
      );

  it('says who holds the database, and with --no-standby does not wait', async () => {
    const r = await execa(OTTO_BIN, ['start', '--config', ws.config, '--no-standby'], {
      cwd: ws.dir,
      reject: false,
      stdin: 'ignore',
      env: { OTTO_SECRET_KEY: TEST_KEY, ...env() },
      timeout: 60_000,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `Otto on \\S+ \\(pid ${first.pid}\\) holds this database since \\d{4}-\\d\\d-\\d\\dT`,
      ),
    );
    expect(r.stderr).toContain('--no-standby: not waiting.');
    expect(r.stderr).not.toContain('Slack connected');
    // A console beside the active Otto leaves the alerts to it.
    const c = await execa(OTTO_BIN, ['console', '--config', ws.config], {
      cwd: ws.dir,
      reject: false,
      input: '',
      env: { OTTO_SECRET_KEY: TEST_KEY, ...env() },
      timeout: 60_000,
    });
    expect(`${c.stdout}${c.stderr}`).toContain('this console runs without telemetry');
    expect(`${c.stdout}${c.stderr}`).not.toContain('Telemetry is watching');
  });

  it(
    'takes over from an Otto killed with -9: its launch interrupted, its open incident not alerted again',
    async () => {
      second = startOtto(ws.config, ws.dir, env());
      await second.waitForLog('This Otto waits as a standby');
      expect(second.log()).not.toContain('Slack connected');
      const talk = new Conversation(slack);

      // An incident the first one alerted.
      await slash('launch moor');
      await talk.drawn(tsOf(await talk.posted('/otto launch moor')), 'moor v1 is in orbit', 90_000);
      await docker(bed, [
        'service',
        'update',
        '--detach',
        '--args',
        'sh -c "echo moor slipped; exit 3"',
        'moor_web',
      ]);
      await talk.posted('moor web is down', 90_000);
      // A launch that waits for ever.
      await slash('launch drift');
      await talk.drawn(
        tsOf(await talk.posted('/otto launch drift')),
        'Waiting for every service',
        90_000,
      );

      process.kill(first.pid, 'SIGKILL');
      await second.waitForLog('Taking over', 90_000);
      await second.waitForLog('Launch drift v1 was left unfinished by a stopped Otto', 30_000);
      await second.waitForLog('Slack connected', 60_000);
      await until('the new active Otto connects to Slack', () => slack.connected, 60_000);
      expect(rows(ws.dir, "select status from deployments where fleet = 'drift'")).toEqual([
        { status: 'interrupted' },
      ]);
      expect(rows(ws.dir, "select count(*) as n from locks where fleet = 'drift'")).toEqual([
        { n: 0 },
      ]);
      // Several polls of the new active one, with moor still down: no second alert.
      const polls = () => (second!.log().match(/\] docker (-H \S+ )?service ls /g) ?? []).length;
      await until('5 polls by the new active Otto', () => polls() >= 5, 90_000);
      expect(alerts('moor web is down')).toHaveLength(1);
      // And it works: the next launch is its own.
      await docker(bed, [
        'service',
        'update',
        '--detach',
        '--args',
        'httpd -f -p 8080 -h /www',
        'moor_web',
      ]);
      talk.mark();
      await slash('launch moor');
      await talk.drawn(tsOf(await talk.posted('/otto launch moor')), 'moor v2 is in orbit', 90_000);
    },
    10 * 60_000,
  );
});
