import { afterAll, describe, expect, inject, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import { loadConfig } from '../../src/config/config.js';
import { defaultTransport, openOps } from '../../src/ops/ops.js';
import { UnreachableError } from '../../src/errors.js';
import { probeHostKey, SshTransport } from '../../src/transport/ssh-transport.js';
import { RecordingTransport } from '../support/recording-transport.js';
import { docker } from '../support/testbed.js';
import { sshCluster, TEST_KEY, webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

describe.skipIf(bed === null)('SSH transport and status fan-out on the real sshd', () => {
  if (!bed) return;
  const fleets = ['fan-a', 'fan-b', 'fan-c'];
  /** A transport to the test bed's sshd with its host key pinned. */
  const pinned = () =>
    new SshTransport(
      {
        host: '127.0.0.1',
        port: bed.sshPort,
        user: bed.sshUser,
        privateKeyFile: bed.privateKeyFile,
        hostKey: bed.hostKeyFingerprint,
      },
      { get: async () => undefined, remember: async () => {} },
    );

  afterAll(async () => {
    for (const f of fleets) await docker(bed, ['stack', 'rm', f]);
  });

  it('reads the host key a server offers before any login, for a person to compare', async () => {
    expect(await probeHostKey('127.0.0.1', bed.sshPort)).toBe(bed.hostKeyFingerprint);
    const closed = await probeHostKey('127.0.0.1', 1).catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(UnreachableError);
    expect((closed as UnreachableError).message).toBe(
      'Cannot connect to 127.0.0.1:1: connection refused.',
    );
    expect((closed as UnreachableError).fix).toBe(
      'Check that SSH is running on port 1 and the firewall allows connections.',
    );
  });

  it('fails over to a manager Otto added with outpost add, after those of otto.yml', async () => {
    // otto.yml names a manager where nothing listens; the outposts table, the bed's sshd.
    const ws = workspace(bed, {}, { swarm: sshCluster(bed, { port: 1 }) });
    const ops = await openOps(loadConfig(ws.config, true), { env: { OTTO_SECRET_KEY: TEST_KEY } });
    try {
      await ops.outposts.record({
        cluster: 'swarm',
        host: '127.0.0.1',
        port: bed.sshPort,
        user: bed.sshUser,
        keyFile: bed.privateKeyFile,
        role: 'manager',
        fingerprint: bed.hostKeyFingerprint,
        addedBy: 'console:t',
      });
      await ops.reloadOutposts();
      const r = await ops
        .transport('swarm')
        .run(['docker', 'info', '--format', '{{.Swarm.LocalNodeState}}']);
      expect(r.stdout.trim()).toBe('active');
      expect(ops.transport('swarm').target).toBe(`${bed.sshUser}@127.0.0.1:${bed.sshPort}`);
    } finally {
      await ops.close();
    }
  });

  it('queues channels beyond OpenSSH MaxSessions on one connection', async () => {
    const keys = new Map<string, string>();
    const t = new SshTransport(
      {
        host: '127.0.0.1',
        port: bed.sshPort,
        user: bed.sshUser,
        privateKeyFile: bed.privateKeyFile,
      },
      { get: async () => keys.get('k'), remember: async (_h, _p, fp) => void keys.set('k', fp) },
    );
    try {
      const runs = await Promise.all(
        Array.from({ length: 25 }, (_, i) => t.run(['sh', '-c', 'sleep 0.3; echo "$0"', `n${i}`])),
      );
      expect(runs.map((r) => r.exitCode)).toEqual(Array(25).fill(0));
      expect(runs.map((r) => r.stdout.trim())).toEqual(
        Array.from({ length: 25 }, (_, i) => `n${i}`),
      );
      expect(keys.get('k')).toBe(bed.hostKeyFingerprint);
    } finally {
      await t.close();
    }
  });

  it('passes argv and stdin through untouched', async () => {
    const t = pinned();
    try {
      const tricky = `$(touch /tmp/otto-pwned) ; 'quoted' "double" \`id\` \n next`;
      const r = await t.run(['printf', '%s', tricky]);
      expect(r.stdout).toBe(tricky);
      const cat = await t.run(['cat'], { stdin: 'from stdin\n' });
      expect(cat.stdout).toBe('from stdin\n');
      expect((await t.run(['sh', '-c', 'exit 7'])).exitCode).toBe(7);
    } finally {
      await t.close();
    }
  });

  it('keeps at most 8 MiB of what a command prints, whole lines only', async () => {
    const t = pinned();
    try {
      const r = await t.run([
        'sh',
        '-c',
        'yes 0123456789abcdef0123456789abcdef | head -c 41943040',
      ]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.length).toBeLessThanOrEqual(8 * 1024 * 1024);
      expect(r.stdout.length).toBeGreaterThan(7 * 1024 * 1024);
      expect(r.stdout.startsWith('0123456789abcdef0123456789abcdef\n')).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('reads status of many fleets with at most three docker calls', async () => {
    const ws = workspace(
      bed,
      Object.fromEntries(
        fleets.map((f) => [
          f,
          {
            compose: {
              services: {
                web: webService(bed.images.v1, { deploy: { replicas: 1 } }),
                worker: { image: bed.images.v1, command: ['sleep', '3600'] },
              },
            },
          },
        ]),
      ),
    );
    for (const f of fleets) {
      const r = await docker(
        bed,
        ['stack', 'deploy', '-c', '-', f],
        `services:\n  web:\n    image: ${bed.images.v1}\n    command: [sleep, "3600"]\n  worker:\n    image: ${bed.images.v1}\n    command: [sleep, "3600"]\n`,
      );
      expect(r.exitCode).toBe(0);
    }
    let recorder: RecordingTransport | undefined;
    const ops = await openOps(loadConfig(ws.config, true), {
      env: { OTTO_SECRET_KEY: TEST_KEY },
      makeTransport: (cluster, db) =>
        (recorder = new RecordingTransport({}, defaultTransport(cluster, db))),
    });
    try {
      const reply = await dispatch(ops, 'status', {
        actor: 'console:t',
        channel: 'test',
        platform: 'console',
      });
      expect(reply.outcome).toBe('ok');
      // service ls and stack ls side by side (a console viewer sees the stacks Otto
      // didn't launch too), then one service ps over the services short of replicas.
      expect(recorder?.argvs().filter((c) => c[0] === 'docker').length).toBeLessThanOrEqual(3);
      expect(reply.fields?.map((f) => f.label).join(' ')).toContain('fan-c');
    } finally {
      await ops.close();
    }
  });
});
