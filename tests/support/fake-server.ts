import { buildConfig } from '../../src/config/config.js';
import { failed, ok, RecordingTransport } from './recording-transport.js';

/**
 * A fake new server for outpost add: a recording transport that answers like a
 * Debian 12 machine with Docker 26, in no Swarm until `swarm init` or `swarm join`
 * runs. Options make it lack passwordless sudo or Docker.
 */
export const FP = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const DF =
  'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda1 41152736 9000000 30000000 24% /\n';
export const DEBIAN_VERSION = JSON.stringify({
  Client: { Version: '26.1.5' },
  Server: { Version: '26.1.5+dfsg1' },
});

export function cluster(ingress: Record<string, unknown> = { acme_email: 'ops@example.com' }) {
  const config = buildConfig(
    {
      clusters: {
        prod: {
          managers: [{ host: '10.0.0.1', user: 'deploy', private_key_file: '/keys/id' }],
          ingress,
        },
      },
    },
    '/tmp',
    '/tmp/otto.yml',
  );
  return config.clusters.get('prod')!;
}

/** A Debian server with Docker, in no Swarm until `swarm init` or `swarm join` runs. */
export function server(opts: { uid?: string; sudo?: boolean; docker?: boolean } = {}) {
  let state = 'inactive';
  let nodeId = '';
  return new RecordingTransport({
    id: ok(`${opts.uid ?? '1000'}\n`),
    sudo: opts.sudo === false ? failed('sudo: a password is required\n') : ok(),
    cat: ok(DEBIAN),
    version:
      opts.docker === false ? failed('bash: docker: command not found\n', 127) : ok(DEBIAN_VERSION),
    info: (argv) =>
      argv.includes('{{.DockerRootDir}}')
        ? ok('/var/lib/docker\n')
        : ok(
            JSON.stringify({
              LocalNodeState: state,
              NodeID: nodeId,
              NodeAddr: state === 'active' ? '10.0.0.5' : '',
              ControlAvailable: state === 'active',
              RemoteManagers: [],
            }),
          ),
    df: ok(DF),
    printenv: ok('10.0.0.100 50000 10.0.0.5 22\n'),
    'swarm init': () => {
      state = 'active';
      nodeId = 'node-new';
      return ok('Swarm initialized: current node (node-new) is now a manager.\n');
    },
    'swarm join': () => {
      state = 'active';
      nodeId = 'node-new';
      return ok('This node joined a swarm as a worker.\n');
    },
    network: (argv) => (argv.includes('inspect') ? failed('Error: No such network\n') : ok('n1\n')),
    timeout: ok(),
  });
}
