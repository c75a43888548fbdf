import { clipLine, type SecretMask } from '../store/secret-mask.js';
import { parseJsonLines, serviceLogs, serviceLs, serviceName, type LogsOptions } from './argv.js';
import type { Transport } from '../transport/transport.js';

/**
 * `docker service logs --follow`: every replica's lines, each with its `name.slot@node |`
 * prefix, from now on (`tail: 0`) or from the last `tail` lines.
 */
export function serviceLogsFollow(service: string, from: LogsOptions = { tail: 0 }): string[] {
  const [, , , ...rest] = serviceLogs(service, from);
  return ['docker', 'service', 'logs', '--follow', ...rest];
}

/** A line a task wrote: `myapp_web.1@node-1    | hello`. */
const TASK_LINE = /^\S+\.\d+@\S+\s+\|/;

/**
 * Whole lines out of a stream's chunks. The text up to the last line break is masked
 * as a whole before it is split, so a secret value cut between two chunks, or printed
 * over several lines, is found; the unfinished line waits for the rest of it.
 *
 * @example new LineSplitter(mask).push('web.1@n1 | a\nweb.1@n1 | b') // ['web.1@n1 | a']
 */
export class LineSplitter {
  private rest = '';

  constructor(private readonly mask: SecretMask) {}

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      // A line that never ends is let out at 64 KiB, masked, rather than held for ever.
      if (text.length < 65_536) {
        this.rest = text;
        return [];
      }
      this.rest = '';
      return [clipLine(this.mask.mask(text))];
    }
    this.rest = text.slice(end + 1);
    return this.lines(text.slice(0, end));
  }

  /** What is left when the stream ends. */
  flush(): string[] {
    const text = this.rest;
    this.rest = '';
    return text ? this.lines(text) : [];
  }

  private lines(text: string): string[] {
    return this.mask
      .mask(text)
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .filter((l) => l.trim())
      .map(clipLine);
  }
}

export interface FollowOptions {
  readonly fleet: string;
  /** The compose services to follow (one stream each). */
  readonly services: readonly string[];
  readonly mask: SecretMask;
  /** Only lines holding this text, case-insensitive (matched after masking). */
  readonly grep?: string | undefined;
  /** Lines from before the follow to show first (`--tail`, `--since`); none by default. */
  readonly from?: LogsOptions;
  /** Ends the follow: Stop, its time, Otto stopping. */
  readonly signal: AbortSignal;
  /** How often to look whether the services still exist (default {@link REMOVAL_CHECK_MS}). */
  readonly checkEveryMs?: number;
  /** New lines, as they arrive (several at once when they came together). */
  readonly onLines: (lines: readonly string[]) => void;
}

/** Why a follow ended by itself (a stop through its signal ends it with `aborted`). */
export type FollowEnd =
  | { readonly kind: 'aborted' }
  | { readonly kind: 'removed'; readonly services: readonly string[] }
  | { readonly kind: 'ended'; readonly detail: string | undefined };

/**
 * Follows the new log lines of some services of a fleet until `signal` aborts or every
 * stream ends (the services were removed, or Docker ended the stream). One
 * `docker service logs --follow` per service, over the transport; each is ended with
 * its SSH channel, whichever way the follow ends.
 */
export async function followLogs(transport: Transport, opts: FollowOptions): Promise<FollowEnd> {
  // `docker service logs --follow` of a removed service may wait for ever: look for the
  // services now and then, and end the streams when one is gone.
  const removed = new AbortController();
  const signal = AbortSignal.any([opts.signal, removed.signal]);
  let gone: string[] = [];
  const missing = async () => {
    const names = new Set(
      parseJsonLines<{ Name: string }>((await transport.run(serviceLs(), { signal })).stdout).map(
        (s) => s.Name,
      ),
    );
    return opts.services.filter((s) => !names.has(serviceName(opts.fleet, s)));
  };
  const check = setInterval(() => {
    missing().then(
      (m) => {
        if (m.length && !signal.aborted) {
          gone = m;
          removed.abort();
        }
      },
      () => undefined, // a missed look is made good by the next one
    );
  }, opts.checkEveryMs ?? REMOVAL_CHECK_MS);
  try {
    return await streamAll(transport, { ...opts, signal }, async () => {
      if (opts.signal.aborted) return { kind: 'aborted' };
      if (removed.signal.aborted) return { kind: 'removed', services: gone };
      const m = await missing();
      return m.length ? { kind: 'removed', services: m } : undefined;
    });
  } finally {
    clearInterval(check);
  }
}

/** The longest one stream stays open, whatever the follow asked (a terminal's has no limit). */
export const STREAM_LIMIT_MS = 2 * 3600_000;

/** How often a follow looks whether its services still exist. */
export const REMOVAL_CHECK_MS = 15_000;

async function streamAll(
  transport: Transport,
  opts: FollowOptions,
  why: () => Promise<FollowEnd | undefined>,
): Promise<FollowEnd> {
  const grep = opts.grep?.toLowerCase();
  const prefixed = opts.services.length > 1;
  let problem: string | undefined;
  const emit = (svc: string, lines: readonly string[]) => {
    const shown = lines
      .map((l) => (prefixed ? `${svc} | ${l}` : l))
      .filter((l) => !grep || l.toLowerCase().includes(grep));
    if (shown.length) opts.onLines(shown);
  };
  const streams = opts.services.map(async (svc) => {
    const out = new LineSplitter(opts.mask);
    const err = new LineSplitter(opts.mask);
    // Docker writes what a task printed on stderr to stderr too: those are lines to show.
    const fromErr = (lines: string[]) => {
      emit(
        svc,
        lines.filter((l) => TASK_LINE.test(l)),
      );
      problem = lines.filter((l) => !TASK_LINE.test(l)).at(-1) ?? problem;
    };
    try {
      const res = await transport.run(serviceLogsFollow(serviceName(opts.fleet, svc), opts.from), {
        signal: opts.signal,
        // The follow's own time limit ends it; this only guards a stream that hangs.
        timeoutMs: STREAM_LIMIT_MS,
        partialOnTimeout: true,
        stoppable: true,
        onStdout: (c) => emit(svc, out.push(c)),
        onStderr: (c) => fromErr(err.push(c)),
      });
      emit(svc, out.flush());
      fromErr(err.flush());
      if (res.timedOut)
        problem = `open for ${STREAM_LIMIT_MS / 3600_000} h, the longest Otto keeps a stream`;
      return res;
    } catch (e) {
      if (opts.signal.aborted) return undefined;
      throw e;
    }
  });
  const results = await Promise.allSettled(streams);
  if (opts.signal.aborted) return (await why()) ?? { kind: 'aborted' };
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    const e: unknown = failed.reason;
    return { kind: 'ended', detail: e instanceof Error ? e.message : String(e) };
  }
  // Every stream ended by itself: were the services removed?
  return (await why()) ?? { kind: 'ended', detail: problem };
}
