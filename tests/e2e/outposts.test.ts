import Database from 'better-sqlite3';
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { INGRESS_SERVICE, INGRESS_STACK, traefikArgs } from '../../src/swarm/ingress.js';
import { type Nodes, startNodes, type TestNode } from '../support/nodes.js';
import {
  ensureDockerSocketPath,
  INGRESS_STANDIN,
  makeIngressStandin,
} from '../support/outpost-images.js';
import { makeImages, waitFor } from '../support/testbed.js';
import { type SayResult, webService, type Workspace, workspace } from '../support/workspace.js';

const bed = inject('testbed');

/**
 * `otto outpost add` from the command line, on bare nodes (tests/support/nodes.ts:
 * network namespaces with their own sshd, user, sudoers entry and dockerd, not in a
 * Swarm): a first manager (Swarm created, ingress deployed), a worker (joined), the
 * list, a launch with domains; then seed 001's onboarding failures, each with its
 * message and fix. The Docker install can't run on these nodes (they share this
 * machine's filesystem and package database): outpost-install.test.ts runs it on a
 * Debian root filesystem of its own.
 */
describe.skipIf(bed === null)('outposts: from bare nodes to a launched fleet', () => {
  if (!bed) return;
  const ACME_EMAIL = 'ops@example.com';
  const SERVICE = `${INGRESS_STACK}_${INGRESS_SERVICE}`;
  let nodes: Nodes | undefined;
  /** one: first manager; two: worker; three: spare (failures, then the closed port);
   * noSudo: sudo asks a password; small: a 64 MiB data root; stranger: in a Swarm of its own. */
  let one: TestNode, two: TestNode, three: TestNode, noSudo: TestNode, small: TestNode;
  let stranger: TestNode;
  let ws: Workspace;
  let undoSocket: () => Promise<void> = async () => {};
  /** The Swarm node ids Otto reported, by node name. */
  const nodeIds = new Map<string, string>();

  beforeAll(async () => {
    nodes = await startNodes([{}, {}, {}, { sudo: 'password' }, { diskMb: 64 }, {}]);
    [one, two, three, noSudo, small, stranger] = nodes.nodes as [
      TestNode,
      TestNode,
      TestNode,
      TestNode,
      TestNode,
      TestNode,
    ];
    // Images no registry gives here: the ingress's stand-in on the node that runs it
    // (a manager), and the fleet's image where its tasks may land.
    await makeIngressStandin(nodes.dir, [one.dockerHost]);
    const images = await makeImages(nodes.dir, [one.dockerHost, two.dockerHost]);
    undoSocket = await ensureDockerSocketPath();
    ws = workspace(
      bed,
      {
        harbor: {
          cluster: 'edge',
          compose: {
            services: {
              web: webService(images.v1, {
                'x-otternauts': { domains: ['harbor.example.test'], port: 8080 },
              }),
            },
          },
        },
      },
      {
        edge: {
          managers: [
            {
              host: one.ip,
              port: 22,
              user: one.user,
              private_key_file: one.keyFile,
              host_key: one.hostFingerprint,
            },
          ],
          ingress: { acme_email: ACME_EMAIL, image: INGRESS_STANDIN },
        },
      },
    );
  }, 300_000);

  afterAll(async () => {
    try {
      // The stacks first (bounded: a stuck engine must not keep the nodes up).
      if (one)
        await execa('docker', ['-H', one.dockerHost, 'stack', 'rm', 'harbor', INGRESS_STACK], {
          reject: false,
          timeout: 30_000,
        });
    } finally {
      await nodes?.stop();
      await undoSocket();
    }
  }, 180_000);

  /** `otto outpost …` as console:ops. */
  const outpost = (...args: string[]) => ws.otto(['outpost', ...args, '--as', 'console:ops']);
  /** Log in as `node`'s own user with its own key. */
  const login = (node: TestNode) => ['--user', node.user, '--key', node.keyFile];
  /** The step lines of a reply (✅, ⚠️, ❌), in order, without their indent. */
  const steps = (r: SayResult) =>
    r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^(✅|⚠️|❌)/.test(l));
  const expectSteps = (r: SayResult, expected: readonly (string | RegExp)[]) => {
    const got = steps(r);
    expect(got, r.stdout + r.stderr).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      if (typeof e === 'string') expect(got[i], r.stdout).toBe(e);
      else expect(got[i], r.stdout).toMatch(e);
    });
  };

  /** A node's Docker, from this machine: `docker info` fields. */
  const swarmState = async (node: TestNode) =>
    (
      await node.docker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}'])
    ).stdout.trim();

  interface Row {
    cluster: string;
    host: string;
    port: number;
    user: string;
    key_file: string;
    role: string;
    fingerprint: string;
    node_id: string | null;
    added_at: string;
    added_by: string;
  }
  const db = () => join(ws.dir, 'data', 'otto.db');
  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    if (!existsSync(db())) return [];
    const d = new Database(db(), { readonly: true });
    try {
      return d.prepare(sql).all(...params) as T[];
    } finally {
      d.close();
    }
  };
  const outposts = () => query<Row>('select * from outposts order by added_at, host');
  const hostKeys = (host: string) =>
    query<{ fingerprint: string }>('select fingerprint from host_keys where host = ?', host);
  const logins = (node: TestNode) =>
    readFileSync(node.sshdLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`Accepted publickey for ${node.user}`));
  const preflight = (node: TestNode) => [
    `✅ Key authentication works for ${node.user}@${node.ip}.`,
    `✅ Passwordless sudo works for ${node.user}.`,
    /^(✅|⚠️) .*(supported|is not one Otto is tested on)/,
    /^(✅ Docker \S+ is running\.|⚠️ Docker \S+ works, but is older than 24\.0)/,
    new RegExp(`^✅ Free disk at ${node.dataRoot}: [\\d.]+ GB \\(at least 5\\.0 GB needed\\)\\.$`),
  ];

  describe('a first manager, a worker, the list, a launch with domains', () => {
    it('outpost add on a bare node creates the Swarm and deploys the ingress', async () => {
      const r = await outpost('add', 'edge', one.ip, '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const id = /created its Swarm \(node (\w+)\)/.exec(r.stdout)?.[1] ?? '';
      expect(r.stdout.split('\n')[0]).toBe(
        `🛰️ Outpost ${one.ip} is part of edge: it created its Swarm (node ${id}).`,
      );
      nodeIds.set(one.name, id);
      expectSteps(r, [
        `✅ Host key of ${one.ip}:22: ${one.hostFingerprint}.`,
        ...preflight(one),
        `✅ Created the Swarm of edge on ${one.ip} (advertising ${one.ip}).`,
        `✅ Ingress deployed: ${INGRESS_STANDIN} on traefik-public, ports 80 and 443, certificates from Let's Encrypt for ${ACME_EMAIL}.`,
        `✅ ${one.ip} is an outpost of edge (manager, node ${id}).`,
      ]);
      // The steps are shown as they go, too (on stderr).
      expect(r.stderr).toContain(`Setting up ${one.ip} as a manager of edge:`);

      expect(await swarmState(one)).toBe(`active ${id}`);
      const net = JSON.parse(
        (await one.docker(['network', 'inspect', 'traefik-public', '--format', '{{json .}}']))
          .stdout,
      ) as { Id: string; Driver: string; Scope: string; Attachable: boolean };
      expect(net).toMatchObject({ Driver: 'overlay', Scope: 'swarm', Attachable: true });

      const inspect = await one.docker(['service', 'inspect', SERVICE, '--format', '{{json .}}']);
      expect(inspect.exitCode, inspect.stderr).toBe(0);
      const spec = (JSON.parse(inspect.stdout) as { Spec: ServiceSpec }).Spec;
      const task = spec.TaskTemplate;
      expect(task.ContainerSpec.Image).toMatch(new RegExp(`^${INGRESS_STANDIN}(@sha256:|$)`));
      expect(task.ContainerSpec.Args).toEqual(
        traefikArgs({
          enabled: true,
          acmeEmail: ACME_EMAIL,
          image: INGRESS_STANDIN,
          extraArgs: [],
        }),
      );
      expect(task.ContainerSpec.Command ?? []).toEqual([]);
      expect(spec.EndpointSpec.Ports).toEqual([
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 80, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 443, PublishedPort: 443, PublishMode: 'ingress' },
      ]);
      expect(task.ContainerSpec.Mounts).toEqual([
        {
          Type: 'bind',
          Source: '/var/run/docker.sock',
          Target: '/var/run/docker.sock',
          ReadOnly: true,
        },
        expect.objectContaining({
          Type: 'volume',
          Source: `${INGRESS_STACK}_traefik-acme`,
          Target: '/acme',
        }),
      ]);
      expect(task.Networks.map((n) => n.Target)).toEqual([net.Id]);
      expect(task.Placement.Constraints).toEqual(['node.role == manager']);
      expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });

      // It runs: one task, on the manager, up (the stand-in took Traefik's arguments).
      let ps = '';
      await waitFor(
        'the ingress task running',
        async () => {
          ps = (
            await one.docker([
              'service',
              'ps',
              SERVICE,
              '--filter',
              'desired-state=running',
              '--format',
              '{{.Node}} {{.CurrentState}} {{.Error}}',
            ])
          ).stdout.trim();
          return /^\S+ Running/.test(ps);
        },
        120_000,
      ).catch(async (e: Error) => {
        const all = await one.docker(['service', 'ps', SERVICE, '--no-trunc']);
        throw new Error(`${e.message}:\n${all.stdout}${all.stderr}`);
      });
      expect(ps.split('\n')).toHaveLength(1);
      expect(ps).toMatch(new RegExp(`^${one.name} Running`));

      expect(outposts()).toEqual([
        {
          cluster: 'edge',
          host: one.ip,
          port: 22,
          user: one.user,
          key_file: one.keyFile,
          role: 'manager',
          fingerprint: one.hostFingerprint,
          node_id: id,
          added_at: expect.any(String),
          added_by: 'console:ops',
        },
      ]);
      expect(hostKeys(one.ip)).toEqual([{ fingerprint: one.hostFingerprint }]);
    }, 240_000);

    it('a second node with a pinned fingerprint joins as a worker', async () => {
      const r = await outpost(
        'add',
        'edge',
        two.ip,
        ...login(two),
        '--role',
        'worker',
        '--fingerprint',
        two.hostFingerprint,
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const id = /joined its Swarm \(node (\w+)\)/.exec(r.stdout)?.[1] ?? '';
      expect(id).not.toBe('');
      nodeIds.set(two.name, id);
      expectSteps(r, [
        `✅ Host key of ${two.ip}:22: ${two.hostFingerprint}.`,
        ...preflight(two),
        `✅ Manager ${one.ip} answers on 2377/tcp and 7946/tcp. 7946/udp and 4789/udp must be open too (Otto cannot test UDP).`,
        `✅ Joined the Swarm of edge as a worker through ${one.ip} (node ${id}).`,
        '✅ The ingress of edge runs already.',
        `✅ ${two.ip} is an outpost of edge (worker, node ${id}).`,
      ]);
      expect(await swarmState(two)).toBe(`active ${id}`);
      let ls: string[] = [];
      await waitFor(
        'two Ready nodes',
        async () => {
          ls = (
            await one.docker(['node', 'ls', '--format', '{{.ID}} {{.Hostname}} {{.Status}}'])
          ).stdout
            .trim()
            .split('\n')
            .sort();
          return ls.filter((l) => l.endsWith(' Ready')).length === 2;
        },
        120_000,
      );
      expect(ls).toEqual(
        [`${nodeIds.get(one.name)} ${one.name} Ready`, `${id} ${two.name} Ready`].sort(),
      );
      expect(outposts().map((o) => [o.host, o.role, o.user, o.node_id, o.fingerprint])).toEqual([
        [one.ip, 'manager', one.user, nodeIds.get(one.name), one.hostFingerprint],
        [two.ip, 'worker', two.user, id, two.hostFingerprint],
      ]);
    }, 180_000);

    it('outpost list shows both', async () => {
      const r = await outpost('list', 'edge');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const lines = r.stdout.split('\n').map((l) => l.trim());
      expect(lines[0]).toBe('Outposts Otto added to edge:');
      const rows = outposts();
      expect(lines.slice(1)).toEqual(
        rows.map(
          (o) =>
            `edge · ${o.host}:22 · ${o.role} · ${o.user} · node ${o.node_id} · ${o.fingerprint} · added ${o.added_at} by console:ops`,
        ),
      );
      expect(rows.map((o) => o.host)).toEqual([one.ip, two.ip]);
    });

    it('a fleet with domains then launches on the cluster', async () => {
      const r = await ws.say('launch harbor');
      expect(r.stdout, r.stderr).toContain('Launch successful! harbor v1 is in orbit');
      expect(r.code).toBe(0);
      const ls = await one.docker(['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
      expect(ls.stdout).toContain('harbor_web 2/2');
      const inspect = await one.docker([
        'service',
        'inspect',
        'harbor_web',
        '--format',
        '{{json .Spec}}',
      ]);
      const spec = JSON.parse(inspect.stdout) as {
        Labels: Record<string, string>;
        TaskTemplate: { Networks: { Target: string }[] };
      };
      expect(spec.Labels['traefik.http.routers.harbor-web.rule']).toBe(
        'Host(`harbor.example.test`)',
      );
      expect(spec.Labels['traefik.http.routers.harbor-web.tls.certresolver']).toBe('letsencrypt');
      const traefikId = (
        await one.docker(['network', 'inspect', 'traefik-public', '--format', '{{.Id}}'])
      ).stdout.trim();
      expect(spec.TaskTemplate.Networks.map((n) => n.Target)).toContain(traefikId);
    }, 180_000);
  });

  describe("seed 001's onboarding failures, each with its message and fix", () => {
    it('a wrong pinned fingerprint is refused before any login; nothing is recorded', async () => {
      const before = outposts();
      const r = await outpost(
        'add',
        'edge',
        three.ip,
        ...login(three),
        '--fingerprint',
        one.hostFingerprint,
      );
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expectSteps(r, [
        `❌ ${three.ip}:22 offers the host key ${three.hostFingerprint}, not the ${one.hostFingerprint} you pinned. This could indicate a security issue.`,
      ]);
      expect(r.stdout).toContain(`Otto stopped setting up ${three.ip} at host-key:`);
      expect(r.stdout).toContain(
        '→ Compare with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server itself. Run outpost add again with the right --fingerprint.',
      );
      expect(logins(three)).toEqual([]);
      expect(hostKeys(three.ip)).toEqual([]);
      expect(outposts()).toEqual(before);
      expect(await swarmState(three)).toBe('inactive');
    });

    it('SSH refused: a port where nothing listens', async () => {
      const before = outposts();
      const r = await outpost('add', 'edge', three.ip, ...login(three), '--port', '2222', '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expectSteps(r, [`❌ Cannot connect to ${three.ip}:2222: connection refused.`]);
      expect(r.stdout).toContain(
        '→ Check that SSH is running on port 2222 and the firewall allows connections.',
      );
      expect(outposts()).toEqual(before);
    });

    it('SSH auth failed: a key the server does not know', async () => {
      const before = outposts();
      const r = await outpost(
        'add',
        'edge',
        three.ip,
        '--user',
        three.user,
        '--key',
        one.keyFile,
        '--yes',
      );
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expectSteps(r, [
        `✅ Host key of ${three.ip}:22: ${three.hostFingerprint}.`,
        `❌ Authentication failed. Verify the username and private key are correct (${three.user}@${three.ip}, key ${one.keyFile}).`,
      ]);
      expect(r.stdout).toContain(
        `→ Add the public key (${one.keyFile}.pub) to ~${three.user}/.ssh/authorized_keys on the server, or give the right --user and --key.`,
      );
      expect(logins(three)).toEqual([]);
      expect(hostKeys(three.ip)).toEqual([]);
      expect(outposts()).toEqual(before);
    });

    it('sudo asks a password: stops before changing anything, with the sudoers fix', async () => {
      const before = outposts();
      const r = await outpost('add', 'edge', noSudo.ip, ...login(noSudo), '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const [, auth, sudo] = steps(r);
      expect(auth).toBe(`✅ Key authentication works for ${noSudo.user}@${noSudo.ip}.`);
      expect(sudo).toMatch(
        new RegExp(
          `^❌ Passwordless sudo is required\\. Configure /etc/sudoers\\.d/otternauts for the SSH user \\(${noSudo.user}: sudo: .*password is required\\)\\.$`,
        ),
      );
      expect(r.stdout).toContain(
        `→ As root on the server: echo '${noSudo.user} ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/otternauts && chmod 0440 /etc/sudoers.d/otternauts. Then run outpost add again.`,
      );
      expect(r.stdout).toContain(`Otto stopped setting up ${noSudo.ip} at sudo:`);
      // Only that ❌: the other checks passed, and nothing after the preflight ran.
      expect(steps(r).filter((l) => l.startsWith('❌'))).toEqual([sudo]);
      expect(r.stdout).not.toMatch(/Swarm|Ingress|Installing/);
      expect(await swarmState(noSudo)).toBe('inactive');
      expect(outposts()).toEqual(before);
    });

    it("too little disk at Docker's data root: ❌ with the fix", async () => {
      const before = outposts();
      const r = await outpost('add', 'edge', small.ip, ...login(small), '--yes');
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const disk = steps(r).at(-1);
      expect(disk).toMatch(
        new RegExp(
          `^❌ Only \\d+ MB free at ${small.dataRoot}: Docker needs at least 5\\.0 GB there for images and volumes\\.$`,
        ),
      );
      expect(steps(r).filter((l) => l.startsWith('❌'))).toEqual([disk]);
      expect(r.stdout).toContain(
        '→ Free some space (docker system prune removes stopped containers and unused images; journalctl --vacuum-size=200M trims the journal) or grow the disk, then run outpost add again.',
      );
      expect(r.stdout).toContain(`Otto stopped setting up ${small.ip} at disk:`);
      expect(r.stdout).not.toMatch(/Swarm|Ingress|Installing/);
      expect(await swarmState(small)).toBe('inactive');
      expect(outposts()).toEqual(before);
    });

    it('a known host key that changed: "Server fingerprint has changed!", no login', async () => {
      // Otto knows noSudo's key from its (failed) setup above; make that record another key,
      // as if the server had been reinstalled since.
      expect(hostKeys(noSudo.ip)).toEqual([{ fingerprint: noSudo.hostFingerprint }]);
      const setKnown = (fp: string) => {
        const d = new Database(db());
        try {
          d.prepare('update host_keys set fingerprint = ? where host = ?').run(fp, noSudo.ip);
        } finally {
          d.close();
        }
      };
      const before = outposts();
      const loginsBefore = logins(noSudo).length;
      setKnown(one.hostFingerprint);
      let r: SayResult;
      try {
        r = await outpost('add', 'edge', noSudo.ip, ...login(noSudo), '--yes');
      } finally {
        setKnown(noSudo.hostFingerprint);
      }
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expectSteps(r, [
        `❌ Server fingerprint has changed! This could indicate a security issue. If you reinstalled the server, remove it and add again. ${noSudo.ip}:22 offers ${noSudo.hostFingerprint}; Otto knows it as ${one.hostFingerprint}.`,
      ]);
      expect(r.stdout).toContain(
        `→ If you reinstalled ${noSudo.ip}, remove it (otto outpost remove edge ${noSudo.ip}) and add it again; otherwise do not use this server.`,
      );
      expect(logins(noSudo)).toHaveLength(loginsBefore);
      expect(outposts()).toEqual(before);
    });

    it('a node in another Swarm is refused with the fix (leave it first); then it joins', async () => {
      const init = await stranger.docker(['swarm', 'init', '--advertise-addr', stranger.ip]);
      expect(init.exitCode, init.stderr).toBe(0);
      const own = await swarmState(stranger);
      const before = outposts();
      const add = () =>
        outpost(
          'add',
          'edge',
          stranger.ip,
          ...login(stranger),
          '--role',
          'worker',
          '--fingerprint',
          stranger.hostFingerprint,
        );
      const r = await add();
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expectSteps(r, [
        `✅ Host key of ${stranger.ip}:22: ${stranger.hostFingerprint}.`,
        ...preflight(stranger),
        `❌ This server is already part of another Swarm as a manager, managed from ${stranger.ip}:2377.`,
      ]);
      expect(r.stdout).toContain(
        '→ If that Swarm is no longer used, run docker swarm leave --force on the server, then run outpost add again.',
      );
      expect(r.stdout).toContain(`Otto stopped setting up ${stranger.ip} at swarm:`);
      // Its own Swarm is untouched, and nothing is recorded.
      expect(await swarmState(stranger)).toBe(own);
      expect(outposts()).toEqual(before);

      // The fix: it leaves its Swarm, and the same command joins this one.
      expect((await stranger.docker(['swarm', 'leave', '--force'])).exitCode).toBe(0);
      const again = await add();
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain('joined its Swarm');
      expect(outposts().map((o) => o.host)).toContain(stranger.ip);
    }, 120_000);

    it("a manager port closed for the join: says which, with the ports list; joins once it's open", async () => {
      const before = outposts();
      const add = () =>
        outpost(
          'add',
          'edge',
          three.ip,
          ...login(three),
          '--role',
          'worker',
          '--fingerprint',
          three.hostFingerprint,
        );
      await one.blockPort(2377);
      let r: SayResult;
      try {
        r = await add();
      } finally {
        await one.unblockPort(2377);
      }
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expectSteps(r, [
        `✅ Host key of ${three.ip}:22: ${three.hostFingerprint}.`,
        ...preflight(three),
        `❌ Could not join swarm. Check that ports 2377, 7946, 4789/udp are open between servers: ${one.ip}:2377/tcp does not answer from this server.`,
      ]);
      expect(r.stdout).toContain(
        '→ Open between all servers: 2377/tcp (management), 7946/tcp and 7946/udp (node gossip), 4789/udp (overlay traffic), in the firewall of each server and of the provider. Then run outpost add again.',
      );
      expect(r.stdout).toContain(`Otto stopped setting up ${three.ip} at ports:`);
      expect(await swarmState(three)).toBe('inactive');
      expect(outposts()).toEqual(before);

      // The fix: the port open again, the same command joins.
      const again = await add();
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain('joined its Swarm');
      expect(await swarmState(three)).toMatch(/^active \w+$/);
      expect(outposts().map((o) => o.host)).toContain(three.ip);
      expect(outposts()).toHaveLength(before.length + 1);
    }, 120_000);

    it('a node already in this Swarm: nothing to change', async () => {
      const before = outposts();
      const nodesBefore = (await one.docker(['node', 'ls', '-q'])).stdout;
      const id = nodeIds.get(two.name);
      const r = await outpost(
        'add',
        'edge',
        two.ip,
        ...login(two),
        '--role',
        'worker',
        '--fingerprint',
        two.hostFingerprint,
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(
        `🛰️ Outpost ${two.ip} is part of edge: it was in its Swarm already (node ${id}).`,
      );
      expect(steps(r)).toContain(
        `✅ Already part of this Swarm as a worker (node ${id}): nothing to change.`,
      );
      expect(r.stdout).not.toMatch(/Joined the Swarm|Created the Swarm|Ingress deployed/);
      expect(outposts()).toEqual(before);
      expect((await one.docker(['node', 'ls', '-q'])).stdout).toBe(nodesBefore);
      expect(await swarmState(two)).toBe(`active ${id}`);
    });

    it('outposts lists the nodes; a worker is drained, labelled, then removed', async () => {
      const say = (text: string) => ws.otto(['say', text, '--as', 'console:ops']);
      const id = nodeIds.get(two.name)!;
      const list = await say('outposts edge');
      expect(list.code, list.stdout + list.stderr).toBe(0);
      expect(list.stdout).toMatch(
        new RegExp(`🟢 ${one.name} · manager \\(leader\\) · ready, active`),
      );
      expect(list.stdout).toMatch(new RegExp(`🟢 ${two.name} · worker · ready, active`));
      const inspect = async () =>
        JSON.parse(
          (await one.docker(['node', 'inspect', id, '--format', '{{json .Spec}}'])).stdout,
        ) as {
          Availability: string;
          Labels?: Record<string, string>;
        };
      const drained = await say(`outpost drain edge ${two.name}`);
      expect(drained.code, drained.stdout).toBe(0);
      expect((await inspect()).Availability).toBe('drain');
      const labelled = await say(`outpost label edge ${two.name} disk=ssd`);
      expect(labelled.code, labelled.stdout).toBe(0);
      expect((await inspect()).Labels).toEqual({ disk: 'ssd' });
      expect((await say('outposts edge')).stdout).toMatch(
        new RegExp(`🟡 ${two.name} · worker · ready, drain .* labels disk=ssd`),
      );
      const removed = await outpost('remove', 'edge', two.name);
      expect(removed.code, removed.stdout + removed.stderr).toBe(0);
      expect(removed.stdout).toContain(`✅ ${two.name} left the Swarm.`);
      expect((await one.docker(['node', 'ls', '-q'])).stdout).not.toContain(id);
      expect(await swarmState(two)).toBe('inactive');
      expect(outposts().map((o) => o.host)).not.toContain(two.ip);
      // The fleet still runs, on the manager.
      await waitFor(
        'harbor_web 2/2 on the manager',
        async () =>
          (
            await one.docker(['service', 'ls', '--format', '{{.Name}} {{.Replicas}}'])
          ).stdout.includes('harbor_web 2/2'),
        120_000,
      );
      // The last manager is never removed.
      const last = await outpost('remove', 'edge', one.name);
      expect(last.code).toBe(1);
      expect(last.stdout).toContain(`${one.name} is the last manager of edge`);
    }, 240_000);
  });
});

/** The parts of `docker service inspect`'s Spec this suite reads. */
interface ServiceSpec {
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Args?: string[];
      Command?: string[];
      Mounts?: Record<string, unknown>[];
    };
    Networks: { Target: string; Aliases?: string[] }[];
    Placement: { Constraints?: string[] };
  };
  EndpointSpec: { Ports: Record<string, unknown>[] };
  Mode: Record<string, unknown>;
}
