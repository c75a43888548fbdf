/**
 * Most bytes kept of one stream a command prints: `docker service logs --tail 1000`
 * of a chatty service, or a huge `inspect`, must not grow Otto's memory without end.
 * 8 MiB holds 1000 log lines of 8 KB each.
 */
export const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * Collects a stream's chunks, keeping at most `max` bytes: the newest ones (logs end
 * with what matters). Once something was dropped, the first, partial line is
 * dropped too, so that no value is shown cut in half (a half secret escapes masking).
 */
export class BoundedOutput {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes left out. */
  dropped = 0;

  constructor(private readonly max: number = MAX_OUTPUT_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const over = this.size - this.max;
      if (first.length <= over) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.size -= over;
        this.dropped += over;
      }
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks).toString('utf8');
    if (this.dropped === 0) return all;
    const cut = all.indexOf('\n');
    return cut < 0 ? '' : all.slice(cut + 1);
  }
}
