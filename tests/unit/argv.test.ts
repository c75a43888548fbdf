import { describe, expect, it } from 'vitest';
import { withDockerHost } from '../../src/transport/cluster-transport.js';
import { commandLine, fingerprint, quoteArg } from '../../src/transport/ssh-transport.js';
import * as swarm from '../../src/swarm/argv.js';

describe('docker argv builders', () => {
  it('builds stack deploy reading the compose file from stdin', () => {
    expect(swarm.stackDeploy('myapp')).toEqual([
      'docker',
      'stack',
      'deploy',
      '--with-registry-auth',
      '--prune',
      '--resolve-image',
      'always',
      '-c',
      '-',
      '--',
      'myapp',
    ]);
  });

  it('builds service ls, inspect and ps', () => {
    expect(swarm.serviceLs()).toEqual(['docker', 'service', 'ls', '--format', '{{json .}}']);
    expect(swarm.serviceInspect(['a_web', 'a_db'])).toEqual([
      'docker',
      'service',
      'inspect',
      '--',
      'a_web',
      'a_db',
    ]);
    expect(swarm.servicePs(['a_web'])).toEqual([
      'docker',
      'service',
      'ps',
      '--no-trunc',
      '--format',
      '{{json .}}',
      '--',
      'a_web',
    ]);
  });

  it('builds service logs with tail and since', () => {
    expect(swarm.serviceLogs('a_web', { tail: 50 })).toEqual([
      'docker',
      'service',
      'logs',
      '--no-task-ids',
      '--tail',
      '50',
      '--',
      'a_web',
    ]);
    expect(swarm.serviceLogs('a_web', { tail: 5, since: '10m' })).toEqual([
      'docker',
      'service',
      'logs',
      '--no-task-ids',
      '--tail',
      '5',
      '--since',
      '10m',
      '--',
      'a_web',
    ]);
  });

  it('turns days into hours for --since, as Go durations have no d, and keeps dates', () => {
    expect(swarm.serviceLogs('a_web', { tail: 5, since: '1d' })).toEqual([
      'docker',
      'service',
      'logs',
      '--no-task-ids',
      '--tail',
      '5',
      '--since',
      '24h',
      '--',
      'a_web',
    ]);
    expect(swarm.dockerSince('365d')).toBe('8760h');
    expect(swarm.dockerSince('90s')).toBe('90s');
    expect(swarm.dockerSince('2026-01-31')).toBe('2026-01-31');
    expect(swarm.dockerSince('2026-01-31T12:00:00Z')).toBe('2026-01-31T12:00:00Z');
  });

  it('ends options with -- before names, so a name starting with - is never an option', () => {
    const tail = (argv: string[]) => argv.slice(argv.indexOf('--'));
    expect(tail(swarm.stackDeploy('-x'))).toEqual(['--', '-x']);
    expect(tail(swarm.serviceInspect(['--help']))).toEqual(['--', '--help']);
    expect(tail(swarm.servicePs(['--help']))).toEqual(['--', '--help']);
    expect(tail(swarm.serviceLogs('--help', { tail: 1 }))).toEqual(['--', '--help']);
    expect(tail(swarm.registryLogin('--help', 'u'))).toEqual(['--', '--help']);
  });

  it('keeps the registry password out of argv', () => {
    expect(swarm.registryLogin('ghcr.io', 'otto')).toEqual([
      'docker',
      'login',
      '--username',
      'otto',
      '--password-stdin',
      '--',
      'ghcr.io',
    ]);
  });

  it('builds info, node ls and the swarm event stream', () => {
    expect(swarm.info()).toEqual(['docker', 'info', '--format', '{{json .Swarm.LocalNodeState}}']);
    expect(swarm.nodeLs()).toEqual(['docker', 'node', 'ls', '--format', '{{json .}}']);
    expect(swarm.swarmEvents(1764100000)).toEqual([
      'docker',
      'events',
      '--filter',
      'scope=swarm',
      '--filter',
      'type=service',
      '--filter',
      'type=node',
      '--since',
      '1764100000',
      '--format',
      '{{json .}}',
    ]);
  });

  it('restarts and scales a service with an update that returns at once, names after --', () => {
    expect(commandLine(swarm.serviceRestart('shop_web'))).toBe(
      'docker service update --force --detach -- shop_web',
    );
    expect(commandLine(swarm.serviceScale('shop_web', 4))).toBe(
      'docker service update --replicas 4 --detach -- shop_web',
    );
    expect(commandLine(swarm.serviceScale('shop_web', 0))).toBe(
      'docker service update --replicas 0 --detach -- shop_web',
    );
    // A name that looks like an option stays an argument.
    expect(swarm.serviceRestart('-x_web').slice(-2)).toEqual(['--', '-x_web']);
  });

  it('names services as docker stack deploy does', () => {
    expect(swarm.serviceName('myapp', 'web')).toBe('myapp_web');
  });

  it('parses JSON lines and skips noise', () => {
    expect(swarm.parseJsonLines('{"a":1}\n\nwarning: x\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('adds -H after docker only when a docker host is set', () => {
    expect(withDockerHost(['docker', 'info'], undefined)).toEqual(['docker', 'info']);
    expect(withDockerHost(['docker', 'info'], 'unix:///x.sock')).toEqual([
      'docker',
      '-H',
      'unix:///x.sock',
      'info',
    ]);
  });
});

describe('the one place argv becomes a command line', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(quoteArg('myapp_web')).toBe('myapp_web');
    expect(quoteArg('{{json .}}')).toBe(`'{{json .}}'`);
    expect(quoteArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteArg('')).toBe(`''`);
  });

  it('keeps shell metacharacters inert', () => {
    const line = commandLine([
      'docker',
      'service',
      'logs',
      '$(touch /tmp/pwned); `id` | x && y\nz',
    ]);
    expect(line).toBe(`docker service logs '$(touch /tmp/pwned); \`id\` | x && y\nz'`);
  });

  it('prints host key fingerprints like ssh-keygen -lf', () => {
    expect(fingerprint(Buffer.from('abc'))).toBe(
      'SHA256:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0',
    );
  });
});

