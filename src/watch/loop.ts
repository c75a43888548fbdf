/** A loop of watch/: `tick()` runs one pass now (tests), `stop()` ends the timer. */
export interface Loop {
  tick(): Promise<void>;
  stop(): void;
}

/**
 * Runs `pass` every `everyMs`, never two at once (a pass still running skips the
 * next), and logs what it throws instead of stopping. The timer does not keep the
 * process up.
 *
 * @example const loop = everyPass(2_000, () => postRequests(), log, 'post requests');
 */
export function everyPass(
  everyMs: number,
  pass: () => Promise<void>,
  log: (line: string) => void,
  what: string,
): Loop {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await pass();
    } catch (e) {
      log(`otto: could not ${what}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
