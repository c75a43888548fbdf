import { closedReply, requestCard } from '../commands/approval-request.js';
import { heldImages } from '../commands/held-compose.js';
import type { Reply } from '../commands/types.js';
import type { Ops } from '../ops/ops.js';

/** How often requests are checked for a new state to draw (one indexed query). */
export const CARD_SWEEP_MS = 1_000;

/**
 * Keeps approval request messages true: every second, expires requests whose time
 * is up and redraws each message (`<prefix>...`) whose request changed, whichever
 * process or platform changed it. A failed redraw is tried again at the next sweep.
 */
export function startCardSweep(
  ops: Ops,
  prefix: string,
  draw: (ref: string, reply: Reply) => Promise<void>,
  log: (msg: string) => void,
): () => void {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await ops.approvals.expireDue();
      for (const card of await ops.approvals.cardsToRedraw(prefix)) {
        const ref = card.approval.messageRef;
        if (!ref) continue;
        try {
          const held =
            card.approval.status === 'pending' ? await heldImages(ops, card.approval) : undefined;
          await draw(ref, requestCard(card.approval, card.approvers, held));
          await ops.approvals.drawn(card.approval.id, card.state);
        } catch (e) {
          log(
            `otto: could not redraw request ${card.approval.id}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
    } catch (e) {
      log(`otto: could not check approval requests: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), CARD_SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Where no message is redrawn (the console): every second, expires requests whose
 * time is up and hands each one's closing reply to `expired`.
 */
export function startExpirySweep(
  ops: Ops,
  expired: (reply: Reply) => void,
  log: (msg: string) => void,
): () => void {
  const timer = setInterval(() => {
    void ops.approvals.expireDue().then(
      (requests) => requests.forEach((a) => expired(closedReply(a))),
      (e: unknown) => log(`⚠️  Could not check approval requests: ${String(e)}`),
    );
  }, CARD_SWEEP_MS);
  timer.unref();
  return () => clearInterval(timer);
}
