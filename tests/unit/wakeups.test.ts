import { describe, expect, it } from 'vitest';
import { launchEvents, serviceInspect, servicePs } from '../../src/swarm/argv.js';
import { waitForConvergence, type FleetSnapshot } from '../../src/swarm/converge.js';
import {
  eventKind,
  fleetWakeups,
  STREAMS_PER_CLUSTER,
  timerOnly,
  type Wakeups,
} from '../../src/swarm/wakeups.js';
import type { RunOptions, RunResult, Transport } from '../../src/transport/transport.js';
import { ok, verbOf } from '../support/recording-transport.js';

/** A manager whose `docker events` stays open until aborted; the test writes its lines. */
class EventfulManager implements Transport {
  readonly target = 'eventful';
  readonly calls: string[][] = [];
  private streams: ((chunk: string) => void)[] = [];
  constructor(private readonly answer: (argv: readonly string[]) => RunResult = () => ok()) {}

  emit(event: object): void {
    for (const s of this.streams) s(`${JSON.stringify(event)}\n`);
  }

  get open(): number {
    return this.streams.length;
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.calls.push([...argv]);
    if (verbOf(argv) !== 'events') return this.answer(argv);
    const write = options.onStdout ?? (() => {});
    this.streams.push(write);
    return new Promise((resolve, reject) => {
      options.signal?.addEventListener('abort', () => {
        this.streams = this.streams.filter((s) => s !== write);
        reject(new Error('aborted'));
      });
    });
  }

  async close(): Promise<void> {}
}

const started = (stack: string) => ({
  Type: 'container',
  Action: 'start',
  Actor: { Attributes: { 'com.docker.stack.namespace': stack } },
});
const updated = (name: string) => ({
  Type: 'service',
  Action: 'update',
  Actor: { Attributes: { name } },
});

describe('the events a launch waits on', () => {
  it('asks Docker for starts, deaths and service changes, and keeps the fleet’s own', () => {
    expect(launchEvents()).toEqual([
      'docker',
      'events',
      '--filter',
      'type=container',
      '--filter',
      'type=service',
      '--filter',
      'event=start',
      '--filter',
      'event=die',
      '--filter',
      'event=create',
      '--filter',
      'event=update',
      '--filter',
      'event=remove',
      '--format',
      '{{json .}}',
    ]);
    expect(eventKind(started('shop'), 'shop')).toBe('container');
    expect(eventKind(started('shopfront'), 'shop')).toBeUndefined();
    expect(eventKind(updated('shop_web'), 'shop')).toBe('service');
    expect(eventKind(updated('shopfront_web'), 'shop')).toBeUndefined();
    expect(
      eventKind({ Type: 'network', Actor: { Attributes: { name: 'shop_default' } } }, 'shop'),
    ).toBe(undefined);
  });

  it('wakes a wait early on an event of the fleet, not on another stack’s', async () => {
    const manager = new EventfulManager();
    const w = fleetWakeups(manager, 'shop');
    try {
      const waiting = w.wait(60_000);
      manager.emit(started('other'));
      manager.emit(started('shop'));
      await expect(waiting).resolves.toBe('event');
      expect(w.live).toBe(true);
      expect(w.serviceMoved()).toBe(false);
      // An event between two waits is not lost: the next wait ends at once.
      manager.emit(updated('shop_web'));
      await expect(w.wait(60_000)).resolves.toBe('event');
      expect(w.serviceMoved()).toBe(true);
      expect(w.serviceMoved()).toBe(false);
      await expect(w.wait(5)).resolves.toBe('timer');
    } finally {
      await w.close();
    }
    expect(manager.open).toBe(0);
    expect(w.live).toBe(false);
  });

  it('ends with the launch’s signal, and a wait with its own', async () => {
    const manager = new EventfulManager();
    const stop = new AbortController();
    const w = fleetWakeups(manager, 'shop', stop.signal);
    const waitStop = new AbortController();
    const waiting = w.wait(60_000, waitStop.signal);
    waitStop.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    stop.abort();
    await w.close();
    expect(manager.open).toBe(0);
  });

  it(`follows at most ${STREAMS_PER_CLUSTER} launches of a cluster at once; the others look on the timer`, async () => {
    const manager = new EventfulManager();
    const ws = Array.from({ length: STREAMS_PER_CLUSTER + 1 }, (_, i) =>
      fleetWakeups(manager, `f${i}`),
    );
    expect(manager.open).toBe(STREAMS_PER_CLUSTER);
    expect(ws.at(-1)).toBe(timerOnly);
    await Promise.all(ws.map((w) => w.close()));
    const again = fleetWakeups(manager, 'f9');
    expect(again).not.toBe(timerOnly);
    await again.close();
  });
});

