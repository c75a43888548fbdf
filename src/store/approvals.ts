import {
  commitColumns,
  overridesColumn,
  type Approval,
  type ApprovalAction,
  type Db,
  type RecordedCommit,
} from './db.js';

export interface NewApproval {
  readonly fleet: string;
  readonly action: ApprovalAction;
  readonly requester: string;
  readonly channel: string;
  readonly needed: number;
  readonly composeSnapshot: string;
  readonly fromVersion: number | null;
  readonly targetVersion: number | null;
  readonly timeoutSeconds: number;
  /** A git fleet's commit that the request would launch. */
  readonly commit?: RecordedCommit;
  /** Images the request would run instead of the compose's, by service. */
  readonly overrides?: ReadonlyMap<string, string>;
  /** A scale request's service and the replicas it asks for. */
  readonly scale?: { readonly service: string; readonly replicas: number };
}

const now = () => new Date().toISOString();

/**
 * Approval requests. Every change of state is one conditional UPDATE
 * (`... WHERE status = 'pending'`), so of two approvers pressing at the same
 * moment, in one process or two, exactly one wins.
 */
export class Approvals {
  constructor(private readonly db: Db) {}

  create(input: NewApproval): Promise<Approval> {
    const created = new Date();
    return this.db
      .insertInto('approvals')
      .values({
        fleet: input.fleet,
        action: input.action,
        status: 'pending',
        requester: input.requester,
        channel: input.channel,
        needed: input.needed,
        composeSnapshot: input.composeSnapshot,
        fromVersion: input.fromVersion,
        targetVersion: input.targetVersion,
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + input.timeoutSeconds * 1000).toISOString(),
        decidedBy: null,
        decidedAt: null,
        deploymentVersion: null,
        ...commitColumns(input.commit),
        ...overridesColumn(input.overrides),
        ...(input.scale
          ? { scaleService: input.scale.service, scaleReplicas: input.scale.replicas }
          : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The request, after marking it expired if its time is up. */
  async get(id: number): Promise<Approval | undefined> {
    await this.expireDue();
    return this.db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The fleet a request is for, without touching its state (for the role check). */
  async fleetOf(id: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('approvals')
      .select('fleet')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.fleet;
  }

  /** Who approved the requests that started these versions of `fleet`. */
  async approvedBy(fleet: string, versions: readonly number[]): Promise<Map<number, string>> {
    if (versions.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('approvals')
      .select(['deploymentVersion', 'decidedBy'])
      .where('fleet', '=', fleet)
      .where('deploymentVersion', 'in', versions)
      .execute();
    return new Map(
      rows.flatMap((r) =>
        r.deploymentVersion !== null && r.decidedBy ? [[r.deploymentVersion, r.decidedBy]] : [],
      ),
    );
  }

  /** Adds `approver`'s vote (once). Returns every approver so far, oldest first. */
  async vote(id: number, approver: string): Promise<{ added: boolean; approvers: string[] }> {
    const res = await this.db
      .insertInto('approval_votes')
      .values({ approvalId: id, approver, votedAt: now() })
      .onConflict((oc) => oc.columns(['approvalId', 'approver']).doNothing())
      .executeTakeFirst();
    return {
      added: Number(res.numInsertedOrUpdatedRows ?? 0) === 1,
      approvers: await this.approvers(id),
    };
  }

  async approvers(id: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('approval_votes')
      .select('approver')
      .where('approvalId', '=', id)
      .orderBy('votedAt')
      .orderBy('approver')
      .execute();
    return rows.map((r) => r.approver);
  }

  /** pending → approved, if still pending and not expired. True for the one caller that wins. */
  async claim(id: number, approvers: readonly string[]): Promise<boolean> {
    const at = now();
    const res = await this.db
      .updateTable('approvals')
      .set({ status: 'approved', decidedBy: approvers.join(', '), decidedAt: at })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('expiresAt', '>', at)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** pending → denied or stale. True when this call changed it. */
  async close(id: number, status: 'denied' | 'stale', by: string): Promise<boolean> {
    const res = await this.db
      .updateTable('approvals')
      .set({ status, decidedBy: by, decidedAt: now() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Records the deployment an approved request started. */
  async started(id: number, version: number): Promise<void> {
    await this.db
      .updateTable('approvals')
      .set({ deploymentVersion: version })
      .where('id', '=', id)
      .execute();
  }

  /** Marks every pending request whose time is up as expired, and returns them. */
  expireDue(): Promise<Approval[]> {
    const at = now();
    return this.db
      .updateTable('approvals')
      .set({ status: 'expired', decidedAt: at })
      .where('status', '=', 'pending')
      .where('expiresAt', '<=', at)
      .returningAll()
      .execute();
  }

  /**
   * Pending requests nobody drew yet that were made where there is no chat
   * message to draw them in (the HTTP API, a webhook): `webhook:*` and `token:*`.
   */
  async unposted(): Promise<Approval[]> {
    return this.db
      .selectFrom('approvals')
      .selectAll()
      .where('status', '=', 'pending')
      .where('messageRef', 'is', null)
      .where((eb) =>
        eb.or([eb('requester', 'like', 'webhook:%'), eb('requester', 'like', 'token:%')]),
      )
      .orderBy('id')
      .execute();
  }

  /** Remembers the chat message that shows request `id`. */
  async setMessage(id: number, ref: string): Promise<void> {
    await this.db
      .updateTable('approvals')
      .set({ messageRef: ref, messageDrawn: 'pending:0' })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Requests drawn on messages whose ref starts with `prefix` (`slack:`) that may
   * show an old state: every pending one (votes can change) and every decided one
   * not yet redrawn. Each comes with its approvers and the state it should show.
   */
  async cardsToRedraw(prefix: string): Promise<ApprovalCard[]> {
    const rows = await this.db
      .selectFrom('approvals')
      .selectAll()
      .where('messageRef', 'like', `${prefix}%`)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'pending'),
          eb('messageDrawn', 'is', null),
          eb('messageDrawn', '!=', eb.ref('status')),
        ]),
      )
      .execute();
    const cards: ApprovalCard[] = [];
    for (const a of rows) {
      const approvers = await this.approvers(a.id);
      const state = a.status === 'pending' ? `pending:${approvers.length}` : a.status;
      if (state !== a.messageDrawn) cards.push({ approval: a, approvers, state });
    }
    return cards;
  }

  /** Records that the request's message now shows `state`. */
  async drawn(id: number, state: string): Promise<void> {
    await this.db
      .updateTable('approvals')
      .set({ messageDrawn: state })
      .where('id', '=', id)
      .execute();
  }
}

/** A request whose chat message should be redrawn to show `state`. */
export interface ApprovalCard {
  readonly approval: Approval;
  readonly approvers: readonly string[];
  readonly state: string;
}
