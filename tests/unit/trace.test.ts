import { describe, expect, it } from 'vitest';
import { TracingTransport } from '../../src/transport/trace.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';

describe('OTTO_TRACE', () => {
  it('prints every call, and the argv words a caller names secret as [REDACTED]', async () => {
    const lines: string[] = [];
    const t = new TracingTransport(new RecordingTransport({ swarm: ok() }), (l) => lines.push(l));
    await t.run(['docker', 'swarm', 'join', '--token', 'SWMTKN-1-abc-def', '--', '10.0.0.1:2377'], {
      redact: ['SWMTKN-1-abc-def'],
    });
    await t.run(['docker', 'service', 'ls']);
    expect(lines[0]).toMatch(
      /^\[trace \+\d+ms\] docker swarm join --token \[REDACTED\] -- 10\.0\.0\.1:2377 → exit 0 in \d+ ms$/,
    );
    expect(lines[1]).toMatch(/docker service ls → exit 0/);
    expect(lines.join('\n')).not.toContain('SWMTKN-1-abc-def');
  });
});