describe('a convergence wait with events', () => {
  const service = {
    ID: 's1',
    Version: { Index: 2 },
    Spec: { Name: 'shop_web', Mode: { Replicated: { Replicas: 1 } }, TaskTemplate: {} },
  };
  const task = (state: string) =>
    JSON.stringify({
      ID: 't1',
      Name: 'shop_web.1',
      Image: 'web:1',
      Node: 'n1',
      DesiredState: 'Running',
      CurrentState: state,
      Error: '',
    });
  const before: FleetSnapshot = { services: new Map(), tasks: [] };
  /** The wait of a launch of shop's web, whose timer alone would take a minute. */
  const waitForWeb = (manager: Transport, wakeups: Wakeups) =>
    waitForConvergence(manager, {
      fleet: 'shop',
      services: new Map([['web', 'web:1']]),
      before,
      timeoutMs: 60_000,
      settleMs: 0,
      pollMs: 60_000,
      wakeups,
    });
  /** Resolves once the first look has read the tasks (their answer is given as they are asked). */
  const firstLook = async (manager: EventfulManager) => {
    const deadline = Date.now() + 20_000;
    while (!manager.calls.some((c) => verbOf(c) === 'service ps')) {
      if (Date.now() > deadline) throw new Error('no look within 20 s');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('reads the tasks alone between reads of the services, and looks again at once on a start', async () => {
    let state = 'Preparing 1 second ago';
    const manager = new EventfulManager((argv) =>
      verbOf(argv) === 'service inspect' ? ok(JSON.stringify([service])) : ok(task(state)),
    );
    const w = fleetWakeups(manager, 'shop');
    try {
      const waiting = waitForWeb(manager, w);
      // After the first look, the task starts: the event ends the minute-long wait.
      await firstLook(manager);
      state = 'Running 1 second ago';
      manager.emit(started('shop'));
      const r = await waiting;
      expect(r.ok).toBe(true);
      expect(manager.calls.filter((c) => verbOf(c) !== 'events')).toEqual([
        serviceInspect(['shop_web']),
        servicePs(['shop_web']),
        servicePs(['shop_web']),
      ]);
    } finally {
      await w.close();
    }
  });

  it('reads the services again after a service event: Swarm may have paused the update', async () => {
    let paused = false;
    const manager = new EventfulManager((argv) =>
      verbOf(argv) === 'service inspect'
        ? ok(
            JSON.stringify([
              paused
                ? {
                    ...service,
                    UpdateStatus: { State: 'paused', Message: 'update paused due to failure' },
                  }
                : service,
            ]),
          )
        : ok(task('Preparing 1 second ago')),
    );
    const w = fleetWakeups(manager, 'shop');
    try {
      const waiting = waitForWeb(manager, w);
      await firstLook(manager);
      paused = true;
      manager.emit(updated('shop_web'));
      const r = await waiting;
      expect(r.ok).toBe(false);
      expect(!r.ok && r.failure.kind).toBe('update_paused');
    } finally {
      await w.close();
    }
  });
});
