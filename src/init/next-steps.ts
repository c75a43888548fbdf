import { TOKEN_VARIABLES, type ChatAnswer } from './answers.js';

/**
 * The permissions Otto's Discord bot asks for: View Channels, Send Messages, Create
 * Public Threads and Send Messages in Threads (README, section Discord).
 */
export const DISCORD_PERMISSIONS = '309237648384';

/**
 * The link that invites the bot to a server, with the scopes `bot` and
 * `applications.commands`, as README's Discord section builds it.
 * @example discordInviteUrl('123456789012345678') // 'https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot%20applications.commands&permissions=309237648384'
 */
export function discordInviteUrl(applicationId: string): string {
  return `https://discord.com/oauth2/authorize?client_id=${applicationId}&scope=bot%20applications.commands&permissions=${DISCORD_PERMISSIONS}`;
}

export interface NextStepsInput {
  readonly chat: ChatAnswer;
  readonly fleet: string;
  /** ` --config FILE` when otto.yml is not ./otto.yml, else empty. */
  readonly configFlag: string;
  /** The Slack manifest's path, as the person can open it. */
  readonly manifest: string;
  /** Variables the fleet's compose file needs: secrets to set before its first launch. */
  readonly secrets: readonly string[];
}

/**
 * What to do after `otto init`, numbered: the chat's setup (Slack's manifest, or
 * Discord's invite link), the variables to export (names only), then the command
 * that starts Otto.
 */
export function nextSteps(n: NextStepsInput): string[] {
  const steps: string[] = [];
  const c = n.configFlag;
  if (n.secrets.length > 0)
    steps.push(
      `The fleet's compose file needs ${n.secrets.join(', ')}: set ${n.secrets.length === 1 ? 'it' : 'each'} with otto secret set ${n.fleet} <NAME>${c}.`,
    );
  if (n.chat.kind === 'slack') {
    steps.push(
      `At https://api.slack.com/apps choose Create New App → From a manifest, paste the contents of ${n.manifest}, then Install to Workspace.`,
      `In Basic Information → App-Level Tokens, make a token with the scope connections:write.`,
      `Export the two tokens (otto.yml names them, never holds them):\n       export ${TOKEN_VARIABLES.slackBot}=xoxb-…   # OAuth & Permissions → Bot User OAuth Token\n       export ${TOKEN_VARIABLES.slackApp}=xapp-…   # the app-level token`,
      `otto start${c}, then in a channel: /invite @otto and /otto launch ${n.fleet}`,
    );
  } else if (n.chat.kind === 'discord') {
    steps.push(
      `Invite the bot to your server:\n       ${discordInviteUrl(n.chat.applicationId)}`,
      `Export the bot token (otto.yml names it, never holds it):\n       export ${TOKEN_VARIABLES.discord}=…   # the application's Bot page → Reset Token`,
      `otto discord register${c}   # adds /otto; --guild SERVER_ID: in one server, at once`,
      `otto start${c}, then in a channel: /otto launch fleet:${n.fleet}`,
    );
  } else {
    steps.push(`otto console${c}, then type: launch ${n.fleet}`);
  }
  return steps.map((s, i) => `  ${i + 1}. ${s}`);
}
