import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/commands/dispatch.js';
import { followsOf, STREAMS_PER_CLUSTER } from '../../src/commands/follows.js';
import type { Reply } from '../../src/commands/types.js';
import { LineFeed } from '../../src/adapters/line-feed.js';
import { NoThread, runInMessage } from '../../src/adapters/chat-run.js';
import { RateLimited } from '../../src/adapters/live-message.js';
import { followLogs, LineSplitter, serviceLogsFollow } from '../../src/swarm/log-follow.js';
import { SecretMask } from '../../src/store/secret-mask.js';
import type { RunOptions, RunResult, Transport } from '../../src/transport/transport.js';
import { waitFor } from '../support/testbed.js';
import { testOps } from '../support/test-ops.js';

describe('serviceLogsFollow', () => {
  it('follows from now on, or from the last lines asked for', () => {
    expect(serviceLogsFollow('shop_web')).toEqual([
      'docker',
      'service',
      'logs',
      '--follow',
      '--no-task-ids',
      '--tail',
      '0',
      '--',
      'shop_web',
    ]);
    expect(serviceLogsFollow('shop_web', { tail: 20, since: '1d' })).toEqual([
      'docker',
      'service',
      'logs',
      '--follow',
      '--no-task-ids',
      '--tail',
      '20',
      '--since',
      '24h',
      '--',
      'shop_web',
    ]);
  });
});

describe('LineSplitter', () => {
  it('lets out whole lines only, and finds a secret cut between two chunks', () => {
    const s = new LineSplitter(new SecretMask(['hunter22-secret']));
    expect(s.push('web.1@n1 | a\nweb.1@n1 | token=hunter')).toEqual(['web.1@n1 | a']);
    expect(s.push('22-sec')).toEqual([]);
    expect(s.push('ret ok\nweb.1@n1 | b')).toEqual(['web.1@n1 | token=•••••• ok']);
    expect(s.flush()).toEqual(['web.1@n1 | b']);
    expect(s.flush()).toEqual([]);
  });

  it('masks each line of a secret printed over several lines', () => {
    const key = '-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----';
    const s = new LineSplitter(new SecretMask([key]));
    const lines = s.push(
      'w.1@n | -----BEGIN KEY-----\nw.1@n | AAAABBBBCCCC\nw.1@n | -----END KEY-----\n',
    );
    expect(lines.join('\n')).not.toContain('AAAABBBBCCCC');
  });
});

describe('LineFeed', () => {
  const feed = (ready: () => boolean, post = async (_: readonly string[]) => {}) => {
    const posts: string[][] = [];
    const f = new LineFeed(
      async (lines) => {
        await post(lines);
        posts.push([...lines]);
      },
      ready,
      { minIntervalMs: 20, maxChars: 30, maxBacklog: 5, log: () => {} },
    );
    return { f, posts };
  };

  it('waits for its message, then posts batches that fit, oldest first', async () => {
    let ready = false;
    const { f, posts } = feed(() => ready);
    f.push(['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc']);
    await new Promise((r) => setTimeout(r, 30));
    expect(posts).toEqual([]);
    ready = true;
    await f.close();
    expect(posts).toEqual([['aaaaaaaaaa', 'bbbbbbbbbb'], ['cccccccccc']]);
  });

  it('skips the oldest lines past its backlog and says so', async () => {
    let ready = false;
    const { f, posts } = feed(() => ready);
    f.push(['1', '2', '3', '4', '5', '6', '7']);
    ready = true;
    await f.close();
    expect(posts.flat()[0]).toMatch(/^… 2 lines skipped/);
    expect(posts.flat().slice(1)).toEqual(['3', '4', '5', '6', '7']);
  });

  it('keeps a log line that starts like its own note, and the note, through a rate limit', async () => {
    let calls = 0;
    let ready = false;
    const { f, posts } = feed(
      () => ready,
      async () => {
        if (++calls === 1) throw new RateLimited(10);
      },
    );
    f.push(['1', '2', '3', '4', '5', '… a line of the service']);
    ready = true;
    await f.close();
    expect(posts.flat()).toEqual([
      '… 1 line skipped: they came faster than chat can show. See them with logs --tail.',
      '2',
      '3',
      '4',
      '5',
      '… a line of the service',
    ]);
  });

  it('tries the same lines again after a rate limit, never after another failure', async () => {
    let calls = 0;
    const { f, posts } = feed(
      () => true,
      async () => {
        calls++;
        if (calls === 1) throw new RateLimited(10);
        if (calls === 2) throw new Error('boom');
      },
    );
    f.push(['x']);
    await waitFor('two tries', async () => calls >= 2, 5000);
    f.push(['y']);
    await f.close();
    expect(posts).toEqual([['y']]);
  });
});

