import type { Reply } from '../../commands/types.js';
import { userText } from '../../user-text.js';
import { codeBlocks, mrkdwn, toBlocks, type Block } from './blocks.js';

/** Slack-only replies: the usage for an unreadable command, failure details, not-in-channel. */

/** The answer, to its sender only, to a slash command whose fields Otto cannot read. */
export const UNREADABLE: Reply = {
  outcome: 'usage',
  text: 'Otto could not read that command. Usage: /otto <command> [arguments], for example /otto status',
  fix: 'Type /otto help to see every command.',
};

/** How the header of a reply echoes typed text: shortened, and never as a mention. */
export function echo(text: string): string {
  return userText(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/** The thread reply under a failed rollout: the reason, what to do, and the last log lines. */
export function failureDetails(reply: Reply) {
  const lines = reply.block ?? [];
  const blocks = [
    { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(reply.text) } },
    ...(reply.fix
      ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(`→ ${reply.fix}`) }] }]
      : []),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: lines.length
            ? 'Last log lines:'
            : 'No log lines came back from the failing service.',
        },
      ],
    },
    ...codeBlocks(lines, 45),
  ] as Block[];
  return { text: `Details: ${mrkdwn(reply.text)}`.slice(0, 3000), blocks };
}

/** What the user who ran a command sees when Otto is not in the channel. */
export function notInChannel(reply: Reply) {
  const drawn = toBlocks(reply);
  return {
    text: drawn.text,
    blocks: [
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'Otto is not in this channel, so only you see this. Invite Otto with /invite @Otto to share replies.',
          },
        ],
      },
      ...drawn.blocks,
    ],
  };
}
