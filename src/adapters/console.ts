import { createInterface } from 'node:readline';
import { dispatch, type Source } from '../commands/dispatch.js';
import type { Reply } from '../commands/types.js';
import { otto } from '../commands/voice.js';
import type { Ops } from '../ops/ops.js';
import { startExpirySweep } from '../watch/approval-sweep.js';
import { preflight } from '../watch/preflight.js';
import { renderText } from './text.js';

/** Prints only the lines of a progress reply that changed since the last one. */
export function progressPrinter(write: (line: string) => void): (r: Reply) => void {
  let last = new Set<string>();
  return (reply) => {
    const lines = renderText(reply).split('\n');
    for (const l of lines) if (!last.has(l)) write(l);
    last = new Set(lines);
  };
}

/**
 * The local chat: one line in, Otto's replies out, progress printed as it happens.
 * Ctrl-C stops a running command (the launch is marked interrupted); at the prompt it exits.
 */
export async function runConsole(ops: Ops, source: Source, shutdown?: AbortSignal): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'otto> ' });
  // Take the iterator now: it buffers lines typed (or piped) while the preflight runs.
  const lines = rl[Symbol.asyncIterator]();
  // Once stdin ends (piped input read to the end), readline is closed while the last
  // commands still run; Node 24+ throws if it is asked for a prompt after that.
  let closed = false;
  rl.on('close', () => (closed = true));
  const prompt = () => {
    if (!closed) rl.prompt();
  };
  const write = (line: string) => process.stdout.write(`${line}\n`);
  write(
    `${otto.prefix} Otto at Mission Control, listening as ${source.actor}. Type help, or Ctrl-D to leave.`,
  );
  for (const n of ops.notices) write(`ℹ️  ${n}`);
  if (ops.config.path === undefined)
    write(`ℹ️  ${otto.builtInDefault([...ops.config.fleets.keys()])}`);
  await preflight(ops, write);
  let running: AbortController | undefined;
  rl.on('SIGINT', () => {
    if (running) {
      write('Stopping the current command...');
      running.abort(new Error('interrupted'));
    } else rl.close();
  });
  shutdown?.addEventListener('abort', () => {
    running?.abort(shutdown.reason);
    rl.close();
  });
  const stopSweep = startExpirySweep(
    ops,
    (expired) => {
      write(`⌛ ${renderText(expired)}`);
      prompt();
    },
    write,
  );
  prompt();
  for await (const line of { [Symbol.asyncIterator]: () => lines }) {
    if (!line.trim()) {
      prompt();
      continue;
    }
    if (['exit', 'quit'].includes(line.trim())) break;
    running = new AbortController();
    const reply = await dispatch(ops, line, source, {
      progress: progressPrinter(write),
      stream: (followed) => followed.forEach(write),
      signal: running.signal,
    });
    running = undefined;
    write(renderText(reply));
    prompt();
  }
  stopSweep();
  rl.close();
}