/**
 * A manager whose `docker service logs --follow` streams until the follow is stopped,
 * or until the test ends it; `docker service ls` lists `services`.
 */
class StreamingManager implements Transport {
  readonly target = 'fake';
  readonly follows: { argv: readonly string[]; options: RunOptions; end: () => void }[] = [];
  services = ['shop_web', 'shop_worker'];

  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (argv.includes('ls'))
      return Promise.resolve({
        exitCode: 0,
        stdout: this.services.map((n) => JSON.stringify({ Name: n })).join('\n'),
        stderr: '',
      });
    if (!argv.includes('--follow')) return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
    return new Promise((resolve, reject) => {
      const end = () => resolve({ exitCode: 0, stdout: '', stderr: '' });
      this.follows.push({ argv, options, end });
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason), {
        once: true,
      });
    });
  }

  async close(): Promise<void> {}
}

describe('logs --follow', () => {
  const setup = async (limits = {}) => {
    const manager = new StreamingManager();
    const ops = await testOps(
      {
        clusters: { prod: { local: true } },
        fleets: { shop: { cluster: 'prod', compose_file: 'shop.yml' } },
        access: { 'slack:UVIEW': 'viewer', 'slack:UDEPLOY': 'deployer', 'slack:UOTHER': 'viewer' },
        logs: limits,
      },
      {
        transport: manager,
        files: {
          'shop.yml': 'services:\n  web:\n    image: nginx\n  worker:\n    image: nginx\n',
        },
      },
    );
    const source = (user: string) => ({
      actor: `slack:${user}`,
      channel: 'slack:C1',
      platform: 'slack' as const,
    });
    const start = (text: string, user = 'UVIEW') => {
      const lines: string[] = [];
      const progress: Reply[] = [];
      const done = dispatch(ops, text, source(user), {
        progress: (r) => progress.push(r),
        stream: (l) => lines.push(...l),
      });
      return { lines, progress, done };
    };
    return { manager, ops, source, start };
  };

  it('streams masked, filtered lines into the thread until Stop, and says who stopped it', async () => {
    const { manager, ops, start, source } = await setup();
    await ops.secrets.set('shop', 'TOKEN', 'tok-3141592');
    const f = start('logs shop web --follow --grep error');
    await waitFor('the stream', async () => manager.follows.length === 1, 5000);
    expect(manager.follows[0]!.argv).toEqual(serviceLogsFollow('shop_web'));
    expect(f.progress[0]?.text).toContain(
      '📡 Following shop web live (follow 1, only lines with “error”), for 10 min',
    );
    expect(f.progress[0]?.buttons).toEqual([
      { label: 'Stop', command: 'logs stop 1', style: 'danger' },
    ]);
    const out = manager.follows[0]!.options.onStdout!;
    out('shop_web.1@n1 | ok\nshop_web.1@n1 | ERROR token tok-31');
    out('41592\n');
    manager.follows[0]!.options.onStderr!('shop_web.2@n2 | error on stderr\n');
    await waitFor('lines', async () => f.lines.length === 2, 5000);
    expect(f.lines).toEqual([
      'shop_web.1@n1 | ERROR token ••••••',
      'shop_web.2@n2 | error on stderr',
    ]);
    // Someone else, a viewer, may not stop it; its starter may.
    const refused = await dispatch(ops, 'logs stop 1', source('UOTHER'));
    expect(refused.outcome).toBe('refused');
    const stop = await dispatch(ops, 'logs stop 1', source('UVIEW'));
    expect(stop.text).toBe('📡 Follow 1 of shop stopped.');
    const end = await f.done;
    expect(end.text).toBe(
      '📡 Follow 1 of shop web ended: stopped by slack:UVIEW. 2 lines came in.',
    );
    expect(end.buttons?.[0]?.command).toBe('logs shop web --follow --grep error');
    expect(followsOf(ops).list()).toEqual([]);
    expect((await dispatch(ops, 'logs stop 1', source('UVIEW'))).outcome).toBe('failed');
    await ops.close();
  });

  it('ends when the service is removed, one stream per service, prefixed', async () => {
    const { manager, ops, start } = await setup();
    const f = start('logs shop --follow');
    await waitFor('two streams', async () => manager.follows.length === 2, 5000);
    manager.follows[1]!.options.onStdout!('shop_worker.1@n1 | tick\n');
    manager.services = [];
    for (const s of manager.follows) s.end();
    const end = await f.done;
    expect(f.lines).toEqual(['worker | shop_worker.1@n1 | tick']);
    expect(end.text).toBe(
      '📡 Follow 1 of shop (all services) ended: web, worker were removed from the Swarm. 1 line came in.',
    );
    await ops.close();
  });

  it('ends the streams when a service is gone, even when Docker keeps them open', async () => {
    const manager = new StreamingManager();
    const stop = new AbortController();
    const ending = followLogs(manager, {
      fleet: 'shop',
      services: ['web'],
      mask: new SecretMask([]),
      signal: stop.signal,
      checkEveryMs: 20,
      onLines: () => {},
    });
    await waitFor('the stream', async () => manager.follows.length === 1, 5000);
    manager.services = ['shop_worker'];
    expect(await ending).toEqual({ kind: 'removed', services: ['web'] });
  });

  it('holds follows within the limits per person, per fleet and per cluster', async () => {
    const { manager, ops, start, source } = await setup({
      follows_per_identity: 1,
      follows_per_fleet: 2,
    });
    const first = start('logs shop web --follow');
    await waitFor('a stream', async () => manager.follows.length === 1, 5000);
    const again = await dispatch(ops, 'logs shop worker --follow', source('UVIEW'), {
      stream: () => {},
    });
    expect(again.outcome).toBe('refused');
    expect(again.text).toContain(
      "slack:UVIEW already follows 1 transmission (follow 1 (slack:UVIEW)), Otto's limit per person",
    );
    expect(again.fix).toContain('logs stop 1');
    const second = start('logs shop worker --follow', 'UDEPLOY');
    await waitFor('two streams', async () => manager.follows.length === 2, 5000);
    const third = await dispatch(ops, 'logs shop web --follow', source('UOTHER'), {
      stream: () => {},
    });
    expect(third.text).toContain('shop is already followed 2 times');
    for (const id of [1, 2]) await dispatch(ops, `logs stop ${id}`, source('UDEPLOY'));
    await Promise.all([first.done, second.done]);
    expect(STREAMS_PER_CLUSTER).toBe(4);
    await ops.close();
  });

  it('ends at once, saying why, when the chat message has no thread for its lines', async () => {
    const { manager, ops, source } = await setup();
    const drawn: Reply[] = [];
    const sink = {
      post: async (r: Reply) => {
        drawn.push(r);
        return 'm1';
      },
      edit: async (_: string, r: Reply) => {
        drawn.push(r);
      },
      refOf: () => undefined,
    };
    const done = runInMessage(ops, 'logs shop web --follow', source('UVIEW'), sink, {
      minIntervalMs: 10,
      thread: {
        maxChars: 1000,
        post: async () => {
          throw new NoThread('Otto is not in this channel');
        },
      },
    });
    await waitFor('the stream', async () => manager.follows.length === 1, 5000);
    manager.follows[0]!.options.onStdout!('shop_web.1@n1 | hello\n');
    const { reply } = await done;
    expect(reply.text).toBe(
      '📡 Follow 1 of shop web ended: Otto is not in this channel. 1 line came in.',
    );
    expect(followsOf(ops).list()).toEqual([]);
    await ops.close();
  });

  it('needs a thread or a terminal, --follow for --grep and --for, and at most an hour', async () => {
    const { ops, source } = await setup();
    const api = await dispatch(ops, 'logs shop web --follow', source('UVIEW'));
    expect(api.outcome).toBe('usage');
    expect(api.text).toContain('needs somewhere to show lines');
    const grep = await dispatch(ops, 'logs shop web --grep x', source('UVIEW'));
    expect(grep.text).toContain('--grep: goes with --follow');
    const time = await dispatch(ops, 'logs shop web --for 5m', source('UVIEW'));
    expect(time.text).toContain('--for: goes with --follow');
    const long = await dispatch(ops, 'logs shop web --follow --for 2h', source('UVIEW'), {
      stream: () => {},
    });
    expect(long.text).toContain('follow for 10s to 1h');
    await ops.close();
  });
});
