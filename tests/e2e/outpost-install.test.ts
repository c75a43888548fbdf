import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureRootfsCache, type RootfsNode, startRootfsNode } from '../support/rootfs-node.js';
import { waitFor } from '../support/testbed.js';
import { type SayResult, type Workspace, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/**
 * The Docker install path of `otto outpost add`, for real: a bare Debian 12 server
 * (tests/support/rootfs-node.ts: a debootstrap root filesystem in namespaces of its
 * own, with sshd, a user with passwordless sudo, no Docker and no systemd) becomes
 * the first manager of a cluster: Otto installs docker.io from Debian's packages
 * (through an apt proxy to the mirror), starts the engine with Debian's init script,
 * adds the user to the docker group, logs in again, creates the Swarm. The ingress is
 * disabled for this cluster (the outposts suite deploys it on engines of its own).
 */
describe.skipIf(bed === null)('outpost add installs Docker on a bare Debian server', () => {
  if (!bed) return;
  let node: RootfsNode | undefined;
  let ws: Workspace;
  /** The Swarm node id Otto reported. */
  let nodeId = '';

  beforeAll(async () => {
    // Once per machine: debootstrap (about a minute; more on a slow mirror).
    await ensureRootfsCache();
  }, 25 * 60_000);

  beforeAll(async () => {
    node = await startRootfsNode();
    ws = workspace(
      bed,
      {},
      {
        bare: {
          managers: [
            {
              host: node.ip,
              port: node.sshPort,
              user: node.user,
              private_key_file: node.keyFile,
              host_key: node.hostFingerprint,
            },
          ],
          ingress: { enabled: false },
        },
      },
    );
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
  }, 120_000);

  /** The step lines of a reply (✅, ⚠️, ❌), in order, without their indent. */
  const steps = (r: SayResult) =>
    r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^(✅|⚠️|❌)/.test(l));

  it('the server starts bare: no docker, no dockerd, no docker group', async () => {
    const n = node!;
    expect(
      (await n.exec(['sh', '-c', 'command -v docker || command -v dockerd'])).exitCode,
    ).not.toBe(0);
    expect((await n.exec(['dpkg-query', '-W', 'docker.io'])).exitCode).toBe(1);
    expect((await n.exec(['getent', 'group', 'docker'])).exitCode).toBe(2);
    expect((await n.exec(['test', '-d', '/run/systemd/system'])).exitCode).toBe(1);
  });

  it('outpost add installs docker.io, starts the engine and creates the Swarm', async () => {
    const n = node!;
    const r = await ws.otto(['outpost', 'add', 'bare', n.ip, '--yes', '--as', 'console:ops']);
    const why = `${r.stdout}\n${r.stderr}\n--- apt through the proxy:\n${n.proxied.join('\n')}`;
    expect(r.code, why).toBe(0);
    const id = /created its Swarm \(node (\w+)\)/.exec(r.stdout)?.[1] ?? '';
    expect(id, why).toMatch(/^\w{25}$/);
    nodeId = id;
    expect(r.stdout.split('\n')[0]).toBe(
      `🛰️ Outpost ${n.ip} is part of bare: it created its Swarm (node ${id}).`,
    );
    expect(steps(r), why).toEqual([
      `✅ Host key of ${n.ip}:22: ${n.hostFingerprint}.`,
      `✅ Key authentication works for ${n.user}@${n.ip}.`,
      `✅ Passwordless sudo works for ${n.user}.`,
      '✅ Debian GNU/Linux 12 (bookworm): supported.',
      "✅ Docker is not installed yet: Otto will install docker.io from the distribution's packages.",
      expect.stringMatching(
        /^✅ Free disk at \/var\/lib: [\d.]+ GB \(at least 5\.0 GB needed\)\.$/,
      ),
      '✅ Docker installed from the distribution’s packages.',
      `✅ Created the Swarm of bare on ${n.ip} (advertising ${n.ip}).`,
      '✅ Ingress is disabled for bare (ingress.enabled: false): Otto deploys no Traefik.',
      `✅ ${n.ip} is an outpost of bare (manager, node ${id}).`,
    ]);
    // The install's steps were shown as they went (on stderr), the init script's
    // start among them: this server runs no systemd.
    for (const step of [
      'apt-get update',
      'apt-get install docker.io',
      'service docker start',
      `usermod -aG docker ${n.user}`,
    ])
      expect(r.stderr, why).toContain(`Installing Docker: ${step}...`);
    expect(r.stderr).not.toContain('systemctl');

    // Debian's own package, from the mirror (through the proxy), not another source.
    const pkg = await n.exec(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'docker.io']);
    expect(pkg.stdout).toMatch(/^install ok installed 20\.10\.\d+\+dfsg/);
    expect(
      n.proxied.some((l) => /\/pool\/main\/d\/docker\.io\/docker\.io_\S+\.deb 200$/.test(l)),
    ).toBe(true);
    expect(n.proxied.filter((l) => !/ 200$/.test(l))).toEqual([]);

    // The engine answers, on the server, its user in the docker group; the Swarm is active.
    expect((await n.exec(['id', '-nG', n.user])).stdout.split(' ').map((g) => g.trim())).toContain(
      'docker',
    );
    const asUser = (args: string) =>
      n.exec(['su', '-s', '/bin/sh', '-c', `docker ${args}`, n.user]);
    let info = '';
    await waitFor(
      'the engine answering the user',
      async () => {
        const a = await asUser(
          "info --format '{{.ServerVersion}} {{.Swarm.LocalNodeState}} {{.Swarm.NodeID}} {{.Swarm.ControlAvailable}}'",
        );
        info = `${a.stdout}${a.stderr}`.trim();
        return a.exitCode === 0;
      },
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${info}`);
    });
    expect(info).toMatch(new RegExp(`^20\\.10\\.\\d+\\S* active ${id} true$`));
    // Started by Debian's init script (start-stop-daemon's pidfile), not by this test.
    expect((await n.exec(['test', '-s', '/var/run/docker-ssd.pid'])).exitCode).toBe(0);
  }, 300_000);

  // --role manager: without it, a cluster with outposts defaults to worker, and Otto
  // records the manager it finds as a worker (reported, not asserted here).
  it('outpost add again finds the node in the Swarm and changes nothing', async () => {
    const n = node!;
    const r = await ws.otto([
      ...['outpost', 'add', 'bare', n.ip, '--role', 'manager'],
      ...['--yes', '--as', 'console:ops'],
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      `🛰️ Outpost ${n.ip} is part of bare: it was in its Swarm already (node ${nodeId}).`,
    );
    expect(r.stderr).not.toContain('Installing Docker');
    expect(steps(r)).toEqual([
      `✅ Host key of ${n.ip}:22: ${n.hostFingerprint}.`,
      `✅ Key authentication works for ${n.user}@${n.ip}.`,
      `✅ Passwordless sudo works for ${n.user}.`,
      '✅ Debian GNU/Linux 12 (bookworm): supported.',
      expect.stringMatching(
        /^⚠️ Docker 20\.10\.\S+ works, but is older than 24\.0, the version Otto recommends\./,
      ),
      expect.stringMatching(
        /^✅ Free disk at \/var\/lib\/docker: [\d.]+ GB \(at least 5\.0 GB needed\)\.$/,
      ),
      `✅ Already part of this Swarm as a manager (node ${nodeId}): nothing to change.`,
      '✅ Ingress is disabled for bare (ingress.enabled: false): Otto deploys no Traefik.',
      `✅ ${n.ip} is an outpost of bare (manager, node ${nodeId}).`,
    ]);
  }, 120_000);
});
