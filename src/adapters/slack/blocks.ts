import type { types } from '@slack/bolt';
import type { Reply } from '../../commands/types.js';

/** Slack's limits: text objects hold 3000 characters, a message 50 blocks, a button value 2000. */
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_PER_SECTION = 10;
const MAX_BLOCKS = 50;

export type Block = types.KnownBlock;

export interface SlackMessage {
  /** The notification and screen-reader text. */
  readonly text: string;
  readonly blocks: Block[];
}

const OUTCOME_MARK: Record<Reply['outcome'], string> = {
  ok: '',
  failed: '',
  usage: '❔ ',
  refused: '⛔ ',
};

/** Escapes the three characters Slack's mrkdwn treats as markup, then mentions Slack users and channels. */
export function mrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\bslack:([UW][A-Z0-9]{2,})\b/g, '<@$1>')
    .replace(/\bslack:([CG][A-Z0-9]{2,})\b/g, '<#$1>');
}

function clip(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max - 40)}\n… (${text.length - max + 40} more characters)`;
}

/**
 * Lines as code blocks of at most TEXT_MAX characters each, in at most `room`
 * blocks. When they don't all fit, the newest lines stay (logs end with what
 * matters) and a first line says how many earlier ones were left out.
 */
export function codeBlocks(lines: readonly string[], room: number): Block[] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let size = 0;
  let shown = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const raw = lines[i] ?? '';
    const line = raw.length > 2000 ? `${raw.slice(0, 2000)} …` : raw;
    const len = mrkdwn(line).length + 1;
    if (size + len > TEXT_MAX - 10) {
      chunks.unshift(chunk);
      chunk = [];
      size = 0;
      if (chunks.length === room - 1) break;
    }
    chunk.unshift(line);
    size += len;
    shown++;
  }
  if (chunk.length && chunks.length < room - 1) chunks.unshift(chunk);
  else shown -= chunk.length;
  const blocks = chunks.map((c) => section(`\`\`\`${mrkdwn(c.join('\n'))}\`\`\``));
  const left = lines.length - shown;
  return left > 0 ? [context(`… ${left} earlier lines not shown here.`), ...blocks] : blocks;
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, TEXT_MAX) } };
}

function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(mrkdwn(text), TEXT_MAX) }] };
}

/** Draws a reply as Block Kit. Buttons carry their text command as the value. */
export function toBlocks(
  reply: Reply,
  opts: { header?: string; withBlock?: boolean } = {},
): SlackMessage {
  const blocks: Block[] = [];
  if (opts.header) blocks.push(context(opts.header));
  const text = `${OUTCOME_MARK[reply.outcome]}${reply.text}`;
  blocks.push(section(mrkdwn(text)));
  const fields = reply.fields ?? [];
  for (let i = 0; i < fields.length; i += FIELDS_PER_SECTION) {
    blocks.push({
      type: 'section',
      fields: fields.slice(i, i + FIELDS_PER_SECTION).map((f) => ({
        type: 'mrkdwn',
        text: clip(`*${mrkdwn(f.label)}*\n${mrkdwn(f.value)}`, FIELD_MAX),
      })),
    });
  }
  const tail: Block[] = [];
  if (reply.fix) tail.push(context(`→ ${reply.fix}`));
  if (reply.buttons?.length) {
    tail.push({
      type: 'actions',
      elements: reply.buttons.slice(0, 25).map((b, i) => ({
        type: 'button',
        action_id: `otto:${i}`,
        text: { type: 'plain_text', text: b.label.slice(0, 75) },
        value: b.command.slice(0, 2000),
        ...(b.style ? { style: b.style } : {}),
      })),
    });
  }
  if (reply.block?.length && opts.withBlock !== false) {
    blocks.push(...codeBlocks(reply.block, MAX_BLOCKS - blocks.length - tail.length));
  }
  blocks.push(...tail);
  return { text: clip(mrkdwn(text), TEXT_MAX), blocks };
}
