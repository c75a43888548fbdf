import { describe, expect, it } from 'vitest';
import {
  OLD_CLI_COMPOSE_VERSION,
  refusedForMissingVersion,
  sendCompose,
  withVersionLine,
} from '../../src/swarm/compose-version.js';

// Docker CLIs before 23.0 (Debian 12's docker.io is 20.10) read a file without
// `version:` as 1.0 and refuse it; Otto then sends it once more with version 3.9.
// The real CLI 20.10 is in tests/e2e/outpost-install.test.ts.

const TEXT = 'services:\n  web:\n    image: nginx\n';
const OLD_CLI = 'unsupported Compose file version: 1.0\n';

describe('sendCompose', () => {
  it('sends the file as it is when the CLI takes it', async () => {
    const sent: string[] = [];
    const r = await sendCompose(TEXT, async (t) => {
      sent.push(t);
      return { exitCode: 0, stderr: '' };
    });
    expect(r.exitCode).toBe(0);
    expect(sent).toEqual([TEXT]);
  });

  it('sends it again with version 3.9 when an old CLI refuses it for the missing line', async () => {
    const sent: string[] = [];
    const r = await sendCompose(TEXT, async (t) => {
      sent.push(t);
      return t.startsWith('version:')
        ? { exitCode: 0, stderr: '' }
        : { exitCode: 1, stderr: OLD_CLI };
    });
    expect(r.exitCode).toBe(0);
    expect(sent).toEqual([TEXT, `version: "3.9"\n${TEXT}`]);
    expect(OLD_CLI_COMPOSE_VERSION).toBe('3.9');
  });

  it('does not try again for any other refusal, a timeout, or a file with its own version', async () => {
    for (const [text, answer] of [
      [TEXT, { exitCode: 1, stderr: 'services.web.ports must be a list\n' }],
      [TEXT, { exitCode: 124, stderr: OLD_CLI, timedOut: true }],
      [withVersionLine(TEXT), { exitCode: 1, stderr: OLD_CLI }],
    ] as const) {
      const sent: string[] = [];
      const r = await sendCompose(text, async (t) => {
        sent.push(t);
        return answer;
      });
      expect(r).toBe(answer);
      expect(sent).toEqual([text]);
    }
  });

  it('reads the refusal only for a file with no version line', () => {
    expect(refusedForMissingVersion(OLD_CLI, TEXT)).toBe(true);
    expect(refusedForMissingVersion('unsupported Compose file version: 1.01', TEXT)).toBe(false);
    expect(refusedForMissingVersion(OLD_CLI, 'version: "3"\n' + TEXT)).toBe(false);
  });
});
