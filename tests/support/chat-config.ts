import type { DiscordStandin } from './discord-standin.js';
import type { SlackStandin } from './slack-standin.js';

/**
 * otto.yml's `slack:` (Socket Mode) and `discord:` sections for the stand-ins, their
 * tokens and URLs read from the environment that {@link chatEnv} gives.
 */
export const CHAT_SECTIONS = {
  slack: {
    mode: 'socket',
    bot_token: '${SLACK_BOT_TOKEN}',
    app_token: '${SLACK_APP_TOKEN}',
    api_url: '${SLACK_API}',
  },
  discord: {
    token: '${DISCORD_TOKEN}',
    application_id: '100000000000000001',
    guild_id: '100000000000000003',
    api_url: '${DISCORD_API}',
  },
};

/** What the tokens of {@link chatEnv} look like: none may ever appear in Otto's log. */
export const CHAT_TOKENS = /xoxb-0000|xapp-1-secret|secret-discord-token/;

/** The environment {@link CHAT_SECTIONS} reads, once both stand-ins listen. */
export function chatEnv(slack: SlackStandin, discord: DiscordStandin): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-0000-secret-bot-token',
    SLACK_APP_TOKEN: 'xapp-1-secret-app-token',
    SLACK_API: slack.apiUrl,
    DISCORD_TOKEN: 'MTAwMDAw.secret-discord-token.abcdefghijkl',
    DISCORD_API: discord.apiUrl,
  };
}
