import { describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/errors.js';
import { addOutpost, type OutpostDeps, type OutpostRecord } from '../../src/ops/outpost-add.js';
import type { OutpostEvent } from '../../src/ops/outpost-steps.js';
import { failed, ok, RecordingTransport } from '../support/recording-transport.js';
import { cluster, DEBIAN_VERSION as VERSION, FP, server } from '../support/fake-server.js';

// `outpost add` against recording servers, kamal-style: the exact steps and
// commands from a bare server to the first manager of a Swarm with its ingress,
// and to a worker that joins it.

function deps(node: RecordingTransport, managers: RecordingTransport, known?: string) {
  const records: OutpostRecord[] = [];
  const remembered: string[] = [];
  const d: OutpostDeps = {
    hostKeys: {
      get: async () => known,
      remember: async (_h, _p, fp) => void remembered.push(fp),
    },
    cluster: managers,
    connect: () => node,
    probe: async () => FP,
    record: async (r) => void records.push(r),
  };
  return { d, records, remembered };
}

const unreachable = () =>
  new RecordingTransport({
    info: () => {
      throw new UnreachableError('10.0.0.1:22', 'refused', 'Cannot connect to 10.0.0.1:22.');
    },
  });

const request = (extra: Record<string, unknown> = {}) => ({
  cluster: cluster(),
  host: '203.0.113.5',
  port: 22,
  user: 'deploy',
  keyFile: '/keys/id',
  role: 'manager' as const,
  trust: true,
  actor: 'console:root',
  ...extra,
});

const lines = (events: readonly OutpostEvent[]) =>
  events.filter((e) => e.status !== 'running').map((e) => `${e.status} ${e.step}: ${e.line}`);

describe('outpost add', () => {
  it('makes a bare server the first manager: preflight, swarm init, the ingress, the record', async () => {
    const node = server();
    const { d, records, remembered } = deps(node, unreachable());
    const out = await addOutpost(d, request());
    expect(out).toMatchObject({ ok: true, swarm: 'init', nodeId: 'node-new' });
    expect(node.verbs()).toEqual([
      'id',
      'sudo',
      'cat',
      'version',
      'info',
      'df',
      'info',
      'printenv',
      'swarm init',
      'info',
      'network',
      'network',
      'stack deploy',
    ]);
    expect(node.argvs()).toContainEqual([
      'docker',
      'swarm',
      'init',
      '--advertise-addr',
      '10.0.0.5',
    ]);
    const deploy = node.calls.find((c) => c.argv.includes('deploy'))!;
    expect(deploy.argv.at(-1)).toBe('otto-ingress');
    expect(deploy.stdin).toContain('--providers.swarm.endpoint=unix:///var/run/docker.sock');
    expect(remembered).toEqual([FP]);
    expect(records).toEqual([
      {
        cluster: 'prod',
        host: '203.0.113.5',
        port: 22,
        user: 'deploy',
        keyFile: '/keys/id',
        role: 'manager',
        fingerprint: FP,
        nodeId: 'node-new',
        addedBy: 'console:root',
      },
    ]);
    expect(lines(out.events)[0]).toBe(`ok host-key: Host key of 203.0.113.5:22: ${FP}.`);
    expect(lines(out.events).at(-1)).toBe(
      'ok record: 203.0.113.5 is an outpost of prod (manager, node node-new).',
    );
  });

  it('joins a worker to the cluster’s Swarm through its manager, after checking its ports', async () => {
    const node = server();
    const managers = new RecordingTransport({
      info: ok(
        JSON.stringify({
          LocalNodeState: 'active',
          NodeID: 'node-m',
          NodeAddr: '10.0.0.1',
          ControlAvailable: true,
          Cluster: { ID: 'cluster-1' },
          RemoteManagers: [{ NodeID: 'node-m', Addr: '10.0.0.1:2377' }],
        }),
      ),
      'node ls': ok('{"ID":"node-m"}\n'),
      'swarm join-token': ok('SWMTKN-1-abc-def\n'),
      'service inspect': ok('[{}]'),
    });
    const { d } = deps(node, managers);
    const out = await addOutpost(d, request({ role: 'worker' }));
    expect(out).toMatchObject({ ok: true, swarm: 'join' });
    expect(node.argvs()).toContainEqual([
      'timeout',
      '5',
      'bash',
      '-c',
      'exec 3<>"/dev/tcp/$1/$2"',
      'probe',
      '10.0.0.1',
      '2377',
    ]);
    expect(node.argvs()).toContainEqual([
      'docker',
      'swarm',
      'join',
      '--token',
      'SWMTKN-1-abc-def',
      '--advertise-addr',
      '10.0.0.5',
      '--',
      '10.0.0.1:2377',
    ]);
    expect(managers.argvs()).toContainEqual(['docker', 'swarm', 'join-token', '-q', 'worker']);
    // The token is in argv (the docker CLI takes it nowhere else): a trace must not print it.
    expect(node.calls.find((c) => c.argv.includes('join'))?.redact).toEqual(['SWMTKN-1-abc-def']);
    // The ingress runs already: nothing deployed.
    expect(node.verbs()).not.toContain('stack deploy');
    expect(JSON.stringify(out.events)).not.toContain('SWMTKN-1-abc-def');
  });

  it('stops before changing anything when passwordless sudo is missing, with seed 001’s words', async () => {
    const node = server({ sudo: false });
    const { d, records } = deps(node, unreachable());
    const out = await addOutpost(d, request());
    expect(out).toMatchObject({ ok: false, stoppedAt: 'sudo' });
    const sudo = out.events.find((e) => e.step === 'sudo')!;
    expect(sudo.line).toMatch(/^Passwordless sudo is required\./);
    expect(sudo.fix).toContain('/etc/sudoers.d/otternauts');
    expect(node.verbs()).not.toContain('swarm init');
    expect(records).toEqual([]);
  });

  it('refuses a changed host key, and a key other than the one pinned, before logging in', async () => {
    const node = server();
    const changed = await addOutpost(deps(node, unreachable(), 'SHA256:old').d, request());
    expect(changed).toMatchObject({ ok: false, stoppedAt: 'host-key' });
    expect(changed.events.at(-1)?.line).toMatch(
      /^Server fingerprint has changed! This could indicate a security issue\./,
    );
    const pinned = await addOutpost(
      deps(node, unreachable()).d,
      request({ trust: false, fingerprint: 'SHA256:other' }),
    );
    expect(pinned.events.at(-1)?.line).toContain('not the SHA256:other you pinned');
    const declined = await addOutpost(
      deps(node, unreachable()).d,
      request({ trust: false, confirm: async () => false }),
    );
    expect(declined.events.at(-1)?.line).toContain('nobody confirmed it. Nothing was changed.');
    expect(node.calls).toEqual([]);
  });

  it('installs Docker from the distribution’s packages when it is absent', async () => {
    let installed = false;
    const node = server({ docker: false });
    node.on('sudo', (argv) => {
      if (argv.includes('docker.io')) installed = true;
      return ok();
    });
    node.on('test', ok());
    node.on('version', () =>
      installed ? ok(VERSION) : failed('bash: docker: command not found\n', 127),
    );
    const { d } = deps(node, unreachable());
    const out = await addOutpost(d, request());
    expect(out.ok).toBe(true);
    expect(node.argvs().filter((a) => a[0] === 'sudo' && a[2] !== 'true')).toEqual([
      ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-q', '-y', 'update'],
      [
        'sudo',
        '-n',
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        '-q',
        '-y',
        '--no-install-recommends',
        'install',
        'docker.io',
      ],
      ['sudo', '-n', 'systemctl', 'enable', '--now', 'docker'],
      ['sudo', '-n', 'usermod', '-aG', 'docker', '--', 'deploy'],
    ]);
    expect(lines(out.events)).toContain(
      'ok install: Docker installed from the distribution’s packages.',
    );
  });

  it('says so when the Docker install fails, with the installer’s last lines', async () => {
    const node = server({ docker: false });
    node.on('sudo', (argv) =>
      argv.includes('docker.io')
        ? failed(
            'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (apt)\n',
            100,
          )
        : ok(),
    );
    const out = await addOutpost(deps(node, unreachable()).d, request());
    expect(out).toMatchObject({ ok: false, stoppedAt: 'install' });
    const e = out.events.at(-1)!;
    expect(e.line).toMatch(/^Docker installation failed\. Check server logs for details/);
    expect(e.details?.join('\n')).toContain('Could not get lock /var/lib/dpkg/lock-frontend');
    expect(e.fix).toBeTruthy();
  });

  it('says so when swarm init fails, and when the ingress can’t be deployed', async () => {
    const init = server();
    init.on(
      'swarm init',
      failed('Error response from daemon: could not choose an IP address to advertise\n'),
    );
    const a = await addOutpost(deps(init, unreachable()).d, request());
    expect(a).toMatchObject({ ok: false, stoppedAt: 'swarm' });
    expect(a.events.at(-1)?.line).toBe(
      'Swarm initialization failed. The server may already be part of a swarm.',
    );
    expect(a.events.at(-1)?.fix).toBeTruthy();
    const ingress = server();
    ingress.on('stack deploy', failed('failed to create service otto-ingress_traefik: boom\n'));
    const records: OutpostRecord[] = [];
    const d = {
      ...deps(ingress, unreachable()).d,
      record: async (r: OutpostRecord) => void records.push(r),
    };
    const b = await addOutpost(d, request());
    expect(b).toMatchObject({ ok: false, stoppedAt: 'ingress' });
    expect(b.events.at(-1)?.line).toMatch(/^Ingress deployment failed/);
    expect(records).toEqual([]);
  });

  it('refuses a node of another Swarm, and reports one already in this Swarm without change', async () => {
    const other = server();
    other.on('info', (argv) =>
      argv.includes('{{.DockerRootDir}}')
        ? ok('/var/lib/docker\n')
        : ok(
            JSON.stringify({
              LocalNodeState: 'active',
              NodeID: 'x1',
              ControlAvailable: false,
              RemoteManagers: [{ NodeID: 'm9', Addr: '192.0.2.9:2377' }],
            }),
          ),
    );
    const out = await addOutpost(deps(other, unreachable()).d, request());
    expect(out).toMatchObject({ ok: false, stoppedAt: 'swarm' });
    expect(out.events.at(-1)?.line).toBe(
      'This server is already part of another Swarm as a worker, managed from 192.0.2.9:2377.',
    );
    expect(out.events.at(-1)?.fix).toContain('docker swarm leave');
    expect(other.verbs()).not.toContain('swarm init');
  });

  it('starts the engine with its init script where systemd does not run (a container, a chroot)', async () => {
    let installed = false;
    const node = server({ docker: false });
    node.on('test', failed('', 1));
    node.on('sudo', (argv) => {
      if (argv.includes('docker.io')) installed = true;
      return ok();
    });
    node.on('version', () =>
      installed ? ok(VERSION) : failed('bash: docker: command not found\n', 127),
    );
    const out = await addOutpost(deps(node, unreachable()).d, request());
    expect(out.ok).toBe(true);
    expect(node.argvs()).toContainEqual(['sudo', '-n', 'service', 'docker', 'start']);
    expect(node.argvs()).not.toContainEqual([
      'sudo',
      '-n',
      'systemctl',
      'enable',
      '--now',
      'docker',
    ]);
  });

  it('records the role a node already in this Swarm has, whatever was asked', async () => {
    const node = server();
    const active = JSON.stringify({
      LocalNodeState: 'active',
      NodeID: 'node-m',
      NodeAddr: '10.0.0.1',
      ControlAvailable: true,
      Cluster: { ID: 'cluster-1' },
      RemoteManagers: [{ NodeID: 'node-m', Addr: '10.0.0.1:2377' }],
    });
    node.on('info', (argv) =>
      ok(argv.includes('{{.DockerRootDir}}') ? '/var/lib/docker\n' : active),
    );
    const managers = new RecordingTransport({
      info: ok(active),
      'node ls': ok('{"ID":"node-m"}\n'),
      'service inspect': ok('[{}]'),
    });
    const { d, records } = deps(node, managers);
    const out = await addOutpost(d, request({ role: 'worker' }));
    expect(out).toMatchObject({ ok: true, swarm: 'member', role: 'manager' });
    expect(records[0]?.role).toBe('manager');
    expect(node.verbs()).not.toContain('swarm join');
  });
});
