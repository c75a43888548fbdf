import type { Button, Reply } from '../../commands/types.js';

/** Discord's limits: 2000 characters of content, 5 rows of 5 buttons, 100-char custom ids, 80-char labels. */
export const CONTENT_MAX = 2000;
const ROWS = 5;
const PER_ROW = 5;
const CUSTOM_ID_MAX = 100;
export const BUTTON_PREFIX = 'otto:';
/** The custom id of a button whose command is too long for one: `otto#<id>` (see ButtonCommands). */
export const KEPT_BUTTON_PREFIX = 'otto#';

const STYLE = { primary: 1, secondary: 2, danger: 4 } as const;

export interface DiscordMessage {
  readonly content: string;
  readonly components: {
    type: 1;
    components: { type: 2; style: number; label: string; custom_id: string }[];
  }[];
  /** Mentions render, but nobody is pinged by an edit or a command's echo. */
  readonly allowed_mentions: { parse: [] };
  /** Output too long for the message, attached as a text file. */
  readonly files: { name: string; data: Buffer }[];
}

/**
 * Draws `discord:<id>` as a mention: a channel (`<#id>`) when `channels` holds the
 * id, else a user (`<@id>`). Both are snowflakes, so the caller names the channels.
 */
export function mentions(text: string, channels: ReadonlySet<string> = new Set()): string {
  return text.replace(/\bdiscord:(\d{15,25})\b/g, (_, id: string) =>
    channels.has(id) ? `<#${id}>` : `<@${id}>`,
  );
}

/** Keeps text from turning into markdown it was not meant as (a user's lock reason, say). */
function escapeCode(text: string): string {
  return text.replace(/```/g, '`\u200b``');
}

/**
 * A button's custom id: its command, or, when that is too long for one, the id
 * `keep` gives it; without `keep`, a button whose command is too long is left out.
 */
function customId(command: string, keep?: (command: string) => string): string | undefined {
  if (BUTTON_PREFIX.length + command.length <= CUSTOM_ID_MAX) return `${BUTTON_PREFIX}${command}`;
  return keep ? `${KEPT_BUTTON_PREFIX}${keep(command)}` : undefined;
}

function buttons(
  list: readonly Button[],
  keep?: (command: string) => string,
): DiscordMessage['components'] {
  const usable = list.flatMap((b) => {
    const id = customId(b.command, keep);
    return id ? [{ ...b, id }] : [];
  });
  const rows: DiscordMessage['components'] = [];
  for (let i = 0; i < Math.min(usable.length, ROWS * PER_ROW); i += PER_ROW) {
    rows.push({
      type: 1,
      components: usable.slice(i, i + PER_ROW).map((b) => ({
        type: 2,
        style: STYLE[b.style ?? 'secondary'],
        label: b.label.slice(0, 80),
        custom_id: b.id,
      })),
    });
  }
  return rows;
}

/**
 * Draws a reply as one Discord message. Preformatted output (logs, diffs) goes in a
 * code block when it fits, and otherwise whole into an attached text file, with a
 * line saying so: never cut silently.
 */
export function toDiscord(
  reply: Reply,
  opts: {
    header?: string;
    channels?: ReadonlySet<string>;
    /** Keeps a button command too long for a custom id; returns its short id. */
    keep?: (command: string) => string;
  } = {},
): DiscordMessage {
  const at = (text: string) => mentions(text, opts.channels);
  const mark = reply.outcome === 'refused' ? '⛔ ' : reply.outcome === 'usage' ? '❔ ' : '';
  const lines = [
    ...(opts.header ? [`-# ${at(opts.header)}`] : []),
    `${mark}${at(reply.text)}`,
    ...(reply.fields ?? []).map((f) =>
      f.value.includes('\n') ? `**${f.label}**\n${at(f.value)}` : `**${f.label}**: ${at(f.value)}`,
    ),
    ...(reply.fix ? [`→ ${at(reply.fix)}`] : []),
  ];
  let content = lines.join('\n');
  const files: DiscordMessage['files'] = [];
  if (reply.block?.length) {
    const code = `\n\`\`\`\n${escapeCode(reply.block.join('\n'))}\n\`\`\``;
    if (content.length + code.length <= CONTENT_MAX) content += code;
    else {
      files.push({ name: 'otto-output.txt', data: Buffer.from(`${reply.block.join('\n')}\n`) });
      content += `\n📎 ${reply.block.length} lines of output are in the attached file otto-output.txt.`;
    }
  }
  if (content.length > CONTENT_MAX) {
    files.push({ name: 'otto-reply.txt', data: Buffer.from(`${content}\n`) });
    content = `${content.slice(0, CONTENT_MAX - 80)}\n… the whole reply is in the attached file otto-reply.txt.`;
  }
  return {
    content,
    components: buttons(reply.buttons ?? [], opts.keep),
    allowed_mentions: { parse: [] },
    files,
  };
}
