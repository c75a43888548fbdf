import {
  commitColumns,
  overridesColumn,
  type Db,
  type Deployment,
  type DeploymentImage,
  type DeploymentStatus,
  type RecordedCommit,
} from './db.js';
import { HOSTNAME, ownerIsDead, type Owner } from './process-alive.js';
import { fleetLabel, launches, launchSeconds } from '../metrics.js';

export interface StartDeployment {
  readonly fleet: string;
  readonly actor: string;
  readonly composeSnapshot: string;
  readonly rollbackOf?: number;
  /** The compose as Docker receives it, secrets masked. */
  readonly renderedCompose?: string;
  /** A git fleet's commit that this launch deploys. */
  readonly commit?: RecordedCommit;
  /** Images given for this launch, by service. */
  readonly overrides?: ReadonlyMap<string, string>;
}

/** What one service of a launch ran: the rendered reference and, from a registry, its digest. */
export type RanImage = Omit<DeploymentImage, 'deploymentId'>;

/**
 * The images a return to a recorded launch runs, by service: `repo:tag@sha256:…`
 * for each service that had a digest. Services without one (local images) are
 * left out: their return runs the tag.
 *
 * @example pinsOf([{ service: 'web', image: 'reg/app:1', digest: 'sha256:ab…' }]) // web → reg/app:1@sha256:ab…
 */
export function pinsOf(images: readonly RanImage[]): Map<string, string> {
  return new Map(
    images.filter((i) => i.digest !== null).map((i) => [i.service, `${i.image}@${i.digest}`]),
  );
}

/** The deployment history: one row a launch, numbered per fleet. */
export class Deployments {
  constructor(private readonly db: Db) {}

  /** Records a `deploying` row with the next version number of the fleet. */
  start(input: StartDeployment): Promise<Deployment> {
    return this.db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('deployments')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('fleet', '=', input.fleet)
        .executeTakeFirst();
      return trx
        .insertInto('deployments')
        .values({
          fleet: input.fleet,
          version: Number(last?.v ?? 0) + 1,
          status: 'deploying',
          actor: input.actor,
          composeSnapshot: input.composeSnapshot,
          reason: null,
          rollbackOf: input.rollbackOf ?? null,
          renderedCompose: input.renderedCompose ?? null,
          pid: process.pid,
          hostname: HOSTNAME,
          startedAt: new Date().toISOString(),
          finishedAt: null,
          durationMs: null,
          ...commitColumns(input.commit),
          ...overridesColumn(input.overrides),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }

  /**
   * Launches that are news at `since`: still deploying, or started or ended since
   * then (oldest first), for launch announcements.
   */
  news(since: string): Promise<Deployment[]> {
    return this.db
      .selectFrom('deployments')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('status', '=', 'deploying'),
          eb('startedAt', '>=', since),
          eb('finishedAt', '>=', since),
        ]),
      )
      .orderBy('id')
      .execute();
  }

  async finish(
    row: Deployment,
    status: Exclude<DeploymentStatus, 'deploying'>,
    reason: string | null,
  ): Promise<Deployment> {
    const finished = new Date();
    const done = await this.db
      .updateTable('deployments')
      .set({
        status,
        reason,
        finishedAt: finished.toISOString(),
        durationMs: finished.getTime() - Date.parse(row.startedAt),
      })
      .where('id', '=', row.id)
      .where('status', '=', 'deploying')
      .returningAll()
      .executeTakeFirstOrThrow();
    launches.inc({ fleet: fleetLabel(done.fleet), outcome: status });
    launchSeconds.observe({ outcome: status }, (done.durationMs ?? 0) / 1000);
    return done;
  }

  /** Records what each service of a launch ran (replacing what was recorded before). */
  recordImages(deploymentId: number, images: readonly RanImage[]): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('deployment_images').where('deploymentId', '=', deploymentId).execute();
      if (images.length === 0) return;
      await trx
        .insertInto('deployment_images')
        .values(images.map((i) => ({ ...i, deploymentId })))
        .execute();
    });
  }

  /** What each service of a launch ran, by service name; empty for launches not recorded. */
  async images(deploymentId: number): Promise<RanImage[]> {
    return (await this.imagesOf([deploymentId])).get(deploymentId) ?? [];
  }

  /** What each service of `fleet` v`version` ran; empty when that version recorded nothing. */
  async imagesAt(fleet: string, version: number): Promise<RanImage[]> {
    const d = await this.get(fleet, version);
    return d ? this.images(d.id) : [];
  }

  /** {@link images} of several launches at once: deployment id → images. */
  async imagesOf(deploymentIds: readonly number[]): Promise<Map<number, RanImage[]>> {
    const out = new Map<number, RanImage[]>();
    if (deploymentIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('deployment_images')
      .selectAll()
      .where('deploymentId', 'in', [...deploymentIds])
      .orderBy('deploymentId')
      .orderBy('service')
      .execute();
    for (const { deploymentId, ...image } of rows) {
      out.set(deploymentId, [...(out.get(deploymentId) ?? []), image]);
    }
    return out;
  }

  list(fleet: string, limit: number): Promise<Deployment[]> {
    return this.db
      .selectFrom('deployments')
      .selectAll()
      .where('fleet', '=', fleet)
      .orderBy('version', 'desc')
      .limit(limit)
      .execute();
  }

  /** The fleet's newest deployment, whatever its status. */
  latest(fleet: string): Promise<Deployment | undefined> {
    return this.db
      .selectFrom('deployments')
      .selectAll()
      .where('fleet', '=', fleet)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  get(fleet: string, version: number): Promise<Deployment | undefined> {
    return this.db
      .selectFrom('deployments')
      .selectAll()
      .where('fleet', '=', fleet)
      .where('version', '=', version)
      .executeTakeFirst();
  }

  /** Successful deployments older than `before` (all when undefined), newest first. */
  succeeded(fleet: string, limit: number, before?: number): Promise<Deployment[]> {
    let q = this.db
      .selectFrom('deployments')
      .selectAll()
      .where('fleet', '=', fleet)
      .where('status', '=', 'succeeded');
    if (before !== undefined) q = q.where('version', '<', before);
    return q.orderBy('version', 'desc').limit(limit).execute();
  }

  /** The newest deployment of each fleet. */
  async latestByFleet(): Promise<Map<string, Deployment>> {
    const rows = await this.db
      .selectFrom('deployments as d')
      .selectAll()
      .where(({ eb, selectFrom }) =>
        eb(
          'd.version',
          '=',
          selectFrom('deployments as e')
            .select((x) => x.fn.max('e.version').as('m'))
            .whereRef('e.fleet', '=', 'd.fleet'),
        ),
      )
      .execute();
    return new Map(rows.map((r) => [r.fleet, r]));
  }

  /** Marks `deploying` rows of dead processes on this machine, and of `gone`, `interrupted`. */
  async reapInterrupted(gone?: Owner): Promise<Deployment[]> {
    const rows = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('status', '=', 'deploying')
      .where('hostname', 'in', [HOSTNAME, gone?.hostname ?? HOSTNAME])
      .execute();
    const dead = rows.filter((r) => ownerIsDead(r, gone));
    for (const d of dead) {
      await this.finish(d, 'interrupted', 'Otto stopped before the launch finished.');
    }
    return dead;
  }
}
