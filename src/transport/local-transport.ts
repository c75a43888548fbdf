import { UnreachableError } from '../errors.js';
import { MAX_OUTPUT_BYTES } from './bounded-output.js';
import { utf8Chunks } from './utf8-chunks.js';
import {
  DEFAULT_TIMEOUT_MS,
  type RunOptions,
  type RunResult,
  type Transport,
} from './transport.js';

/** Runs argv on this machine with execa: no shell, arguments passed as they are. */
export class LocalTransport implements Transport {
  readonly target = 'this machine';

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const [file, ...args] = argv;
    if (!file) throw new Error('empty argv');
    const { execa } = await import('execa');
    const input = options.stdin;
    const later = typeof input === 'object' ? input : undefined;
    const running = execa(file, args, {
      ...(typeof input === 'object' ? { stdin: 'pipe' as const } : { input: input ?? '' }),
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      cancelSignal: options.signal,
      reject: false,
      stripFinalNewline: false,
      buffer: { stdout: !options.onStdout, stderr: !options.onStderr },
      // Past this, execa stops the command and keeps what came first.
      maxBuffer: MAX_OUTPUT_BYTES,
    });
    later?.then(
      (text) => running.stdin?.end(text),
      () => {
        running.kill('SIGTERM');
        running.stdin?.end();
      },
    );
    if (options.onStdout) running.stdout?.on('data', utf8Chunks(options.onStdout));
    if (options.onStderr) running.stderr?.on('data', utf8Chunks(options.onStderr));
    const result = await running;
    if (result.isCanceled) throw options.signal?.reason ?? new Error('cancelled');
    if (result.code === 'ENOENT') {
      throw new UnreachableError(
        this.target,
        'not found',
        `Otto can't find the ${file} command on this machine.`,
        `Install the ${file} CLI, or point the cluster at a remote manager in otto.yml.`,
      );
    }
    if (result.timedOut && !options.partialOnTimeout) {
      throw new UnreachableError(
        this.target,
        'timed out',
        `${file} did not answer within ${Math.round((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s.`,
      );
    }
    // Cut at the limit: the last, partial line is dropped so no value shows cut in half.
    const whole = (t: unknown) => {
      const text = String(t ?? '');
      return result.isMaxBuffer ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
    };
    return {
      exitCode: result.exitCode ?? 1,
      stdout: whole(result.stdout),
      stderr: whole(result.stderr),
      ...(result.timedOut ? { exitCode: 124, timedOut: true } : {}),
    };
  }

  async close(): Promise<void> {}
}
