/**
 * One line of jobs per target, run in the background in the order given: a slow
 * or dead receiver holds up neither the watcher nor the other targets, and an
 * incident's recovery never overtakes its alert. A line holds at most `max` jobs.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, number>();
  private readonly stopping = new AbortController();
  private closing = false;
  /** Jobs that never ran because Otto was stopping. */
  dropped = 0;

  constructor(private readonly max = 100) {}

  /** Queues a job behind the line's others; false when the line is full or closing. */
  push(line: string, job: (signal: AbortSignal) => Promise<void>): boolean {
    const n = this.pending.get(line) ?? 0;
    if (n >= this.max || this.closing) return false;
    this.pending.set(line, n + 1);
    const tail: Promise<void> = (this.tails.get(line) ?? Promise.resolve())
      .then(() => {
        // Past the time to close: what is still queued is dropped, not tried one by one.
        if (this.stopping.signal.aborted) {
          this.dropped++;
          return;
        }
        return job(this.stopping.signal);
      })
      .catch(() => {})
      .finally(() => {
        const left = (this.pending.get(line) ?? 1) - 1;
        if (left > 0) this.pending.set(line, left);
        else this.pending.delete(line);
        if (this.tails.get(line) === tail) this.tails.delete(line);
      });
    this.tails.set(line, tail);
    return true;
  }

  /** Resolves when every job queued so far has ended. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }

  /** Takes no more jobs, lets the queued ones run for at most `ms`, then stops the rest. */
  async close(ms: number): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
    await Promise.race([this.idle(), late]);
    clearTimeout(timer);
    this.stopping.abort(new Error('Otto is stopping'));
    await this.idle();
  }
}
