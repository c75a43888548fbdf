import { describe, expect, it } from 'vitest';
import { GROUPS_TTL_MS, SlackGroups } from '../../src/adapters/slack/groups.js';

/** A usergroups.list that answers with `groups`, or fails while `down` is set. */
function fakeSlack(groups: Record<string, string[]>) {
  const state = { down: false, calls: 0 };
  const client = {
    usergroups: {
      list: async () => {
        state.calls++;
        if (state.down) throw new Error('An API error occurred: ratelimited');
        return { usergroups: Object.entries(groups).map(([id, users]) => ({ id, users })) };
      },
    },
  };
  return { client, state };
}

describe('Slack user groups', () => {
  it('reads the groups once a minute', async () => {
    let now = 1_000_000;
    const { client, state } = fakeSlack({ S0OPS: ['UCAROL'], S0DEV: ['UCAROL', 'UDAN'] });
    const groups = new SlackGroups(
      client,
      true,
      () => {},
      () => now,
    );
    expect(await groups.of('UCAROL')).toEqual(['slack-group:S0OPS', 'slack-group:S0DEV']);
    expect(await groups.of('UDAN')).toEqual(['slack-group:S0DEV']);
    expect(await groups.of('UEVE')).toEqual([]);
    now += GROUPS_TTL_MS;
    await groups.of('UDAN');
    expect(state.calls).toBe(1);
    now += 1;
    await groups.of('UDAN');
    expect(state.calls).toBe(2);
  });

  it('fails closed: no group roles once the last good list is older than a minute', async () => {
    let now = 1_000_000;
    const log: string[] = [];
    const { client, state } = fakeSlack({ S0OPS: ['UCAROL'] });
    const groups = new SlackGroups(
      client,
      true,
      (m) => log.push(m),
      () => now,
    );
    expect(await groups.of('UCAROL')).toEqual(['slack-group:S0OPS']);

    state.down = true;
    now += GROUPS_TTL_MS / 2;
    // Within the minute the list read is still trusted, and Slack is not asked.
    expect(await groups.of('UCAROL')).toEqual(['slack-group:S0OPS']);
    now += GROUPS_TTL_MS;
    expect(await groups.of('UCAROL')).toEqual([]);
    now += 10 * GROUPS_TTL_MS;
    expect(await groups.of('UCAROL')).toEqual([]);
    expect(log.at(-1)).toMatch(
      /Slack user groups could not be read \(.*ratelimited\); group roles do not apply until they can/,
    );

    state.down = false;
    now += 1;
    expect(await groups.of('UCAROL')).toEqual(['slack-group:S0OPS']);
  });

  it('fails closed when the very first read fails', async () => {
    const { client, state } = fakeSlack({ S0OPS: ['UCAROL'] });
    state.down = true;
    const groups = new SlackGroups(
      client,
      true,
      () => {},
      () => 0,
    );
    expect(await groups.of('UCAROL')).toEqual([]);
  });

  it('asks Slack nothing when no access rule names a group', async () => {
    const { client, state } = fakeSlack({ S0OPS: ['UCAROL'] });
    const groups = new SlackGroups(client, false, () => {});
    expect(await groups.of('UCAROL')).toEqual([]);
    expect(state.calls).toBe(0);
  });
});
