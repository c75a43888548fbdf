import { afterAll, describe, expect, inject, it } from 'vitest';
import { rows } from '../support/db.js';
import { docker, waitFor } from '../support/testbed.js';
import { webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/** The request number in a reply's `Request: #42 by ...` line. */
function requestId(stdout: string): number {
  const m = /Request: #(\d+) by/.exec(stdout);
  if (!m) throw new Error(`no request in: ${stdout}`);
  return Number(m[1]);
}

describe.skipIf(bed === null)('restart and scale on a real Swarm', () => {
  if (!bed) return;
  const ws = workspace(
    bed,
    {
      hands: {
        compose: {
          services: {
            web: webService(bed.images.v1),
            agent: { image: bed.images.v1, command: ['sleep', '3600'], deploy: { mode: 'global' } },
          },
        },
      },
      'hands-gated': {
        compose: { services: { web: webService(bed.images.v1) } },
        extra: { approvals: { scale: 1 } },
      },
    },
    undefined,
    {
      access: {
        'console:alice': 'deployer',
        'console:bob': 'approver',
        'console:carol': 'approver',
        'console:vera': 'viewer',
      },
    },
  );
  const as = (who: string) => ({ as: `console:${who}` });

  /** The ids of the tasks meant to run now. */
  const runningTasks = async (service: string) =>
    (
      await docker(bed, ['service', 'ps', service, '--filter', 'desired-state=running', '-q'])
    ).stdout
      .split('\n')
      .filter(Boolean);

  /** `hands_web 3/3` as docker service ls shows it, once it does. */
  const replicasShown = (service: string, shown: string) =>
    waitFor(
      `${service} to show ${shown} in docker service ls`,
      async () => {
        const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
        return ls.stdout.split('\n').includes(`${service} ${shown}`);
      },
      120_000,
    );

  const versions = (fleet: string) =>
    rows(ws.dir, `select version from deployments where fleet = '${fleet}'`).length;

  afterAll(async () => {
    for (const s of ['hands', 'hands-gated']) await docker(bed, ['stack', 'rm', s]);
  });

  it('launches the fleets', async () => {
    const r = await ws.say('launch hands', as('alice'));
    expect(r.stdout).toContain('hands v1 is in orbit');
    const g = await ws.say('launch hands-gated', as('alice'));
    expect(g.stdout).toContain('hands-gated v1 is in orbit');
    await replicasShown('hands_web', '2/2');
  });

  it('restarts a service: new tasks, the restart in history, no new version', async () => {
    const before = await runningTasks('hands_web');
    expect(before).toHaveLength(2);
    const r = await ws.say('restart hands web', as('alice'));
    expect(r.stderr).toContain('Restarting hands web: asking the Swarm to replace its tasks...');
    expect(r.stdout).toContain('🔁 Restart complete! hands web runs 2 fresh tasks');
    expect(r.stdout).toContain('No new version: hands stays at v1.');
    expect(r.code).toBe(0);
    const after = await runningTasks('hands_web');
    expect(after).toHaveLength(2);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    expect(versions('hands')).toBe(1);
    const history = await ws.say('history hands', as('vera'));
    expect(history.stdout).toMatch(/🔁 restart web succeeded in [\d.]+ s · console:alice · /);
    expect(history.stdout).toMatch(/🟢 v1 succeeded/);
    expect(rows(ws.dir, 'select * from locks')).toHaveLength(0);
  });

  it('scales a service up and down', async () => {
    const up = await ws.say('scale hands web=3', as('alice'));
    expect(up.stdout).toContain('⚖️ Scale complete! hands web runs 3 replicas, was 2');
    expect(up.code).toBe(0);
    await replicasShown('hands_web', '3/3');
    const down = await ws.say('scale hands web=1', as('alice'));
    expect(down.stdout).toContain('hands web runs 1 replica, was 3');
    await replicasShown('hands_web', '1/1');
    const ops = rows(
      ws.dir,
      "select kind, service, detail, status from operations where fleet = 'hands' order by id",
    );
    expect(ops).toEqual([
      { kind: 'restart', service: 'web', detail: '', status: 'succeeded' },
      { kind: 'scale', service: 'web', detail: 'replicas 2 → 3', status: 'succeeded' },
      { kind: 'scale', service: 'web', detail: 'replicas 3 → 1', status: 'succeeded' },
    ]);
    const history = await ws.say('history hands', as('vera'));
    expect(history.stdout).toMatch(/⚖️ scale web replicas 3 → 1 succeeded in [\d.]+ s/);
    expect(versions('hands')).toBe(1);
  });

  it('refuses to scale a global service', async () => {
    const r = await ws.say('scale hands agent=2', as('alice'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'hands agent is a global service: Swarm runs one task of it on every eligible node, so it has no replica count to scale.',
    );
    expect(rows(ws.dir, "select * from operations where service = 'agent'")).toEqual([]);
  });

  it('refuses while the fleet is locked by someone else', async () => {
    expect((await ws.say('lock hands database migration', as('carol'))).code).toBe(0);
    const r = await ws.say('restart hands web', as('alice'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Fleet hands is locked by console:carol');
    expect(r.stdout).toContain('database migration');
    expect((await ws.say('unlock hands', as('carol'))).code).toBe(0);
    expect(rows(ws.dir, "select count(*) as n from operations where fleet = 'hands'")).toEqual([
      { n: 3 },
    ]);
  });

  it('asks for approval before a scale when the fleet says so; a second person carries it out', async () => {
    const ask = await ws.say('scale hands-gated web=3', as('carol'));
    expect(ask.code).toBe(0);
    expect(ask.stdout).toContain(
      "Scale hands-gated web from 2 to 3 replicas? Needs a flight director's approval.",
    );
    const id = requestId(ask.stdout);
    expect(ask.stdout).toContain(`[Approve: approve ${id}] [Deny: deny ${id}]`);
    const self = await ws.say(`approve ${id}`, as('carol'));
    expect(self.code).toBe(3);
    expect(self.stdout).toContain('so a second person must approve it');
    expect((await runningTasks('hands-gated_web')).length).toBe(2);

    const yes = await ws.say(`approve ${id}`, as('bob'));
    expect(yes.stdout).toContain(
      `✅ Request ${id} approved by console:bob: scale hands-gated web=3.`,
    );
    expect(yes.stdout).toContain('hands-gated web runs 3 replicas, was 2');
    expect(yes.code).toBe(0);
    await replicasShown('hands-gated_web', '3/3');
    expect(
      rows(ws.dir, `select status, scale_service, scale_replicas from approvals where id = ${id}`),
    ).toEqual([{ status: 'approved', scale_service: 'web', scale_replicas: 3 }]);
    expect(
      rows(ws.dir, "select actor, detail, status from operations where fleet = 'hands-gated'"),
    ).toEqual([{ actor: 'console:carol', detail: 'replicas 2 → 3', status: 'succeeded' }]);
    expect(versions('hands-gated')).toBe(1);
  });
});
