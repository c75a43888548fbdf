import { describe, expect, it } from 'vitest';
import { codeBlocks, mrkdwn, toBlocks } from '../../src/adapters/slack/blocks.js';
import { redactTokens } from '../../src/adapters/slack/web-api.js';

describe('Block Kit drawing', () => {
  it('escapes markup a user could type, and mentions Slack users by id', () => {
    expect(mrkdwn('lock <!channel> & slack:U0ALICE for <https://x|y>')).toBe(
      'lock &lt;!channel&gt; &amp; <@U0ALICE> for &lt;https://x|y&gt;',
    );
    expect(mrkdwn('heard only in slack:C0OPS')).toBe('heard only in <#C0OPS>');
    expect(mrkdwn('discord:42 slack-group:S1 console:bob')).toBe(
      'discord:42 slack-group:S1 console:bob',
    );
  });

  it('draws text, fields, the fix and buttons that carry their command', () => {
    const m = toBlocks(
      {
        outcome: 'failed',
        text: 'Launch of shop v2 failed: web keeps failing',
        fields: [{ label: 'web', value: '🔴 0/2 failing' }],
        fix: 'Check logs shop web.',
        buttons: [
          { label: 'Logs', command: 'logs shop web' },
          { label: 'Roll back', command: 'rollback shop', style: 'danger' },
        ],
      },
      { header: 'slack:U0ALICE · /otto launch shop' },
    );
    expect(m.text).toBe('Launch of shop v2 failed: web keeps failing');
    expect(m.blocks).toEqual([
      { type: 'context', elements: [{ type: 'mrkdwn', text: '<@U0ALICE> · /otto launch shop' }] },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'Launch of shop v2 failed: web keeps failing' },
      },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*web*\n🔴 0/2 failing' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '→ Check logs shop web.' }] },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: 'otto:0',
            text: { type: 'plain_text', text: 'Logs' },
            value: 'logs shop web',
          },
          {
            type: 'button',
            action_id: 'otto:1',
            text: { type: 'plain_text', text: 'Roll back' },
            value: 'rollback shop',
            style: 'danger',
          },
        ],
      },
    ]);
  });

  it('marks refusals, and splits long output into code blocks within Slack limits, saying what it left out', () => {
    expect(toBlocks({ outcome: 'refused', text: 'no' }).text).toBe('⛔ no');
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(60)}`);
    const blocks = codeBlocks(lines, 10) as {
      type: string;
      text?: { text: string };
      elements?: { text: string }[];
    }[];
    expect(blocks).toHaveLength(10);
    for (const b of blocks.slice(1)) expect(b.text!.text.length).toBeLessThanOrEqual(3000);
    const note = blocks[0]!.elements![0]!.text;
    expect(note).toMatch(/^… \d+ earlier lines not shown here\.$/);
    // The newest lines stay, without a gap before them.
    expect(blocks[9]!.text!.text).toContain('line 4999 ');
    const shownLines = blocks.slice(1).flatMap((b) => b.text!.text.replace(/```/g, '').split('\n'));
    expect(Number(/\d+/.exec(note)![0]) + shownLines.length).toBe(5000);
    expect(codeBlocks(['a', 'b'], 5)).toHaveLength(1);
    const all = toBlocks({ outcome: 'ok', text: 'logs', block: lines });
    expect(all.blocks.length).toBeLessThanOrEqual(50);
  });
});

describe('Slack housekeeping', () => {
  it('blanks tokens out of log lines', () => {
    expect(redactTokens('auth failed for xoxb-123-456-abcDEF and xapp-1-A0-xyz')).toBe(
      'auth failed for xoxb-… and xapp-…',
    );
  });
});
