import { execa } from 'execa';
import { quoteArg } from '../../src/transport/ssh-transport.js';

/** A command on a pseudo-terminal (util-linux `script`): read what it shows, type answers. */
export interface Pty {
  /** Everything it showed so far, escape sequences and carriage returns taken out. */
  output(): string;
  /**
   * Waits until `text` shows after what earlier waits matched, then moves past it:
   * a prompt asked twice is waited for twice. Throws with the output after `ms`.
   */
  waitFor(text: string, ms?: number): Promise<void>;
  /** Types `line` and Enter. */
  type(line: string): void;
  /** Presses keys without Enter: `\u0003` is Ctrl-C. */
  press(keys: string): void;
  /** The command's exit code (script -e passes it on). */
  readonly exit: Promise<number>;
}

/** Cursor moves, screen clears and charset switches (ESC sequences), and carriage returns. */
const ESCAPES = new RegExp(String.raw`\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Za-z0-9]|\r`, 'g');

/**
 * Runs argv in a pseudo-terminal with `script -qfec CMD /dev/null` (util-linux, in
 * Debian's base system), so stdin and stderr are terminals as a person's would be.
 */
export function spawnPty(
  argv: readonly string[],
  options: { readonly cwd: string; readonly env?: Record<string, string> },
): Pty {
  const child = execa('script', ['-qfec', argv.map(quoteArg).join(' '), '/dev/null'], {
    cwd: options.cwd,
    env: { TERM: 'xterm', ...options.env },
    stdin: 'pipe',
    reject: false,
    buffer: false,
  });
  let raw = '';
  let cursor = 0;
  child.stdout?.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  const output = () => raw.replace(ESCAPES, '');
  const exit = child.then((r) => r.exitCode ?? -1);
  let exited = false;
  void exit.then(() => (exited = true));
  return {
    output,
    exit,
    async waitFor(text, ms = 60_000) {
      const end = Date.now() + ms;
      for (;;) {
        const at = output().indexOf(text, cursor);
        if (at >= 0) {
          cursor = at + text.length;
          return;
        }
        if (Date.now() > end || exited)
          throw new Error(
            `The terminal never showed "${text}"${exited ? ' (the command ended)' : ''}. It showed:\n${output()}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    type(line) {
      child.stdin?.write(`${line}\r`);
    },
    press(keys) {
      child.stdin?.write(keys);
    },
  };
}
