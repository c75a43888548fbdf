/**
 * Follow latency for `npm run bench`: a line a service prints → seen in the Slack
 * stand-in's thread of `logs … --follow`, through the real Bolt client, a real sshd and
 * the real Swarm. 100 lines, one every 200 ms, each written into the task's stdout by
 * `docker exec`; its clock starts when that exec starts (an upper bound). Target: p95
 * under 2 s (Otto batches a thread's lines at most once a second).
 */
import { percentile } from './stats.js';
import { startOtto } from '../tests/support/otto-process.js';
import { Conversation, textOf, tsOf } from '../tests/support/slack-messages.js';
import { slashPayload, SlackStandin } from '../tests/support/slack-standin.js';
import { docker, type Testbed } from '../tests/support/testbed.js';
import { workspace } from '../tests/support/workspace.js';

const LINES = 100;

export async function followBench(bed: Testbed) {
  const slack = new SlackStandin();
  await slack.listen();
  const ws = workspace(
    bed,
    { beacon: { compose: { services: { app: { image: bed.images.v1, command: ['sleep', '3600'] } } } } },
    undefined,
    {
      access: { 'slack:*': 'viewer' },
      slack: { mode: 'socket', bot_token: 'xoxb-bench', app_token: 'xapp-bench', api_url: slack.apiUrl },
    },
  );
  const launched = await ws.say('launch beacon');
  if (!launched.stdout.includes('in orbit')) throw new Error(launched.stdout);
  const otto = startOtto(ws.config, ws.dir);
  try {
    await otto.waitForLog('Slack connected');
    while (!slack.connected) await new Promise((r) => setTimeout(r, 20));
    const container = (
      await docker(bed, ['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=beacon_app'])
    ).stdout.trim();
    const talk = new Conversation(slack);
    await slack.envelope('slash_commands', slashPayload(slack, 'logs beacon app --follow --for 10m', 'U0BENCH'));
    const ts = tsOf(await talk.posted('Following beacon app live'));
    // The stream is open once a first line comes through: the message is posted first.
    const warmedUp = () => talk.thread(ts).some((c) => textOf(c).includes('warm-up'));
    for (let i = 0; !warmedUp(); i++) {
      if (i > 60) throw new Error('no warm-up line reached the thread in 60 s');
      const r = await docker(bed, ['exec', container, 'sh', '-c', 'echo warm-up > /proc/1/fd/1']);
      if (r.exitCode !== 0) throw new Error(`docker exec failed: ${r.stderr}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const sent = new Map<number, number>();
    const seen = new Map<number, number>();
    const watch = setInterval(() => {
      for (const c of talk.thread(ts))
        for (const m of textOf(c).matchAll(/mark-(\d+)\b/g))
          if (!seen.has(Number(m[1]))) seen.set(Number(m[1]), c.at);
    }, 10);
    for (let i = 0; i < LINES; i++) {
      sent.set(i, Date.now());
      void docker(bed, ['exec', container, 'sh', '-c', `echo mark-${i} > /proc/1/fd/1`]);
      await new Promise((r) => setTimeout(r, 200));
    }
    const deadline = Date.now() + 60_000;
    while (seen.size < LINES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    clearInterval(watch);
    const latencies = [...seen].map(([i, at]) => at - (sent.get(i) ?? at));
    const posts = talk.thread(ts).length;
    return {
      lines: LINES,
      seen: seen.size,
      thread_posts: posts,
      p50_ms: percentile(latencies, 50),
      p95_ms: percentile(latencies, 95),
      target_p95_ms: 2000,
      under_target: percentile(latencies, 95) < 2000,
    };
  } finally {
    await otto.stop();
    await slack.close();
    await docker(bed, ['stack', 'rm', 'beacon']);
  }
}
