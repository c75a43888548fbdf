import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ComposeError } from '../../src/errors.js';
import { parseCompose } from '../../src/swarm/compose.js';
import {
  COMPOSE_MAX_BYTES,
  decodeCompose,
  readFleetCompose,
} from '../../src/swarm/fleet-compose.js';

const COMPOSE = 'services:\n  web:\n    image: nginx\n';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'otto-compose-'));
}

/** The refusal a promise ends in, or a failed test if it resolves. */
async function refusal(p: Promise<unknown>): Promise<ComposeError> {
  const e: unknown = await p.then(
    () => new Error('expected a ComposeError'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ComposeError);
  return e as ComposeError;
}

/** Fails the test unless `p` settles within `ms`: a read that hangs would otherwise hang the suite. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('readFleetCompose', () => {
  it('reads a regular UTF-8 file', async () => {
    const d = dir();
    writeFileSync(join(d, 'web.yml'), COMPOSE);
    expect(await readFleetCompose('web', join(d, 'web.yml'))).toBe(COMPOSE);
  });

  it('refuses /dev/zero at once instead of reading for ever', async () => {
    const e = await within(refusal(readFleetCompose('z', '/dev/zero')), 10_000);
    expect(e.message).toBe(
      "Otto can't read the compose file of fleet z (/dev/zero): it is a device, not a regular file.",
    );
    expect(e.fix).toContain('compose_file');
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const d = dir();
    const fifo = join(d, 'stack.yml');
    execFileSync('mkfifo', [fifo]);
    const e = await within(refusal(readFleetCompose('f', fifo)), 10_000);
    expect(e.message).toContain('it is a pipe (FIFO), not a regular file');
  });

  it('refuses a directory and says when the file is missing', async () => {
    const d = dir();
    mkdirSync(join(d, 'stacks'));
    expect((await refusal(readFleetCompose('d', join(d, 'stacks')))).message).toContain(
      'it is a directory',
    );
    expect((await refusal(readFleetCompose('m', join(d, 'nope.yml')))).message).toContain(
      'there is no such file',
    );
  });

  it(`reads a file of exactly ${COMPOSE_MAX_BYTES} bytes and refuses one byte more`, async () => {
    const d = dir();
    const padded = (n: number) => COMPOSE + '#'.repeat(n - COMPOSE.length - 1) + '\n';
    writeFileSync(join(d, 'max.yml'), padded(COMPOSE_MAX_BYTES));
    writeFileSync(join(d, 'big.yml'), padded(COMPOSE_MAX_BYTES + 1));
    const max = await readFleetCompose('max', join(d, 'max.yml'));
    expect(max).toHaveLength(COMPOSE_MAX_BYTES);
    const e = await refusal(readFleetCompose('big', join(d, 'big.yml')));
    expect(e.message).toBe(
      `The compose file of fleet big (${join(d, 'big.yml')}) is larger than 1 MiB, Otto's limit; Otto did not use it.`,
    );
  });

  it('refuses a Latin-1 file, naming the byte offset and line, instead of deploying U+FFFD', async () => {
    const d = dir();
    const latin1 = Buffer.from(
      'services:\n  web:\n    image: nginx\n    environment:\n      GREETING: "ol\xe9"\n',
      'latin1',
    );
    writeFileSync(join(d, 'web.yml'), latin1);
    const e = await refusal(readFleetCompose('web', join(d, 'web.yml')));
    const offset = latin1.indexOf(0xe9);
    expect(e.message).toBe(
      `Configuration error: ${join(d, 'web.yml')} is not UTF-8 text: the byte at offset ${offset} (line 5) is 0xe9, which UTF-8 does not allow there.`,
    );
    expect(e.fix).toContain('UTF-8');
  });
});

describe('decodeCompose', () => {
  it('accepts a UTF-8 byte order mark and drops it', () => {
    const text = decodeCompose(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(COMPOSE)]),
      'x.yml',
    );
    expect(text).toBe(COMPOSE);
    expect(parseCompose(text, 'x.yml').services.get('web')?.image).toBe('nginx');
  });

  it('keeps UTF-8 text, replacement character included, as it is', () => {
    const text = 'services:\n  web:\n    image: nginx\n    labels: [otter=🦦, odd=\ufffd]\n';
    expect(decodeCompose(Buffer.from(text), 'x.yml')).toBe(text);
  });

  it('points at the first byte of a broken character, a stray byte, or a cut-off end', () => {
    const at = (bytes: number[]) => {
      try {
        decodeCompose(Buffer.from(bytes), 'x.yml');
      } catch (e) {
        return /offset (\d+) \(line (\d+)\) is (0x[0-9a-f]{2})/
          .exec((e as Error).message)
          ?.slice(1);
      }
      throw new Error('expected a refusal');
    };
    expect(at([0x61, 0x0a, 0xc3, 0x28])).toEqual(['2', '2', '0xc3']); // lead byte, no continuation
    expect(at([0x61, 0x62, 0x80, 0x63])).toEqual(['2', '1', '0x80']); // continuation on its own
    expect(at([0x61, 0xff])).toEqual(['1', '1', '0xff']); // never valid
    expect(at([0x61, 0x0a, 0x0a, 0xe2, 0x82])).toEqual(['3', '3', '0xe2']); // the file ends mid-character
  });

  it('says when a file is UTF-16', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(COMPOSE, 'utf16le')]);
    expect(() => decodeCompose(utf16, 'x.yml')).toThrow(
      'Configuration error: x.yml is UTF-16 text; Otto reads compose files in UTF-8 only.',
    );
  });
});
