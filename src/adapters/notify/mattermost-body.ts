import type { Reply } from '../../commands/types.js';
import { commandsOf, linesOf, type NoticeKind } from './thread.js';

/** A Mattermost incoming webhook's JSON: markdown `text`, and Otto's own keys in `props`. */
export interface MattermostBody {
  readonly text: string;
  readonly props: { readonly otto: { readonly kind: NoticeKind; readonly id: string } };
}

/** Keeps a word after @ from mentioning (`@channel`, `@alice`): a zero-width space after the @. */
function quiet(text: string): string {
  return text.replace(/(^|[\s(["'])@(?=\w)/g, '$1@\u200b');
}

/**
 * One message for a Mattermost incoming webhook (`mattermost:<url>`), in
 * Mattermost's markdown. An incoming webhook can't edit or reply in a thread, so a
 * later message of the same incident or launch starts with ↪️.
 */
export function mattermostBody(m: {
  readonly kind: NoticeKind;
  readonly id: string;
  readonly first: boolean;
  readonly reply: Reply;
}): MattermostBody {
  const r = m.reply;
  const out = [`${m.first ? '' : '↪️ '}${quiet(r.text)}`];
  if (r.fields?.length)
    out.push(r.fields.map((f) => `**${f.label}:** ${quiet(f.value)}`).join(' · '));
  const lines = linesOf(r);
  if (lines.length)
    out.push(['```', ...lines.map((l) => l.replace(/```/g, '`\u200b``')), '```'].join('\n'));
  if (r.fix) out.push(`→ ${quiet(r.fix)}`);
  const commands = commandsOf(r);
  if (commands.length) out.push(`In chat: ${commands.map((c) => `\`${c}\``).join(' · ')}`);
  return { text: out.join('\n'), props: { otto: { kind: m.kind, id: m.id } } };
}
