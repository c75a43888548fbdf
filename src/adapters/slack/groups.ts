import type { OttoConfig } from '../../config/config.js';

/**
 * How long a user-group membership list is trusted: it is read again after this,
 * and if that read fails, group roles stop applying until one succeeds.
 */
export const GROUPS_TTL_MS = 60_000;

interface GroupsClient {
  usergroups: {
    list(args: { include_users: boolean }): Promise<{
      usergroups?: { id?: string; users?: string[] }[];
    }>;
  };
}

/** True when access rules name a Slack user group anywhere: only then is usergroups:read used. */
export function usesSlackGroups(config: OttoConfig): boolean {
  const keys = [
    ...config.access.keys(),
    ...[...config.fleets.values()].flatMap((f) => [...f.access.keys()]),
  ];
  return keys.some((k) => k.startsWith('slack-group:'));
}

/**
 * The user groups (`slack-group:S…`) a Slack user belongs to, read with one
 * usergroups.list call a minute. It fails closed: once the last list that Slack
 * returned is older than GROUPS_TTL_MS and a new one can't be read, users get no
 * group roles (fewer rights, never more) and the log says why.
 */
export class SlackGroups {
  private members = new Map<string, string[]>();
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly client: GroupsClient,
    private readonly enabled: boolean,
    private readonly log: (msg: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async of(user: string): Promise<string[]> {
    if (!this.enabled) return [];
    if (this.now() - this.readAt > GROUPS_TTL_MS) {
      this.reading ??= this.read().finally(() => {
        this.reading = undefined;
      });
      await this.reading;
    }
    // Still stale: the read failed, and a list that old may name people since removed.
    if (this.now() - this.readAt > GROUPS_TTL_MS) return [];
    return this.members.get(user) ?? [];
  }

  private async read(): Promise<void> {
    try {
      const res = await this.client.usergroups.list({ include_users: true });
      const members = new Map<string, string[]>();
      for (const g of res.usergroups ?? []) {
        if (!g.id) continue;
        for (const u of g.users ?? [])
          members.set(u, [...(members.get(u) ?? []), `slack-group:${g.id}`]);
      }
      this.members = members;
      this.readAt = this.now();
    } catch (e) {
      this.log(
        `otto: Slack user groups could not be read (${e instanceof Error ? e.message : String(e)}); group roles do not apply until they can.`,
      );
    }
  }
}
