import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOutposts, type Outposts } from '../support/outposts.js';
import { startOtto } from '../support/otto-process.js';
import { textOf } from '../support/slack-messages.js';
import { SlackStandin } from '../support/slack-standin.js';
import { waitFor } from '../support/testbed.js';
import { workspace } from '../support/workspace.js';

const bed = inject('testbed');

describe.skipIf(bed === null)('a second, two-node Swarm', () => {
  if (!bed) return;
  let outposts: Outposts;
  const slack = new SlackStandin();

  beforeAll(async () => {
    outposts = await startOutposts();
    await slack.listen();
  }, 240_000);

  /** A local-style cluster pointed at the two-node Swarm's manager. */
  const onOutposts = () => ({ outposts: { local: true, docker_host: outposts.manager } });

  afterAll(async () => {
    await slack.close();
    await outposts?.stop();
  }, 120_000);

  it('says how to create traefik-public when a cluster has none', async () => {
    const ws = workspace(
      bed,
      {
        routed: {
          compose: {
            services: {
              web: {
                image: 'otto-test:v1',
                command: ['sleep', '3600'],
                'x-otternauts': { domains: ['a.example.test'], port: 80 },
              },
            },
          },
        },
      },
      onOutposts(),
    );
    const r = await ws.say('launch routed');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('The traefik-public network is missing on this cluster');
    expect(r.stdout).toContain(
      'docker network create --driver overlay --attachable traefik-public',
    );
  });

  it('logs says the transmissions are incomplete and names the node, with the lines it still has', async () => {
    const ws = workspace(
      bed,
      {
        far: {
          compose: {
            services: {
              app: {
                image: 'otto-test:v1',
                command: ['sh', '-c', 'echo hello from outpost two; sleep 3600'],
                deploy: { placement: { constraints: ['node.labels.otto.outpost==two'] } },
              },
              near: {
                image: 'otto-test:v1',
                command: ['sh', '-c', 'echo hello from mission control; sleep 3600'],
                deploy: { placement: { constraints: ['node.role==manager'] } },
              },
            },
          },
        },
      },
      onOutposts(),
      {
        slack: {
          mode: 'socket',
          bot_token: 'xoxb-far',
          app_token: 'xapp-far',
          api_url: slack.apiUrl,
        },
        telemetry: { poll: '2s', grace: '5s', alerts: ['slack:C0FAR'] },
      },
    );
    const launch = await ws.say('launch far');
    expect(launch.stdout).toContain('far v1 is in orbit');
    let before = await ws.say('logs far');
    await waitFor(
      'the greeting from outpost two in the logs',
      async () => (before = await ws.say('logs far')).stdout.includes('hello from outpost two'),
      60_000,
    );
    expect(before.stdout).toContain('hello from outpost two');
    expect(before.stdout).not.toContain('missing');

    // Telemetry watches the two-node Swarm (a local cluster: docker events through execa).
    const otto = startOtto(ws.config, ws.dir);
    await otto.waitForLog('Telemetry is watching 1 cluster');
    await outposts.partitionWorker();
    const after = await ws.say('logs far');
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain('Some transmissions are missing');
    // Docker either names the node at once, or (cut off, not crashed) waits on it:
    // Otto then stops waiting after 10 s and says so.
    expect(after.stdout).toMatch(
      new RegExp(`node ${outposts.workerNodeId} is down|logs of app did not finish within 10 s`),
    );
    expect(after.stdout).toContain('hello from mission control');

    // The node is down for the managers: one alert for it, with what to check.
    const alert = await slack.waitFor(
      (c) => c.method === 'chat.postMessage' && /node \S+ is down/.test(textOf(c)),
      'the node alert',
      120_000,
    );
    expect(alert.args['channel']).toBe('C0FAR');
    expect(textOf(alert)).toContain('the managers see it as Down');
    expect(textOf(alert)).toContain('check the machine and its Docker engine');
    expect(await otto.stop()).toBe(0);
  }, 300_000);
});
