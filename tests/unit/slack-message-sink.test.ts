import { describe, expect, it } from 'vitest';
import type { App } from '@slack/bolt';
import type { Reply } from '../../src/commands/types.js';
import { slackSink } from '../../src/adapters/slack/message-sink.js';

/** A Web API client that records what Otto posts and edits. */
function recorder() {
  const calls: { method: string; text: string }[] = [];
  const record = (method: string) => async (args: { blocks: { text?: { text: string } }[] }) => {
    calls.push({ method, text: args.blocks.map((b) => b.text?.text ?? '').join('\n') });
    return { ok: true, channel: 'C1', ts: '1.1' };
  };
  const client = {
    chat: { postMessage: record('chat.postMessage'), update: record('chat.update') },
  } as unknown as App['client'];
  return { calls, client };
}

const sinkOf = (client: App['client']) => {
  const state = { hadProgress: false, blockInMessage: false };
  const sink = slackSink({
    client,
    channel: 'C1',
    threadTs: undefined,
    header: 'slack:U1 · /otto …',
    respond: undefined,
    state,
  });
  return { sink, state };
};

describe('the Slack message a command is drawn in', () => {
  it('draws progress that has lines (outpost add’s steps) with them, to the end', async () => {
    const { calls, client } = recorder();
    const { sink, state } = sinkOf(client);
    const step = (lines: string[], outcome: Reply['outcome'] = 'ok'): Reply => ({
      outcome,
      text: 'Setting up 10.0.0.2 as a manager of prod:',
      block: lines,
    });
    const ref = await sink.post(step(['⏳ Reading the host key of 10.0.0.2:22...']), false);
    await sink.edit(
      ref,
      step(['✅ Host key of 10.0.0.2:22: SHA256:x.', '⏳ Logging in...']),
      false,
    );
    await sink.edit(ref, step(['✅ Host key of 10.0.0.2:22: SHA256:x.', '❌ No.'], 'failed'), true);
    expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.update']);
    expect(calls[0]!.text).toContain('⏳ Reading the host key');
    expect(calls[1]!.text).toContain('⏳ Logging in...');
    expect(calls[2]!.text).toContain('✅ Host key of 10.0.0.2:22: SHA256:x.\n❌ No.');
    // No thread of details is needed: the lines are in the message.
    expect(state).toEqual({ hadProgress: true, blockInMessage: true });
  });

  it('leaves a failed rollout’s log lines out of the message, for its thread', async () => {
    const { calls, client } = recorder();
    const { sink, state } = sinkOf(client);
    const ref = await sink.post({ outcome: 'ok', text: 'Waiting for every service' }, false);
    await sink.edit(
      ref,
      { outcome: 'failed', text: 'Launch of shop v2 failed', block: ['hull breach'] },
      true,
    );
    expect(calls[1]!.text).not.toContain('hull breach');
    expect(state).toEqual({ hadProgress: true, blockInMessage: false });
  });

  it('draws the lines of a reply that had no progress', async () => {
    const { calls, client } = recorder();
    const { sink } = sinkOf(client);
    await sink.post({ outcome: 'ok', text: 'logs', block: ['a line'] }, true);
    expect(calls[0]!.text).toContain('a line');
  });
});
