import { createHash } from 'node:crypto';
import { previewMessage } from '../commands/previews.js';
import type { Ops } from '../ops/ops.js';
import type { AlertOutbox } from './incident-messages.js';
import { everyPass, type Loop } from './loop.js';
import { requestTarget } from './request-poster.js';

/** How often preview messages are brought up to date. */
export const PREVIEW_MESSAGES_MS = 2_000;

/**
 * One chat message per preview, in its parent fleet's first chat channel: posted
 * when the preview is first launched, edited in place as it launches again or
 * fails, and a last time when it is removed (then the preview is forgotten).
 * A preview whose fleet has no chat channel has no message.
 */
export function startPreviewMessages(
  ops: Ops,
  outbox: AlertOutbox,
  log: (line: string) => void,
  everyMs = PREVIEW_MESSAGES_MS,
): Loop {
  const failed = new Set<string>();
  return everyPass(
    everyMs,
    async () => {
      for (const p of await ops.previews.all()) {
        const target = requestTarget(ops, p.parent);
        const reply = previewMessage(p, await ops.deployments.latest(p.fleet));
        const drawn = createHash('sha256').update(JSON.stringify(reply)).digest('hex').slice(0, 16);
        try {
          if (!p.messageRef) {
            if (p.state === 'closed' || !target) {
              if (p.state === 'closed') await ops.previews.remove(p.fleet);
              continue;
            }
            await ops.previews.drawn(p.fleet, await outbox.post(target, reply), drawn);
          } else if (p.messageDrawn !== drawn) {
            await outbox.edit(p.messageRef, reply);
            await ops.previews.drawn(p.fleet, p.messageRef, drawn);
          } else if (p.state === 'closed') await ops.previews.remove(p.fleet);
          failed.delete(p.fleet);
        } catch (e) {
          if (!failed.has(p.fleet))
            log(
              `otto: could not draw the message of preview ${p.fleet}: ${e instanceof Error ? e.message : String(e)}; trying again.`,
            );
          failed.add(p.fleet);
        }
      }
    },
    log,
    'look at previews',
  );
}
