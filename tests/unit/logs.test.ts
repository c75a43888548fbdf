import { describe, expect, it } from 'vitest';
import { explainIncomplete, fleetLogs } from '../../src/swarm/logs.js';
import { SecretMask } from '../../src/store/secret-mask.js';
import type { RunResult } from '../../src/transport/transport.js';
import { failed, RecordingTransport } from '../support/recording-transport.js';

/** Docker's own words when a node that ran tasks is down (daemon/cluster log subscription). */
const NODE_DOWN =
  'error from daemon in stream: Error grabbing logs: rpc error: code = Unknown desc = warning: incomplete log stream. some logs could not be retrieved for the following reasons: node kirvqb5ndj4lfw02prx3vecu3 is not available';

/** A manager whose `docker service logs` answers per service (the last argv word). */
function answering(byService: Record<string, RunResult>): RecordingTransport {
  return new RecordingTransport({
    'service logs': (argv) =>
      byService[argv[argv.length - 1] ?? ''] ?? failed('Error: no such service'),
  });
}

describe('fleetLogs', () => {
  it('says which node is down when the log stream is incomplete, and keeps the lines it got', async () => {
    const t = answering({
      a_web: {
        exitCode: 0,
        stdout: 'a_web.1@n1    | hello\n',
        stderr: `a_web.2@n1    | oops on stderr\n${NODE_DOWN}\n`,
      },
    });
    const r = await fleetLogs(t, 'a', ['web'], { tail: 50 }, new SecretMask([]));
    expect(r.lines).toEqual(['a_web.1@n1    | hello', 'a_web.2@n1    | oops on stderr']);
    expect(r.incomplete).toBe('node kirvqb5ndj4lfw02prx3vecu3 is down');
    expect(t.argvs()).toEqual([
      ['docker', 'service', 'logs', '--no-task-ids', '--tail', '50', '--', 'a_web'],
    ]);
  });

  it('masks secrets, prefixes lines per service and lists services not in the Swarm', async () => {
    const t = answering({
      a_web: { exitCode: 0, stdout: 'a_web.1@n1    | token=abcd1234\n', stderr: '' },
    });
    const r = await fleetLogs(
      t,
      'a',
      ['web', 'db'],
      { tail: 5, since: '10m' },
      new SecretMask(['abcd1234']),
    );
    expect(r.lines).toEqual(['web | a_web.1@n1    | token=••••••']);
    expect(r.missing).toEqual(['db']);
    expect(r.incomplete).toBeUndefined();
  });

  it('shows what arrived when docker waits for ever on a node that is cut off', async () => {
    const t = answering({
      a_web: { exitCode: 124, stdout: 'a_web.1@n1    | early line\n', stderr: '', timedOut: true },
    });
    const r = await fleetLogs(t, 'a', ['web'], { tail: 50 }, new SecretMask([]));
    expect(r.lines).toEqual(['a_web.1@n1    | early line']);
    expect(r.incomplete).toBe(
      'docker service logs of web did not finish within 10 s: a node that ran its tasks may be unreachable',
    );
  });

  it("reads Docker's 'no such task or service' as a service not in the Swarm", async () => {
    const t = answering({
      a_db: { exitCode: 1, stdout: '', stderr: 'Error: no such task or service: a_db\n' },
    });
    const r = await fleetLogs(t, 'a', ['db'], { tail: 5 }, new SecretMask([]));
    expect(r.missing).toEqual(['db']);
    expect(r.incomplete).toBeUndefined();
  });

  it('keeps unscheduled tasks as a reason', () => {
    expect(
      explainIncomplete(
        'warning: incomplete log stream. some logs could not be retrieved for the following reasons: task r8dr has not been scheduled',
      ),
    ).toBe('task r8dr has not been scheduled');
  });
});
