import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.js';
import { startRequestPoster } from '../../src/watch/request-poster.js';
import { testOps } from '../support/test-ops.js';

// Requests made by CI (token:*) or a push (webhook:*) have no chat message: Otto
// posts them into the fleet's chat, with buttons, and remembers the message.

describe('startRequestPoster', () => {
  it("posts a CI or webhook request into the fleet's channel once, and remembers it", async () => {
    const ops = await testOps(
      {
        clusters: { laptop: { local: true } },
        fleets: {
          shop: {
            cluster: 'laptop',
            compose_file: 'shop.yml',
            channels: ['slack:COPS'],
            approvals: { launch: 1 },
          },
          quiet: { cluster: 'laptop', compose_file: 'shop.yml', approvals: { launch: 1 } },
        },
      },
      { files: { 'shop.yml': 'services:\n  web:\n    image: nginx\n' } },
    );
    const posted: [string, Reply][] = [];
    const logs: string[] = [];
    const outbox = {
      post: async (target: string, reply: Reply) => {
        posted.push([target, reply]);
        return `slack:COPS:1712.000${posted.length}`;
      },
      reply: async (ref: string) => ref,
      edit: async () => {},
    };
    const poster = startRequestPoster(ops, outbox, (l) => logs.push(l));
    try {
      const ask = (requester: string, fleet = 'shop') =>
        ops.approvals.create({
          fleet,
          action: 'launch',
          requester,
          channel: 'api',
          needed: 1,
          composeSnapshot: 'services:\n  web:\n    image: nginx\n',
          fromVersion: null,
          targetVersion: null,
          timeoutSeconds: 900,
        });
      const ci = await ask('token:ci');
      const chat = await ask('slack:U1');
      const hook = await ask('webhook:github', 'quiet');
      await poster.tick();
      await poster.tick();
      expect(posted.map(([t]) => t)).toEqual(['slack:COPS']);
      const [, card] = posted[0]!;
      expect(card.text).toBe(
        `Request ${ci.id}: launch shop, asked by token:ci. Waiting for approval: 0 of 1 so far.`,
      );
      expect(card.buttons?.map((b) => b.command)).toEqual([
        `approve ${ci.id}`,
        `deny ${ci.id}`,
        `diff #${ci.id}`,
      ]);
      expect((await ops.approvals.get(ci.id))?.messageRef).toBe('slack:COPS:1712.0001');
      // A chat request has its own message; a fleet with no chat is said once.
      expect((await ops.approvals.get(chat.id))?.messageRef).toBeNull();
      expect(logs).toEqual([
        `otto: request ${hook.id} (quiet, by webhook:github) has no chat channel to be posted in: approve ${hook.id} where Otto listens.`,
      ]);
    } finally {
      poster.stop();
      await ops.close();
    }
  });
});
