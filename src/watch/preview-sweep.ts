import { closePreview } from '../ops/previews.js';
import type { Ops } from '../ops/ops.js';
import { everyPass, type Loop } from './loop.js';

/** How often previews are checked for their ttl. */
export const PREVIEW_SWEEP_MS = 60_000;

/**
 * Removes previews whose ttl (`previews.ttl`) has passed since their last push,
 * as a closed pull request would. A removal that fails is logged and tried again
 * at the next sweep.
 */
export function startPreviewSweep(
  ops: Ops,
  log: (line: string) => void,
  everyMs = PREVIEW_SWEEP_MS,
): Loop {
  return everyPass(
    everyMs,
    async () => {
      for (const p of await ops.previews.expired(new Date())) {
        try {
          await closePreview(ops, p);
          log(`otto: preview ${p.fleet} of #${p.number} expired and was removed.`);
          await ops.audit.record({
            actor: 'otto',
            platform: 'api',
            channel: 'preview-sweep',
            command: `preview close ${p.parent} #${p.number} (expired)`,
            fleet: p.parent,
            outcome: 'ok',
            summary: `Preview ${p.fleet} expired and was removed.`,
            durationMs: 0,
          });
        } catch (e) {
          log(
            `otto: could not remove the expired preview ${p.fleet}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
    },
    log,
    'look for expired previews',
  );
}
