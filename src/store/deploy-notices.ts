import type { Db } from './db.js';
import type { IncidentRefs } from './incidents.js';

/** Launch announcements: each launch claimed once at its start and once at its end, with where it was drawn. */
export class DeployNotices {
  constructor(private readonly db: Db) {}

  /** Claims the announcement of a launch's start; false when it was already made. */
  async claimStart(deploymentId: number): Promise<boolean> {
    const r = await this.db
      .insertInto('deploy_notices')
      .values({ deploymentId: deploymentId })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Claims the announcement of a launch's end; returns where its start was drawn, or undefined when already claimed. */
  async claimEnd(deploymentId: number): Promise<IncidentRefs | undefined> {
    await this.claimStart(deploymentId);
    const r = await this.db
      .updateTable('deploy_notices')
      .set({ finished: 1 })
      .where('deploymentId', '=', deploymentId)
      .where('finished', '=', 0)
      .returning('refs')
      .executeTakeFirst();
    return r ? (JSON.parse(r.refs) as IncidentRefs) : undefined;
  }

  async setRefs(deploymentId: number, refs: IncidentRefs): Promise<void> {
    await this.db
      .updateTable('deploy_notices')
      .set({ refs: JSON.stringify(refs) })
      .where('deploymentId', '=', deploymentId)
      .execute();
  }
}
