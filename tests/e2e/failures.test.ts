import { execa } from 'execa';
import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, inject, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { rows } from '../support/db.js';
import { docker, waitFor } from '../support/testbed.js';
import { sshCluster, webService, workspace } from '../support/workspace.js';

const bed = inject('testbed');

describe.skipIf(bed === null)(
  'launch failures end in a clear message and leave nothing half-done',
  () => {
    if (!bed) return;
    const ws = workspace(bed, {
      ghost: { compose: { services: { web: webService('otto-test:does-not-exist') } } },
      crashy: {
        compose: {
          services: {
            app: {
              image: bed.images.v1,
              command: ['sh', '-c', 'echo "engine failure near $$HOSTNAME"; exit 3'],
            },
          },
        },
      },
      vault: {
        compose: {
          services: {
            app: {
              image: bed.images.v1,
              command: ['sh', '-c', 'echo "token is $$API_KEY"; sleep 3600'],
              environment: {
                API_KEY: '${API_KEY}',
                DB_PASSWORD: '${DB_PASSWORD}',
                MODE: '${MODE:-calm}',
              },
            },
          },
        },
      },
      sickly: {
        compose: {
          services: {
            app: {
              image: bed.images.v1,
              command: ['sleep', '3600'],
              stop_grace_period: '1s',
              healthcheck: {
                test: ['CMD', 'false'],
                interval: '1s',
                timeout: '1s',
                retries: 1,
                start_period: '0s',
              },
            },
          },
        },
      },
      nowhere: {
        compose: {
          services: {
            app: {
              image: bed.images.v1,
              command: ['sleep', '3600'],
              deploy: { placement: { constraints: ['node.labels.zone==mars'] } },
            },
          },
        },
      },
    });

    afterAll(async () => {
      for (const s of ['ghost', 'crashy', 'vault', 'nowhere', 'sickly'])
        await docker(bed, ['stack', 'rm', s]);
    });

    const lockCount = () => rows(ws.dir, 'select * from locks').length;

    it('says the image cannot be pulled', async () => {
      const r = await ws.say('launch ghost');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('Launch of ghost v1 failed');
      expect(r.stdout).toMatch(/Failed to pull image otto-test:does-not-exist/);
      expect(lockCount()).toBe(0);
      const [d] = rows(ws.dir, "select * from deployments where fleet = 'ghost'");
      expect(d?.['status']).toBe('failed');
      expect(d?.['reason']).toMatch(/pull image/);
    });

    it('says which exit code a crash-looping service has, with its last log lines', async () => {
      const r = await ws.say('launch crashy');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('Service app exits with code 3');
      expect(r.stdout).toContain('engine failure near');
      expect(r.stdout).toContain('[Logs: logs crashy app]');
      expect(lockCount()).toBe(0);
    });

    it('shows the failing tasks of a crash-looping fleet in status', async () => {
      const r = await ws.say('status crashy');
      expect(r.stdout).toMatch(/app 0\/1 otto-test:v1/);
      expect(r.stdout).toContain('v1 failed by console:tester');
    });

    it('says a service whose healthcheck keeps failing is unhealthy', async () => {
      const r = await ws.say('launch sickly');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('Service app is unhealthy: its healthcheck keeps failing.');
    });

    it('says no node matches the constraints', async () => {
      const r = await ws.say('launch nowhere');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('no nodes match constraints');
      expect(r.stdout).toContain('node.labels.zone==mars');
    });

    it('refuses to launch with missing secrets, names them, and deploys nothing', async () => {
      const r = await ws.say('launch vault');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('needs secrets that are not set: API_KEY, DB_PASSWORD');
      expect(r.stdout).toContain('otto secret set vault API_KEY');
      expect(rows(ws.dir, "select * from deployments where fleet = 'vault'")).toHaveLength(0);
      expect(lockCount()).toBe(0);
      const ls = await docker(bed, ['service', 'ls', '--format', '{{.Name}}']);
      expect(ls.stdout).not.toContain('vault_app');
    });

    it('fills secrets in at launch and never shows them', async () => {
      expect(
        (await ws.otto(['secret', 'set', 'vault', 'API_KEY'], 's3cr3t-$HOME-"quoted"')).code,
      ).toBe(0);
      expect((await ws.otto(['secret', 'set', 'vault', 'DB_PASSWORD'], 'hunter22\n')).code).toBe(0);
      const list = await ws.otto(['secret', 'list', 'vault']);
      expect(list.stdout).toContain('API_KEY');
      expect(list.stdout).not.toContain('s3cr3t');
      const r = await ws.say('launch vault');
      expect(r.code).toBe(0);
      const env = await docker(bed, [
        'service',
        'inspect',
        'vault_app',
        '--format',
        '{{json .Spec.TaskTemplate.ContainerSpec.Env}}',
      ]);
      expect(JSON.parse(env.stdout)).toEqual(
        expect.arrayContaining([
          'API_KEY=s3cr3t-$HOME-"quoted"',
          'DB_PASSWORD=hunter22',
          'MODE=calm',
        ]),
      );
      const snapshot = rows(
        ws.dir,
        "select compose_snapshot from deployments where fleet = 'vault'",
      );
      expect(JSON.stringify(snapshot)).not.toContain('s3cr3t');
      const audit = rows(ws.dir, "select command, summary from audit where fleet = 'vault'");
      expect(audit.map((a) => a.command)).toContain('secret set vault API_KEY');
      expect(JSON.stringify(audit)).not.toContain('s3cr3t');
      // The service prints its token once it runs: wait for that line, not for time.
      let logs = await ws.say('logs vault app');
      await waitFor(
        'the token line in the logs',
        async () => (logs = await ws.say('logs vault app')).stdout.includes('token is'),
        60_000,
      );
      expect(logs.stdout).toContain('token is ••••••');
      expect(logs.stdout).not.toContain('s3cr3t');
    });

    it('refuses a manager whose host key changed, and runs nothing', async () => {
      const wrong = 'SHA256:' + 'A'.repeat(43);
      const pinned = workspace(
        bed,
        { ghost: { compose: { services: { web: webService(bed.images.v1) } } } },
        {
          swarm: sshCluster(bed, { host_key: wrong }),
        },
      );
      const r = await pinned.say('launch ghost');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('fingerprint has changed! This could indicate a security issue');
      expect(r.stdout).toContain(bed.hostKeyFingerprint);
      expect(rows(pinned.dir, 'select * from deployments')).toHaveLength(0);
      expect(rows(pinned.dir, 'select * from locks')).toHaveLength(0);
    });

    it('trusts a host key on first use and refuses it when it changes later', async () => {
      const tofu = workspace(bed, {
        ghost: { compose: { services: { web: webService(bed.images.v1) } } },
      });
      expect((await tofu.say('status')).code).toBe(0);
      const [key] = rows(tofu.dir, 'select * from host_keys');
      expect(key?.['fingerprint']).toBe(bed.hostKeyFingerprint);
      const db = new Database(join(tofu.dir, 'data', 'otto.db'));
      db.prepare('update host_keys set fingerprint = ?').run('SHA256:' + 'B'.repeat(43));
      db.close();
      const r = await tofu.say('status');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('fingerprint has changed');
    });

    it('says which key it trusted on first use', async () => {
      const tofu = workspace(bed, {
        ghost: { compose: { services: { web: webService(bed.images.v1) } } },
      });
      const r = await tofu.say('status');
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(
        `Otto trusted the host key of 127.0.0.1:${bed.sshPort} on first use: ${bed.hostKeyFingerprint}.`,
      );
    });

    it('does not fail over past a manager whose host key changed, unless told to', async () => {
      const good = sshCluster(bed);
      const wrong = 'SHA256:' + 'A'.repeat(43);
      const managers = [
        { ...good.managers[0], host_key: wrong },
        { ...good.managers[0], host_key: bed.hostKeyFingerprint },
      ];
      const fleet = {
        keyed: {
          compose: { services: { web: webService(bed.images.v1, { deploy: { replicas: 1 } }) } },
        },
      };
      const strict = workspace(bed, fleet, { swarm: { ...good, managers } });
      const refused = await strict.say('launch keyed');
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('fingerprint has changed!');
      expect(refused.stdout).toContain('did not fail over to another manager of cluster swarm');
      expect(refused.stdout).toContain('strict_host_keys: false');
      expect(rows(strict.dir, 'select * from deployments')).toHaveLength(0);
      expect(rows(strict.dir, 'select * from locks')).toHaveLength(0);
      expect(rows(strict.dir, 'select host, expected, offered from host_key_mismatches')).toEqual([
        { host: '127.0.0.1', expected: wrong, offered: bed.hostKeyFingerprint },
      ]);

      const lenient = workspace(bed, fleet, {
        swarm: { ...good, managers, strict_host_keys: false },
      });
      const r = await lenient.say('launch keyed');
      expect(r.stdout).toContain('keyed v1 is in orbit');
      expect(r.code).toBe(0);
      // The changed key is still logged and kept for the watcher's one alert.
      expect(r.stderr).toContain(
        `Expected ${wrong}, the outpost offered ${bed.hostKeyFingerprint}`,
      );
      expect(rows(lenient.dir, 'select alerted_at from host_key_mismatches')).toEqual([
        { alerted_at: null },
      ]);
      await docker(bed, ['stack', 'rm', 'keyed']);
    });

    it('fails over from a key with a passphrase, and warns about a key others can read', async () => {
      const keyDir = mkdtempSync(join(tmpdir(), 'otto-key-'));
      const locked = join(keyDir, 'locked');
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'open sesame', '-f', locked]);
      const loose = join(keyDir, 'loose');
      copyFileSync(bed.privateKeyFile, loose);
      chmodSync(loose, 0o644);
      const good = sshCluster(bed);
      const fleet = { ghost: { compose: { services: { web: webService(bed.images.v1) } } } };
      const only = workspace(bed, fleet, {
        swarm: { ...good, managers: [{ ...good.managers[0], private_key_file: locked }] },
      });
      const r = await only.say('status ghost');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('is protected by a passphrase');
      expect(r.stdout).not.toContain('unexpected');
      const failover = workspace(bed, fleet, {
        swarm: {
          ...good,
          managers: [
            { ...good.managers[0], private_key_file: locked },
            { ...good.managers[0], private_key_file: loose },
          ],
        },
      });
      const ok = await failover.say('status ghost');
      expect(ok.code, ok.stdout).toBe(0);
      expect(ok.stderr).toContain(`The private key ${loose} can be read by other users`);
      expect(ok.stderr).toContain(`chmod 600 ${loose}`);
    });

    it('fails over from a manager that refuses connections to a working one', async () => {
      const good = sshCluster(bed);
      const failover = workspace(
        bed,
        {
          relay: {
            compose: { services: { web: webService(bed.images.v1, { deploy: { replicas: 1 } }) } },
          },
        },
        {
          swarm: {
            ...good,
            managers: [{ ...good.managers[0], port: bed.closedPort }, ...good.managers],
          },
        },
      );
      const r = await failover.say('launch relay');
      expect(r.stdout).toContain('relay v1 is in orbit');
      expect(r.code).toBe(0);
      await docker(bed, ['stack', 'rm', 'relay']);
    });

    it('names every manager it tried when none answers, and why', async () => {
      // A port that accepts and never speaks SSH (timed out), and a key the
      // outpost does not know (auth failed), besides a closed port (refused).
      const silent = createServer(() => {});
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const silentPort = (silent.address() as AddressInfo).port;
      const keyDir = mkdtempSync(join(tmpdir(), 'otto-key-'));
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'stranger')]);
      const good = sshCluster(bed);
      const dead = workspace(
        bed,
        { relay: { compose: { services: { web: webService(bed.images.v1) } } } },
        {
          swarm: {
            ...good,
            managers: [
              { ...good.managers[0], port: bed.closedPort },
              { ...good.managers[0], port: silentPort },
              { ...good.managers[0], private_key_file: join(keyDir, 'stranger') },
            ],
          },
        },
      );
      const r = await dead.say('launch relay');
      silent.close();
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).not.toContain('Unhandled');
      expect(r.stdout).toContain("couldn't reach any manager of cluster swarm");
      expect(r.stdout).toContain(`${bed.sshUser}@127.0.0.1:${bed.closedPort} (refused)`);
      expect(r.stdout).toContain(`${bed.sshUser}@127.0.0.1:${silentPort} (timed out)`);
      expect(r.stdout).toContain(`${bed.sshUser}@127.0.0.1:${bed.sshPort} (auth failed)`);
      expect(rows(dead.dir, 'select * from deployments')).toHaveLength(0);
      expect(rows(dead.dir, 'select * from locks')).toHaveLength(0);
    });
  },
);
