/**
 * A two-node Swarm on one machine, for what needs a second node (a node going
 * down). Each engine runs in a network namespace of its own, joined by a bridge
 * on a 10.213.x.0/24 subnet this helper creates; nothing else is ever addressed.
 * The engines use their own data roots, exec roots, sockets and cgroup parents.
 */
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, makeImages, stopDockerd, sweep, waitFor } from './testbed.js';

export interface Outposts {
  readonly dir: string;
  /** Docker host of the manager (outpost one). */
  readonly manager: string;
  /** Swarm node ID of outpost two, labelled `otto.outpost=two`. */
  readonly workerNodeId: string;
  /** Cuts outpost two off the network: the manager marks it Down after a few heartbeats. */
  partitionWorker(): Promise<void>;
  stop(): Promise<void>;
}

async function sh(cmd: string, args: string[]): Promise<void> {
  await execa(cmd, args);
}

export async function startOutposts(): Promise<Outposts> {
  const id = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'otto-outposts-'));
  const bridge = `ottobr${id}`;
  const subnet = `10.213.${16 + (parseInt(id, 16) % 200)}`;
  const ns = [1, 2].map((n) => `otto-${id}-${n}`);
  const sock = [1, 2].map((n) => `unix://${join(dir, `s${n}.sock`)}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await sweep(
      dir,
      ns.map((name) => `/docker-${name}`),
    );
  };
  try {
    await sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
    cleanups.push(() => execa('ip', ['link', 'del', bridge]));
    await sh('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    await sh('ip', ['link', 'set', bridge, 'up']);
    // Docker sets the FORWARD policy to DROP; let our bridge talk to itself.
    const rule = ['FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT'];
    await sh('iptables', ['-I', ...rule]);
    cleanups.push(() => execa('iptables', ['-D', ...rule]));
    for (const [i, name] of ns.entries()) {
      const veth = `ov${id}${i + 1}`;
      await sh('ip', ['netns', 'add', name]);
      cleanups.push(() => execa('ip', ['netns', 'del', name]));
      await sh('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`]);
      await sh('ip', ['link', 'set', `${veth}p`, 'netns', name]);
      await sh('ip', ['link', 'set', veth, 'master', bridge]);
      await sh('ip', ['link', 'set', veth, 'up']);
      const inNs = (args: string[]) => sh('ip', ['netns', 'exec', name, 'ip', ...args]);
      await inNs(['addr', 'add', `${subnet}.${i + 2}/24`, 'dev', `${veth}p`]);
      await inNs(['link', 'set', `${veth}p`, 'up']);
      await inNs(['link', 'set', 'lo', 'up']);
    }
    for (const [i, name] of ns.entries()) {
      const n = i + 1;
      // nsenter, not `ip netns exec`: that remounts /sys and dockerd then fails.
      const d = execa(
        'nsenter',
        [
          `--net=/var/run/netns/${name}`,
          '/usr/sbin/dockerd',
          ...['--data-root', join(dir, `data${n}`), '--exec-root', join(dir, `exec${n}`)],
          ...['--pidfile', join(dir, `docker${n}.pid`), '-H', sock[i]!],
          ...['--cgroup-parent', `/docker-${name}`, '--bridge', 'none'],
        ],
        { reject: false, detached: true, stdio: 'ignore' },
      );
      d.unref();
      cleanups.push(() => stopDockerd(join(dir, `docker${n}.pid`)));
    }
    for (const host of sock) {
      await waitFor(
        'dockerd answers',
        async () => (await docker({ dockerHost: host }, ['info'])).exitCode === 0,
        60_000,
      );
    }
    const [manager, worker] = sock as [string, string];
    const init = await docker({ dockerHost: manager }, [
      'swarm',
      'init',
      '--advertise-addr',
      `${subnet}.2`,
    ]);
    if (init.exitCode !== 0) throw new Error(init.stderr);
    const token = (
      await docker({ dockerHost: manager }, ['swarm', 'join-token', '-q', 'worker'])
    ).stdout.trim();
    await docker({ dockerHost: worker }, ['swarm', 'join', '--token', token, `${subnet}.2:2377`]);
    let workerNodeId = '';
    await waitFor(
      'outpost two joins',
      async () => {
        const ls = await docker({ dockerHost: manager }, [
          'node',
          'ls',
          '--format',
          '{{.ID}} {{.Self}} {{.Status}}',
        ]);
        workerNodeId =
          ls.stdout
            .split('\n')
            .find((l) => l.includes(' false Ready'))
            ?.split(' ')[0] ?? '';
        return workerNodeId !== '';
      },
      60_000,
    );
    await docker({ dockerHost: manager }, [
      'node',
      'update',
      '--label-add',
      'otto.outpost=two',
      workerNodeId,
    ]);
    await makeImages(dir, sock); // on both engines: there is no registry
    return {
      dir,
      manager,
      workerNodeId,
      async partitionWorker() {
        await sh('ip', ['link', 'set', `ov${id}2`, 'down']);
        await waitFor(
          'the manager sees outpost two down',
          async () => {
            const ls = await docker({ dockerHost: manager }, [
              'node',
              'ls',
              '--format',
              '{{.ID}} {{.Status}}',
            ]);
            return ls.stdout.includes(`${workerNodeId} Down`);
          },
          90_000,
        );
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
