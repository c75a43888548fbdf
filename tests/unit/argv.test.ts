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
