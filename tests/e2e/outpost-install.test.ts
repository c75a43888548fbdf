import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { INGRESS_SERVICE, INGRESS_STACK } from '../../src/swarm/ingress.js';
import { makeIngressStandin } from '../support/outpost-images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { ensureRootfsCache, type RootfsNode, startRootfsNode } from '../support/rootfs-node.js';
import { docker, freePort, makeImages, waitFor } from '../support/testbed.js';
import { type SayResult, webService, type Workspace, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/**
 * From a bare server to a fleet with `domains` launched, through `otto outpost add`
 * alone: a bare Debian 12 server (tests/support/rootfs-node.ts: a debootstrap root
 * filesystem in namespaces of its own, with sshd, a user with passwordless sudo, no
 * Docker and no systemd) becomes the first manager of a cluster. Otto installs
 * docker.io from Debian's packages (through an apt proxy to the mirror), starts the
 * engine with Debian's init script, adds the user to the docker group, logs in again,
 * creates the Swarm and deploys the ingress; then `launch` puts a fleet with domains
 * behind it and `doctor` checks the server and the ingress.
 *
 * No registry outside is reachable here, so the server pulls the ingress's stand-in
 * (tests/support/outpost-images.ts) and the fleet's image from a real registry
 * (Debian's docker-registry) on its own 127.0.0.1, the way a server pulls from any
 * registry: the images are pushed from the test engine into the registry's storage
 * before the server exists.
 */
describe.skipIf(bed === null)('outpost add: a bare Debian server to a launched fleet', () => {
  if (!bed) return;
  const ACME_EMAIL = 'ops@example.com';
  const SERVICE = `${INGRESS_STACK}_${INGRESS_SERVICE}`;
  let node: RootfsNode | undefined;
  let registry: TestRegistry | undefined;
  let ws: Workspace;
  /** The registry's storage, filled from the test engine, served on the server. */
  const storage = mkdtempSync(join(tmpdir(), 'otto-install-images-'));
  let registryHost = '';
  let ingressImage = '';
  /** The Swarm node id Otto reported. */
  let nodeId = '';

  beforeAll(async () => {
    // Once per machine: debootstrap (about a minute; more on a slow mirror).
    await ensureRootfsCache();
  }, 25 * 60_000);

  beforeAll(async () => {
    // The images, pushed from the test engine into a registry's storage: the same
    // storage is served later on the server's own 127.0.0.1, at the same address.
    registryHost = `127.0.0.1:${await freePort()}`;
    ingressImage = `${registryHost}/otto/traefik-standin:v3`;
    const webImage = `${registryHost}/otto/web:v1`;
    const push = await startRegistry(bed, undefined, {
      storage: join(storage, 'registry'),
      host: registryHost,
    });
    try {
      await makeIngressStandin(storage, [bed.dockerHost], ingressImage);
      const images = await makeImages(mkdtempSync(join(storage, 'web-')), [bed.dockerHost]);
      expect((await docker(bed, ['tag', images.v1, webImage])).exitCode).toBe(0);
      for (const image of [ingressImage, webImage]) {
        const r = await docker(bed, ['push', image]);
        expect(r.exitCode, r.stderr).toBe(0);
        await docker(bed, ['rmi', image]);
      }
    } finally {
      push.stop();
    }

    node = await startRootfsNode();
    registry = await startRegistry({ netns: node.netns }, undefined, {
      storage: join(storage, 'registry'),
      host: registryHost,
    });
    ws = workspace(
      bed,
      {
        harbor: {
          cluster: 'bare',
          compose: {
            services: {
              web: webService(webImage, {
                'x-otternauts': { domains: ['harbor.example.test'], port: 8080 },
              }),
            },
          },
        },
      },
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
          ingress: { acme_email: ACME_EMAIL, image: ingressImage },
        },
      },
    );
  }, 300_000);

  afterAll(async () => {
    try {
      registry?.stop();
      await node?.stop();
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
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

  it("a failed install (the mirror down) shows the installer's last lines and the fix; nothing is left", async () => {
    const n = node!;
    n.setMirrorDown(true);
    try {
      const r = await ws.otto(['outpost', 'add', 'bare', n.ip, '--yes', '--as', 'console:ops']);
      expect(r.code, r.stdout + r.stderr).not.toBe(0);
      expect(r.stdout.split('\n')[0], r.stdout).toBe(
        `Otto stopped setting up ${n.ip} at install: Docker installation failed. Check server logs for details (the installer exited with 100; its last lines are below). (apt-get install docker.io)`,
      );
      const lines = r.stdout.split('\n').map((l) => l.trim());
      expect(lines, r.stdout).toContain(
        '→ Fix what the last lines show (often: apt cannot reach its mirrors; sudo apt-get update says more), then run outpost add again to retry.',
      );
      // apt's own last lines: the index could not be fetched, so no docker.io.
      expect(lines).toContain('| E: Unable to locate package docker.io');
      expect(n.proxied.some((l) => / 503$/.test(l))).toBe(true);
    } finally {
      n.setMirrorDown(false);
    }
    // Nothing half-done: no package, no outpost recorded (doctor finds none).
    expect((await n.exec(['dpkg-query', '-W', 'docker.io'])).exitCode).toBe(1);
    const list = await ws.otto(['outpost', 'list', 'bare', '--as', 'console:ops']);
    expect(list.stdout, list.stdout).not.toContain(n.ip);
  }, 300_000);

  it('outpost add installs docker.io, starts the engine and creates the Swarm', async () => {
    const n = node!;
    const since = n.proxied.length;
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
      `✅ Ingress deployed: ${ingressImage} on traefik-public, ports 80 and 443, certificates from Let's Encrypt for ${ACME_EMAIL}.`,
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
    const proxied = n.proxied.slice(since);
    expect(
      proxied.some((l) => /\/pool\/main\/d\/docker\.io\/docker\.io_\S+\.deb 200$/.test(l)),
    ).toBe(true);
    expect(proxied.filter((l) => !/ 200$/.test(l))).toEqual([]);

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
      '✅ The ingress of bare runs already.',
      `✅ ${n.ip} is an outpost of bare (manager, node ${nodeId}).`,
    ]);
  }, 120_000);
  /** `docker …` on the server, as its user (in the docker group now). */
  const onServer = (args: string) =>
    node!.exec(['su', '-s', '/bin/sh', '-c', `docker ${args}`, node!.user]);

  it('the ingress runs on the server: pulled from the registry, on traefik-public', async () => {
    let ps = '';
    await waitFor(
      'the ingress task running on the server',
      async () => {
        ps = (
          await onServer(
            `service ps ${SERVICE} --filter desired-state=running --format '{{.CurrentState}} {{.Error}}'`,
          )
        ).stdout.trim();
        return ps.startsWith('Running');
      },
      180_000,
    ).catch(async (e: Error) => {
      const all = await onServer(`service ps --no-trunc ${SERVICE}`);
      throw new Error(`${e.message}:\n${all.stdout}${all.stderr}`);
    });
    const spec = JSON.parse(
      (await onServer(`service inspect ${SERVICE} --format '{{json .Spec}}'`)).stdout,
    ) as { TaskTemplate: { ContainerSpec: { Image: string } } };
    // Pinned to the digest the server's engine read from the registry.
    expect(spec.TaskTemplate.ContainerSpec.Image).toMatch(
      new RegExp(`^${ingressImage}@sha256:[0-9a-f]{64}$`),
    );
    const net = (
      await onServer("network inspect traefik-public --format '{{.Driver}} {{.Attachable}}'")
    ).stdout.trim();
    expect(net).toBe('overlay true');
  }, 240_000);

  it('a fleet with domains launches behind the ingress', async () => {
    const r = await ws.say('launch harbor');
    expect(r.stdout, r.stderr).toContain('Launch successful! harbor v1 is in orbit');
    expect(r.code).toBe(0);
    const ls = await onServer("service ls --format '{{.Name}} {{.Replicas}}'");
    expect(ls.stdout).toContain('harbor_web 2/2');
    const spec = JSON.parse(
      (await onServer("service inspect harbor_web --format '{{json .Spec}}'")).stdout,
    ) as { Labels: Record<string, string>; TaskTemplate: { Networks: { Target: string }[] } };
    expect(spec.Labels['traefik.http.routers.harbor-web.rule']).toBe('Host(`harbor.example.test`)');
    expect(spec.Labels['traefik.http.routers.harbor-web.tls.certresolver']).toBe('letsencrypt');
    const traefikId = (
      await onServer("network inspect traefik-public --format '{{.Id}}'")
    ).stdout.trim();
    expect(spec.TaskTemplate.Networks.map((n) => n.Target)).toContain(traefikId);
  }, 300_000);

  it('doctor checks the server again and the ingress, and finds nothing to fix', async () => {
    const n = node!;
    const r = await ws.otto(['doctor', 'bare', '--as', 'console:ops']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('🩺 Every outpost and ingress checked: nothing to fix.');
    const lines = r.stdout.split('\n').map((l) => l.trim());
    expect(lines, r.stdout).toContain(`bare · ${n.ip}:22 (manager):`);
    expect(lines).toContain('bare · ingress of bare:');
    expect(steps(r)).toEqual([
      `✅ Logged in as ${n.user}@${n.ip}.`,
      `✅ Passwordless sudo works for ${n.user}.`,
      '✅ Debian GNU/Linux 12 (bookworm): supported.',
      expect.stringMatching(
        /^⚠️ Docker 20\.10\.\S+ works, but is older than 24\.0, the version Otto recommends\./,
      ),
      expect.stringMatching(
        /^✅ Free disk at \/var\/lib\/docker: [\d.]+ GB \(at least 5\.0 GB needed\)\.$/,
      ),
      expect.stringMatching(new RegExp(`^✅ Running: ${ingressImage}@sha256:[0-9a-f]{64}\\.$`)),
      `✅ Let's Encrypt account: ${ACME_EMAIL}.`,
    ]);
  }, 120_000);
  it('doctor names a stopped ingress, with the command that shows why', async () => {
    const scaled = await onServer(`service scale --detach ${SERVICE}=0`);
    expect(scaled.exitCode, scaled.stderr).toBe(0);
    let r: SayResult | undefined;
    await waitFor(
      'doctor to see no replica running',
      async () => {
        r = await ws.otto(['doctor', 'bare', '--as', 'console:ops']);
        return r.code !== 0;
      },
      120_000,
    );
    expect(r!.stdout.split('\n')[0]).toMatch(/^🩺 Otto found something to fix/);
    const lines = r!.stdout.split('\n').map((l) => l.trim());
    const at = lines.findIndex((l) => l.startsWith('❌ Deployed ('));
    expect(lines[at], r!.stdout).toMatch(
      new RegExp(`^❌ Deployed \\(${ingressImage}@sha256:[0-9a-f]{64}\\), but no replica runs\\.$`),
    );
    expect(lines[at + 1]).toBe(
      `→ See why with: docker service ps --no-trunc ${SERVICE} on a manager.`,
    );
  }, 180_000);
});
