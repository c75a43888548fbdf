/**
 * Remembers ids for a while, to run a platform's redelivery of the same request
 * (a Slack retry, a Socket Mode envelope sent again) only once.
 */
export class Seen {
  private readonly at = new Map<string, number>();

  constructor(private readonly ttlMs: number) {}

  /** True the first time `id` is seen within the ttl. */
  first(id: string): boolean {
    const now = Date.now();
    if (this.at.size > 1000) {
      for (const [k, t] of this.at) if (now - t > this.ttlMs) this.at.delete(k);
    }
    const t = this.at.get(id);
    if (t !== undefined && now - t <= this.ttlMs) return false;
    this.at.set(id, now);
    return true;
  }
}
