import type { RunOptions, RunResult, Transport } from './transport.js';

/**
 * With OTTO_TRACE=1, prints every docker call with when it started (ms since Otto's
 * process started, so the time before the first call shows too), its exit code and
 * its duration to stderr. Secrets travel on stdin, which is never printed; the few the docker CLI
 * takes only in argv (a Swarm join token) are named by the caller in `redact` and
 * printed as `[REDACTED]`.
 */
export class TracingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  get target(): string {
    return this.inner.target;
  }

  async run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    const t0 = performance.now();
    const at = Math.round(t0);
    const secret = new Set(options?.redact ?? []);
    const line = argv.map((w) => (secret.has(w) ? '[REDACTED]' : w)).join(' ');
    try {
      const r = await this.inner.run(argv, options);
      this.write(
        `[trace +${at}ms] ${line} → exit ${r.exitCode} in ${Math.round(performance.now() - t0)} ms`,
      );
      return r;
    } catch (e) {
      this.write(
        `[trace +${at}ms] ${line} → ${(e as Error).name} in ${Math.round(performance.now() - t0)} ms`,
      );
      throw e;
    }
  }

  warm(): Promise<void> {
    return this.inner.warm?.() ?? Promise.resolve();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
