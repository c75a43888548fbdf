import type { Reply } from '../../commands/types.js';
import { commandsOf, linesOf } from './thread.js';

type Element = Readonly<Record<string, unknown>>;

/** What a Teams workflow ("When a Teams webhook request is received") takes: one Adaptive Card. */
export interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly [
    {
      readonly contentType: 'application/vnd.microsoft.card.adaptive';
      readonly contentUrl: null;
      readonly content: {
        readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
        readonly type: 'AdaptiveCard';
        readonly version: '1.4';
        readonly msteams: { readonly width: 'Full' };
        readonly body: readonly Element[];
      };
    },
  ];
}

const COLOR = { ok: 'Good', failed: 'Attention' } as const;

/**
 * One message for a Teams workflow webhook (`teams:<url>`) as an Adaptive Card 1.4:
 * the text in bold (green when good, red when not), the fields as facts, log lines
 * in monospace, the fix, and the chat commands the buttons would run. A later
 * message of the same incident or launch starts with ↪️.
 */
export function teamsCard(m: { readonly first: boolean; readonly reply: Reply }): TeamsMessage {
  const r = m.reply;
  const color = COLOR[r.outcome as keyof typeof COLOR] ?? 'Default';
  const body: Element[] = [
    {
      type: 'TextBlock',
      text: `${m.first ? '' : '↪️ '}${r.text}`,
      wrap: true,
      weight: 'Bolder',
      color,
    },
  ];
  if (r.fields?.length)
    body.push({
      type: 'FactSet',
      facts: r.fields.map((f) => ({ title: f.label, value: f.value })),
    });
  const lines = linesOf(r);
  if (lines.length)
    body.push({
      type: 'Container',
      style: 'emphasis',
      items: lines.map((l) => ({
        type: 'TextBlock',
        text: l || ' ',
        wrap: true,
        fontType: 'Monospace',
        size: 'Small',
        spacing: 'None',
      })),
    });
  if (r.fix) body.push({ type: 'TextBlock', text: `→ ${r.fix}`, wrap: true });
  const commands = commandsOf(r);
  if (commands.length)
    body.push({
      type: 'TextBlock',
      text: `In chat: ${commands.join(' · ')}`,
      wrap: true,
      isSubtle: true,
      size: 'Small',
    });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
        },
      },
    ],
  };
}
