import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOutposts, type Outposts } from '../support/outposts.js';
import { workspace } from '../support/workspace.js';

const bed = inject('testbed');

describe.skipIf(bed === null)('a second, two-node Swarm', () => {
  if (!bed) return;
  let outposts: Outposts;

  beforeAll(async () => {
    outposts = await startOutposts();
  }, 240_000);

  /** A local-style cluster pointed at the two-node Swarm's manager. */
  const onOutposts = () => ({ outposts: { local: true, docker_host: outposts.manager } });

  afterAll(async () => {
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
    );
    const launch = await ws.say('launch far');
    expect(launch.stdout).toContain('far v1 is in orbit');
    await new Promise((r) => setTimeout(r, 1000));
    const before = await ws.say('logs far');
    expect(before.stdout).toContain('hello from outpost two');
    expect(before.stdout).not.toContain('missing');

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
  }, 240_000);
});
