import { requestCard } from '../commands/approval-request.js';
import { heldImages } from '../commands/held-compose.js';
import type { Ops } from '../ops/ops.js';
import type { AlertOutbox } from './incident-messages.js';
import { everyPass, type Loop } from './loop.js';

/** How often requests made by CI or a webhook are looked for. */
export const POST_EVERY_MS = 2_000;

/**
 * Where a request of `fleet` is posted: the first chat channel of its `channels`
 * (where its commands are heard), else of its alert targets. Undefined: none.
 */
export function requestTarget(ops: Pick<Ops, 'config'>, fleet: string): string | undefined {
  const f = ops.config.fleets.get(fleet);
  const chat = (t: string) => /^(slack|discord):/.test(t);
  return f?.channels?.find(chat) ?? f?.alerts.find(chat);
}

/**
 * Approval requests asked for where no chat message shows them (`token:*` through
 * the HTTP API, `webhook:*` on a push) are posted into the fleet's chat, with
 * Approve / Deny / Diff, and remembered there, so the card sweep keeps them true as
 * for any other request. A fleet with no chat target is said once in the log (its
 * requests can still be approved by number).
 *
 * @example const poster = startRequestPoster(ops, outbox, log); // poster.stop() when landing
 */
export function startRequestPoster(
  ops: Ops,
  outbox: AlertOutbox,
  log: (line: string) => void,
): Loop {
  const said = new Set<number>();
  return everyPass(
    POST_EVERY_MS,
    async () => {
      for (const a of await ops.approvals.unposted()) {
        const target = requestTarget(ops, a.fleet);
        if (!target) {
          if (!said.has(a.id))
            log(
              `otto: request ${a.id} (${a.fleet}, by ${a.requester}) has no chat channel to be posted in: approve ${a.id} where Otto listens.`,
            );
          said.add(a.id);
          continue;
        }
        try {
          const ref = await outbox.post(target, requestCard(a, [], await heldImages(ops, a)));
          await ops.approvals.setMessage(a.id, ref);
        } catch (e) {
          if (!said.has(a.id))
            log(
              `otto: could not post request ${a.id} to ${target}: ${e instanceof Error ? e.message : String(e)}; trying again.`,
            );
          said.add(a.id);
        }
      }
    },
    log,
    'look for requests to post',
  );
}
