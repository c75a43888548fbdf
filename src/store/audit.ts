import type { AuditEntry, AuditOutcome, Db } from './db.js';

export interface NewAuditEntry {
  readonly actor: string;
  readonly platform: string;
  readonly channel: string;
  readonly command: string;
  readonly fleet: string | null;
  readonly outcome: AuditOutcome;
  readonly summary: string;
  readonly durationMs: number;
}

/** Longest command or summary text kept in the log. */
const MAX_TEXT = 500;

/** Every command ever run. Append-only: the database refuses UPDATE and DELETE. */
export class AuditLog {
  constructor(private readonly db: Db) {}

  async record(e: NewAuditEntry): Promise<void> {
    await this.db
      .insertInto('audit')
      .values({
        at: new Date().toISOString(),
        actor: e.actor,
        platform: e.platform,
        channel: e.channel,
        command: e.command.slice(0, MAX_TEXT),
        fleet: e.fleet,
        outcome: e.outcome,
        summary: e.summary.slice(0, MAX_TEXT),
        durationMs: Math.round(e.durationMs),
      })
      .execute();
  }

  /** Newest first. */
  list(options: { fleet?: string | undefined; limit: number }): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit').selectAll();
    if (options.fleet) q = q.where('fleet', '=', options.fleet);
    return q.orderBy('id', 'desc').limit(options.limit).execute();
  }
}
