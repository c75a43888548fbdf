import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ComposeError } from '../errors.js';

/**
 * The largest compose file Otto reads: 1 MiB. Real compose files are a few KB (a
 * large one is tens of KB); every launch keeps its compose in the database and in
 * its approval request, and sends it over SSH, so a bigger file is a mistake (a
 * log or a binary named by compose_file) or an attack, not a fleet.
 */
export const COMPOSE_MAX_BYTES = 1024 * 1024;

/**
 * Decodes compose bytes as UTF-8, refusing anything else rather than deploying
 * replacement characters. A UTF-8 byte order mark is accepted and dropped.
 * @example decodeCompose(Buffer.from('services: {}\n'), 'stacks/web.yml')
 */
export function decodeCompose(bytes: Uint8Array, label: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidByte(bytes);
    const line = 1 + bytes.subarray(0, at).filter((b) => b === 0x0a).length;
    const bom = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
    const hex = (bytes[at] ?? 0).toString(16).padStart(2, '0');
    throw new ComposeError(
      bom === 0xfffe || bom === 0xfeff
        ? `Configuration error: ${label} is UTF-16 text; Otto reads compose files in UTF-8 only.`
        : `Configuration error: ${label} is not UTF-8 text: the byte at offset ${at} (line ${line}) is 0x${hex}, which UTF-8 does not allow there.`,
      'Save the file as UTF-8 (iconv -f latin1 -t utf-8 converts Latin-1, for example) and launch again.',
    );
  }
}

/** The offset of the first byte that makes `bytes` invalid UTF-8: where the bad character starts. */
function firstInvalidByte(bytes: Uint8Array): number {
  const decodes = (n: number, stream: boolean) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream });
      return true;
    } catch {
      return false;
    }
  };
  // The first byte of the last character of bytes[0, end): skip continuation bytes.
  const charStart = (end: number) => {
    let i = end - 1;
    while (i > 0 && end - i < 4 && ((bytes[i] ?? 0) & 0xc0) === 0x80) i--;
    return i;
  };
  // With `stream`, a prefix may end inside a character: "valid so far" holds up to
  // some length and never after it, so a binary search finds that length.
  if (decodes(bytes.length, true)) return charStart(bytes.length);
  let lo = 0;
  let hi = bytes.length;
  while (lo + 1 < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (decodes(mid, true)) lo = mid;
    else hi = mid;
  }
  // bytes[hi - 1] broke it: a bad byte on its own, or one that cut a character short.
  return decodes(hi - 1, false) ? hi - 1 : charStart(hi - 1);
}

/**
 * Reads a fleet's compose file as it is on disk now: a regular file of at most
 * {@link COMPOSE_MAX_BYTES}, in UTF-8. A device, FIFO or directory is refused at
 * once, without waiting on it.
 */
export async function readFleetCompose(fleet: string, path: string): Promise<string> {
  const cantRead = (why: string) =>
    new ComposeError(
      `Otto can't read the compose file of fleet ${fleet} (${path}): ${why}.`,
      'Check compose_file in otto.yml: it must name a YAML file.',
    );
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw cantRead(
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : `it can't be opened (${code ?? 'error'})`,
    );
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      throw cantRead(
        st.isDirectory()
          ? 'it is a directory'
          : st.isFIFO()
            ? 'it is a pipe (FIFO), not a regular file'
            : st.isSocket()
              ? 'it is a socket, not a regular file'
              : 'it is a device, not a regular file',
      );
    }
    const tooBig = () =>
      new ComposeError(
        `The compose file of fleet ${fleet} (${path}) is larger than ${COMPOSE_MAX_BYTES / 1024 / 1024} MiB, Otto's limit; Otto did not use it.`,
        'Check compose_file in otto.yml: a compose file is a few KB.',
      );
    if (st.size > COMPOSE_MAX_BYTES) throw tooBig();
    // One byte more than allowed: a file that grew after stat is refused too.
    const buf = Buffer.alloc(COMPOSE_MAX_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > COMPOSE_MAX_BYTES) throw tooBig();
    }
    return decodeCompose(buf.subarray(0, length), path);
  } catch (e) {
    if (e instanceof ComposeError) throw e;
    throw cantRead(`reading it failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await handle.close();
  }
}
