import { launchEvents, parseJsonLines } from './argv.js';
import type { Transport } from '../transport/transport.js';

/** The part of a `docker events` line a launch reads. */
interface DockerEvent {
  readonly Type?: string;
  readonly Actor?: { readonly Attributes?: Readonly<Record<string, string>> };
}

/**
 * Which of the fleet's things a docker event is about: `container` (one of its tasks
 * started or died on the manager Otto talks to), `service` (one of its services was
 * created, updated or removed: Swarm's update state moves this way), or nothing.
 */
export function eventKind(line: DockerEvent, fleet: string): 'container' | 'service' | undefined {
  const a = line.Actor?.Attributes ?? {};
  if (line.Type === 'container')
    return a['com.docker.stack.namespace'] === fleet ? 'container' : undefined;
  if (line.Type === 'service')
    return (a['name'] ?? '').startsWith(`${fleet}_`) ? 'service' : undefined;
  return undefined;
}

/** After an event, Otto waits this long for the rest of a burst (and for the task's report to reach the manager). */
export const GATHER_MS = 30;

/**
 * Wake-ups for a convergence wait: a timer, cut short by the fleet's docker events.
 * Events only hurry the next look; the look itself decides, so a missed or late
 * event costs time, never a wrong answer.
 */
export interface Wakeups {
  /** Resolves after `ms`, or {@link GATHER_MS} after an event of the fleet, whichever is first. */
  wait(ms: number, signal?: AbortSignal): Promise<'event' | 'timer'>;
  /** Whether events are arriving: the stream is open. While it is not, nothing hurries a look. */
  readonly live: boolean;
  /** Whether a service event came since the last call (and forgets it): its spec or update state moved. */
  serviceMoved(): boolean;
  /** Ends the stream on the manager. */
  close(): Promise<void>;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Plain timer wake-ups, for a transport that has no event stream to offer. */
export const timerOnly: Wakeups = {
  live: false,
  wait: async (ms, signal) => {
    await sleep(ms, signal);
    return 'timer';
  },
  serviceMoved: () => false,
  close: async () => {},
};

/**
 * At most this many launches of one cluster follow events at once: each stream holds
 * one of the SSH connection's channels for as long as its launch waits, and follows
 * and telemetry hold some too. Launches beyond it look on the timer alone.
 */
export const STREAMS_PER_CLUSTER = 2;
const open = new WeakMap<Transport, number>();

/**
 * Follows `docker events` on the fleet's manager for as long as a launch waits (one
 * call, open from just before the deploy). Lines about other stacks are dropped here.
 */
export function fleetWakeups(transport: Transport, fleet: string, signal?: AbortSignal): Wakeups {
  const count = open.get(transport) ?? 0;
  if (count >= STREAMS_PER_CLUSTER) return timerOnly;
  open.set(transport, count + 1);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let live = true;
  let pending = false;
  let serviceMoved = false;
  let notify: (() => void) | undefined;
  let partial = '';
  const onStdout = (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    let kinds: ('container' | 'service' | undefined)[];
    try {
      kinds = parseJsonLines<DockerEvent>(lines.join('\n')).map((e) => eventKind(e, fleet));
    } catch {
      return; // not an event line: ignore, the timer still looks
    }
    if (kinds.includes('service')) serviceMoved = true;
    if (kinds.some(Boolean)) {
      pending = true;
      notify?.();
    }
  };
  const stream = transport
    .run(launchEvents(), {
      signal: stop.signal,
      timeoutMs: 3_600_000,
      partialOnTimeout: true,
      // Ended with the launch: the remote docker events must not wait for its next event.
      stoppable: true,
      onStdout,
    })
    .catch(() => undefined)
    .finally(() => {
      live = false;
      open.set(transport, (open.get(transport) ?? 1) - 1);
    });
  return {
    get live() {
      return live;
    },
    serviceMoved() {
      const moved = serviceMoved;
      serviceMoved = false;
      return moved;
    },
    async wait(ms, waitSignal) {
      const how = await new Promise<'event' | 'timer'>((resolve, reject) => {
        if (waitSignal?.aborted) return reject(waitSignal.reason);
        const done = (h: 'event' | 'timer') => {
          clearTimeout(timer);
          notify = undefined;
          waitSignal?.removeEventListener('abort', onWaitAbort);
          resolve(h);
        };
        const onWaitAbort = () => {
          clearTimeout(timer);
          notify = undefined;
          reject(waitSignal?.reason);
        };
        const timer = setTimeout(() => done('timer'), ms);
        notify = () => done('event');
        waitSignal?.addEventListener('abort', onWaitAbort, { once: true });
        if (pending) done('event');
      });
      if (how === 'event') await sleep(GATHER_MS, waitSignal);
      pending = false;
      return how;
    },
    async close() {
      signal?.removeEventListener('abort', onAbort);
      stop.abort();
      await stream;
    },
  };
}
