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
import { addNetns, Cleanups, engineUp, makeBridge, type Netns, startEngine } from './nodes.js';
import { docker, makeImages, sweep, waitFor } from './testbed.js';

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

export async function startOutposts(): Promise<Outposts> {
  const id = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'otto-outposts-'));
  const ns = [1, 2].map((n) => `otto-${id}-${n}`);
  const sock = [1, 2].map((n) => `unix://${join(dir, `s${n}.sock`)}`);
  const cleanups = new Cleanups();
  const stop = async () => {
    await cleanups.run();
    await sweep(
      dir,
      ns.map((name) => `/docker-${name}`),
    );
  };
  try {
    const bridge = await makeBridge(id, cleanups);
    const subnet = bridge.subnet;
    const nets: Netns[] = [];
    for (const [i, name] of ns.entries())
      nets.push(await addNetns(name, id, i + 1, bridge, cleanups));
    for (const [i, net] of nets.entries()) {
      const n = i + 1;
      startEngine(
        net.path,
        {
          dataRoot: join(dir, `data${n}`),
          execRoot: join(dir, `exec${n}`),
          pidFile: join(dir, `docker${n}.pid`),
          dockerHost: sock[i]!,
          cgroupParent: `/docker-${net.name}`,
        },
        cleanups,
      );
    }
    for (const host of sock) await engineUp(host);
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
        await execa('ip', ['link', 'set', nets[1]!.veth, 'down']);
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
