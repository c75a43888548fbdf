import { execa, type ResultPromise } from 'execa';
import { OTTO_BIN, TEST_KEY } from './workspace.js';

/** `otto start` running in the background, with its log collected. */
export interface OttoProcess {
  readonly log: () => string;
  /** Resolves when the log contains `text`. */
  waitForLog(text: string, ms?: number): Promise<void>;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number>;
}

export function startOtto(
  config: string,
  cwd: string,
  env: Record<string, string> = {},
): OttoProcess {
  let out = '';
  const child: ResultPromise = execa('node', [OTTO_BIN, 'start', '--config', config], {
    cwd,
    reject: false,
    stdin: 'ignore',
    env: { OTTO_SECRET_KEY: TEST_KEY, ...env },
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    log: () => out,
    async waitForLog(text, ms = 60_000) {
      const end = Date.now() + ms;
      while (!out.includes(text)) {
        if (Date.now() > end || child.exitCode !== null)
          throw new Error(`otto never logged "${text}". Log:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      const r = await child;
      return r.exitCode ?? -1;
    },
  };
}