describe('outpost argv builders', () => {
  it('reads the Swarm state in one JSON call, and parses a manager, a worker and a bare node', () => {
    expect(swarm.swarmInfo()).toEqual(['docker', 'info', '--format', '{{json .Swarm}}']);
    const manager = swarm.parseSwarmInfo(
      '{"NodeID":"n1abc","NodeAddr":"10.0.0.1","LocalNodeState":"active","ControlAvailable":true,"Error":"","RemoteManagers":[{"NodeID":"n1abc","Addr":"10.0.0.1:2377"}],"Nodes":1,"Managers":1,"Cluster":{"ID":"c9xyz","Version":{"Index":10}}}\n',
    );
    expect(manager).toEqual({
      localNodeState: 'active',
      nodeId: 'n1abc',
      nodeAddr: '10.0.0.1',
      controlAvailable: true,
      clusterId: 'c9xyz',
      remoteManagers: [{ nodeId: 'n1abc', addr: '10.0.0.1:2377' }],
      error: '',
    });
    const worker = swarm.parseSwarmInfo(
      '{"NodeID":"n2def","NodeAddr":"10.0.0.2","LocalNodeState":"active","ControlAvailable":false,"Error":"","RemoteManagers":[{"NodeID":"n1abc","Addr":"10.0.0.1:2377"}]}',
    );
    expect(worker.clusterId).toBeUndefined();
    expect(worker.controlAvailable).toBe(false);
    const bare = swarm.parseSwarmInfo(
      '{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,"Error":"","RemoteManagers":null}',
    );
    expect(bare).toMatchObject({ localNodeState: 'inactive', nodeId: '', remoteManagers: [] });
  });

  it('asks for the data root and the versions', () => {
    expect(swarm.dockerRootDir()).toEqual(['docker', 'info', '--format', '{{.DockerRootDir}}']);
    expect(swarm.dockerVersion()).toEqual(['docker', 'version', '--format', '{{json .}}']);
  });

  it('builds swarm init, with and without a listen address', () => {
    expect(swarm.swarmInit('10.0.0.1')).toEqual([
      'docker',
      'swarm',
      'init',
      '--advertise-addr',
      '10.0.0.1',
    ]);
    expect(swarm.swarmInit('eth1', { listenAddr: '0.0.0.0:2377' })).toEqual([
      'docker',
      'swarm',
      'init',
      '--advertise-addr',
      'eth1',
      '--listen-addr',
      '0.0.0.0:2377',
    ]);
  });

  it('builds join-token and join, the manager address last after --', () => {
    expect(swarm.swarmJoinToken('worker')).toEqual([
      'docker',
      'swarm',
      'join-token',
      '-q',
      'worker',
    ]);
    expect(swarm.swarmJoinToken('manager')).toEqual([
      'docker',
      'swarm',
      'join-token',
      '-q',
      'manager',
    ]);
    expect(swarm.managerAddress('10.0.0.1')).toBe('10.0.0.1:2377');
    expect(swarm.managerAddress('2001:db8::1')).toBe('[2001:db8::1]:2377');
    expect(swarm.managerAddress('m1.example.com', 7946)).toBe('m1.example.com:7946');
    const token =
      'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx';
    expect(swarm.swarmJoin(token, '10.0.0.1:2377')).toEqual([
      'docker',
      'swarm',
      'join',
      '--token',
      token,
      '--',
      '10.0.0.1:2377',
    ]);
    expect(
      swarm.swarmJoin(token, '10.0.0.1:2377', { advertiseAddr: '10.0.0.2', listenAddr: 'eth1' }),
    ).toEqual([
      'docker',
      'swarm',
      'join',
      '--token',
      token,
      '--advertise-addr',
      '10.0.0.2',
      '--listen-addr',
      'eth1',
      '--',
      '10.0.0.1:2377',
    ]);
  });

  it('masks join tokens wherever they are printed, and nothing else', () => {
    const token =
      'SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx';
    expect(swarm.maskSwarmTokens(swarm.swarmJoin(token, '10.0.0.1:2377').join(' '))).toBe(
      'docker swarm join --token SWMTKN-[REDACTED] -- 10.0.0.1:2377',
    );
    expect(swarm.maskSwarmTokens(`a ${token}\nb ${token}`)).toBe(
      'a SWMTKN-[REDACTED]\nb SWMTKN-[REDACTED]',
    );
    expect(swarm.maskSwarmTokens('docker swarm leave')).toBe('docker swarm leave');
  });

  it('builds swarm leave, node inspect, update, rm and ps', () => {
    expect(swarm.swarmLeave()).toEqual(['docker', 'swarm', 'leave']);
    expect(swarm.swarmLeave({ force: true })).toEqual(['docker', 'swarm', 'leave', '--force']);
    expect(swarm.nodeInspect(['worker-1', 'n2def'])).toEqual([
      'docker',
      'node',
      'inspect',
      '--',
      'worker-1',
      'n2def',
    ]);
    expect(swarm.nodeAvailability('worker-1', 'drain')).toEqual([
      'docker',
      'node',
      'update',
      '--availability',
      'drain',
      '--',
      'worker-1',
    ]);
    expect(swarm.nodeAvailability('worker-1', 'active')).toEqual([
      'docker',
      'node',
      'update',
      '--availability',
      'active',
      '--',
      'worker-1',
    ]);
    expect(swarm.nodeLabelAdd('worker-1', 'disk', 'ssd')).toEqual([
      'docker',
      'node',
      'update',
      '--label-add',
      'disk=ssd',
      '--',
      'worker-1',
    ]);
    expect(swarm.nodeLabelRm('worker-1', 'disk')).toEqual([
      'docker',
      'node',
      'update',
      '--label-rm',
      'disk',
      '--',
      'worker-1',
    ]);
    expect(swarm.nodeRm('worker-1')).toEqual(['docker', 'node', 'rm', '--', 'worker-1']);
    expect(swarm.nodeRm('worker-1', { force: true })).toEqual([
      'docker',
      'node',
      'rm',
      '--force',
      '--',
      'worker-1',
    ]);
    expect(swarm.nodePs(['worker-1'])).toEqual([
      'docker',
      'node',
      'ps',
      '--no-trunc',
      '--format',
      '{{json .}}',
      '--',
      'worker-1',
    ]);
    expect(swarm.nodePs(['worker-1'], { running: true })).toEqual([
      'docker',
      'node',
      'ps',
      '--no-trunc',
      '--filter',
      'desired-state=running',
      '--format',
      '{{json .}}',
      '--',
      'worker-1',
    ]);
  });

  it('accepts plain node label keys only', () => {
    expect(swarm.isNodeLabelKey('disk')).toBe(true);
    expect(swarm.isNodeLabelKey('com.example.zone-1')).toBe(true);
    expect(swarm.isNodeLabelKey('a=b')).toBe(false);
    expect(swarm.isNodeLabelKey('--force')).toBe(false);
    expect(swarm.isNodeLabelKey('')).toBe(false);
  });

  it('creates and inspects the attachable overlay network', () => {
    expect(swarm.overlayNetworkCreate('traefik-public')).toEqual([
      'docker',
      'network',
      'create',
      '--driver',
      'overlay',
      '--attachable',
      '--',
      'traefik-public',
    ]);
    expect(swarm.networkInspect('traefik-public')).toEqual([
      'docker',
      'network',
      'inspect',
      '--format',
      '{{json .}}',
      '--',
      'traefik-public',
    ]);
  });

  it('ends options with -- before node and network names', () => {
    const tail = (argv: string[]) => argv.slice(argv.indexOf('--'));
    expect(tail(swarm.nodeInspect(['--help']))).toEqual(['--', '--help']);
    expect(tail(swarm.nodeAvailability('--help', 'drain'))).toEqual(['--', '--help']);
    expect(tail(swarm.nodeLabelAdd('--help', 'k', 'v'))).toEqual(['--', '--help']);
    expect(tail(swarm.nodeLabelRm('--help', 'k'))).toEqual(['--', '--help']);
    expect(tail(swarm.nodeRm('--help'))).toEqual(['--', '--help']);
    expect(tail(swarm.nodePs(['--help']))).toEqual(['--', '--help']);
    expect(tail(swarm.overlayNetworkCreate('--help'))).toEqual(['--', '--help']);
    expect(tail(swarm.swarmJoin('t', '--help'))).toEqual(['--', '--help']);
  });
});
