import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { rows } from '../support/db.js';
import { docker } from '../support/testbed.js';
import { sshCluster, webService, workspace, type Workspace } from '../support/workspace.js';

const bed = inject('testbed');

// `launch <fleet> --dry-run` and `otto render` against the real Swarm over SSH: the
// manager's own `docker stack config` judges the rendered file, and nothing is
// locked, launched or recorded (only the audit line of the read).

const SECRET = 's3cr3t-dry-$HOME-value';

describe.skipIf(bed === null)('launch --dry-run and otto render', () => {
  if (!bed) return;
  const scout = (image: string) => ({
    services: { web: webService(image, { environment: { API_KEY: '${API_KEY}' } }) },
  });
  // Otto renders it (an unknown key is passed through); Docker's schema refuses it.
  const oddball = { services: { web: { image: bed.images.v1, imagee: 'x' } } };
  const access = { access: { 'console:tester': 'admin', 'console:vera': 'viewer' } };
  let ws: Workspace;

  /** What a launch leaves behind, per table. */
  const traces = () =>
    Object.fromEntries(
      ['deployments', 'locks', 'approvals'].map((t) => [
        t,
        rows(ws.dir, `select * from ${t}`).length,
      ]),
    );

  beforeAll(async () => {
    ws = workspace(
      bed,
      { scout: { compose: scout(bed.images.v1) }, oddball: { compose: oddball } },
      { swarm: sshCluster(bed) },
      access,
    );
    const set = await ws.otto(
      ['secret', 'set', 'scout', 'API_KEY', '--as', 'console:tester'],
      SECRET,
    );
    expect(set.code, set.stdout).toBe(0);
    const launched = await ws.say('launch scout');
    expect(launched.code, launched.stdout).toBe(0);
    ws.writeStack('scout', scout(bed.images.v2));
  });
  afterAll(async () => {
    await docker(bed, ['stack', 'rm', 'scout']);
  });

  it('shows a viewer the rendered file, masked, the changes, and that Docker accepts it', async () => {
    const before = traces();
    const r = await ws.say('launch scout --dry-run', { as: 'console:vera' });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('Dry run of launch scout: Otto renders stacks/scout.yml and');
    expect(r.stdout).toContain('Docker accepts it');
    expect(r.stdout).toContain('Nothing was locked, deployed or recorded.');
    expect(r.stdout).toContain('API_KEY: ••••••(API_KEY)');
    expect(r.stdout).toContain('Changes from scout v1 (running, succeeded) to stacks/scout.yml');
    expect(r.stdout).toContain(`-    image: ${bed.images.v1}`);
    expect(r.stdout).toContain(`+    image: ${bed.images.v2}`);
    expect(`${r.stdout}${r.stderr}`).not.toContain('s3cr3t');
    expect(traces()).toEqual(before);
    // Nothing reached the Swarm: the service still runs v1.
    const image = await docker(bed, [
      'service',
      'inspect',
      'scout_web',
      '--format',
      '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
    ]);
    expect(image.stdout).toContain(bed.images.v1);
    // A viewer may not launch.
    const launch = await ws.say('launch scout', { as: 'console:vera' });
    expect(launch.code).toBe(3);
    expect(launch.stdout).toContain('needs the deployer role');
    const audit = rows(ws.dir, "select command, outcome from audit where fleet = 'scout'");
    expect(audit).toContainEqual({ command: 'launch scout --dry-run', outcome: 'ok' });
  });

  it("shows Docker's refusal of a file Otto renders, and records nothing", async () => {
    const r = await ws.say('launch oddball --dry-run');
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toContain('but Docker refuses it');
    expect(r.stdout).toContain('Additional property imagee is not allowed');
    expect(r.stdout).toContain('imagee: x');
    expect(rows(ws.dir, "select * from deployments where fleet = 'oddball'")).toEqual([]);
    expect(rows(ws.dir, 'select * from locks')).toEqual([]);
  });

  it('otto render prints clean YAML on stdout, the changes and the verdict on stderr', async () => {
    const before = traces();
    const r = await ws.otto(['render', 'scout', '--as', 'console:vera']);
    expect(r.code, r.stderr).toBe(0);
    const file = parse(r.stdout) as {
      services: { web: { image: string; environment: Record<string, string> } };
    };
    expect(file.services.web.image).toBe(bed.images.v2);
    expect(file.services.web.environment['API_KEY']).toBe('••••••(API_KEY)');
    expect(r.stderr).toContain('Changes from scout v1 (running, succeeded) to stacks/scout.yml');
    expect(r.stderr).toContain('Docker accepts it');
    expect(`${r.stdout}${r.stderr}`).not.toContain('s3cr3t');
    const refused = await ws.otto(['render', 'oddball', '--as', 'console:tester']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Additional property imagee is not allowed');
    expect(parse(refused.stdout)).toMatchObject({ services: { web: { imagee: 'x' } } });
    expect(traces()).toEqual(before);
  });

  it('renders offline without reaching the cluster, and says when it cannot be reached', async () => {
    const away = workspace(
      bed,
      { scout: { compose: scout(bed.images.v2) } },
      { swarm: sshCluster(bed, { port: bed.closedPort }) },
    );
    expect((await away.otto(['secret', 'set', 'scout', 'API_KEY'], SECRET)).code).toBe(0);
    const offline = await away.otto(['render', 'scout', '--offline']);
    expect(offline.code, offline.stderr).toBe(0);
    expect(parse(offline.stdout)).toMatchObject({
      services: { web: { image: bed.images.v2, environment: { API_KEY: '••••••(API_KEY)' } } },
    });
    expect(offline.stderr).toContain('offline: Docker was not asked');
    const online = await away.otto(['render', 'scout']);
    expect(online.code).toBe(1);
    expect(online.stderr).toContain('could not reach the manager');
    expect(parse(online.stdout)).toMatchObject({ services: { web: { image: bed.images.v2 } } });
    const chat = await away.say('launch scout --dry-run');
    expect(chat.code).toBe(1);
    expect(chat.stdout).toContain('the render is still shown');
    expect(chat.stdout).toContain('API_KEY: ••••••(API_KEY)');
    expect(rows(away.dir, 'select * from deployments')).toEqual([]);
  });
});
