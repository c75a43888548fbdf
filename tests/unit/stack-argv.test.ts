import { describe, expect, it } from 'vitest';
import * as swarm from '../../src/swarm/argv.js';

describe('docker argv builders for stacks Otto did not launch', () => {
  it('lists the stacks as JSON lines', () => {
    expect(swarm.stackLs()).toEqual(['docker', 'stack', 'ls', '--format', '{{json .}}']);
  });

  it("lists one stack's services by the label docker stack deploy sets", () => {
    expect(swarm.STACK_LABEL).toBe('com.docker.stack.namespace');
    expect(swarm.stackServiceLs('legacy')).toEqual([
      'docker',
      'service',
      'ls',
      '--filter',
      'label=com.docker.stack.namespace=legacy',
      '--format',
      '{{json .}}',
    ]);
  });

  it('inspects networks by id after --, one JSON object a line', () => {
    expect(swarm.networksInspect(['k2p0', 'x9y8'])).toEqual([
      'docker',
      'network',
      'inspect',
      '--format',
      '{{json .}}',
      '--',
      'k2p0',
      'x9y8',
    ]);
  });
});
