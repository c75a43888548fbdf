import { execa, type ResultPromise } from 'execa';
import { OTTO_BIN, TEST_KEY } from './workspace.js';

/** `otto start` running in the background, with its log collected. */
export interface OttoProcess {
  readonly pid: number;
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
  // Run as users do, through bin/otto.js's shebang (its node flags included).
  const child: ResultPromise = execa(OTTO_BIN, ['start', '--config', config], {
    cwd,
    reject: false,
    stdin: 'ignore',
    env: { OTTO_SECRET_KEY: TEST_KEY, ...env },
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    pid: child.pid ?? -1,
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
