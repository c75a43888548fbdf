import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  Client,
  Interaction,
} from 'discord.js';
import type { DiscordConfig } from '../../config/config.js';
import type { Source } from '../../commands/dispatch.js';
import { fleetChoices, serviceChoices } from '../../commands/choices.js';
import { userText } from '../../user-text.js';
import type { Reply } from '../../commands/types.js';
import type { Ops } from '../../ops/ops.js';
import { AdapterLife, type ChatAdapter } from '../adapter-life.js';
import { startCardSweep } from '../../watch/approval-sweep.js';
import { runInMessage } from '../chat-run.js';
import { OTTO_COMMAND, subcommandInput, subcommandOf, toText } from './commands.js';
import { OttoError } from '../../errors.js';
import { BUTTON_PREFIX, KEPT_BUTTON_PREFIX, toDiscord } from './render.js';
import { ButtonCommands } from './button-commands.js';
import type { MessageSink } from '../live-message.js';
import {
  discordAlertPoster,
  discordRef,
  discordThread,
  editInChannel,
  loadDiscord,
  type DiscordJs,
  type DiscordRef,
} from './channel-messages.js';
import { MessageRef } from '../../store/message-ref.js';
import { timedAck } from '../ack-timer.js';

/** Interaction tokens last 15 minutes; after 14, edits go through the channel instead. */
const TOKEN_LIFETIME_MS = 14 * 60_000;

/** Redacts a Discord bot token (three dot-separated base64 parts) from log text. */
export const redactDiscordToken = (text: string, token: string) =>
  text.split(token).join('[token]');

/**
 * Why Otto must not serve an interaction, or undefined when it may: a direct
 * message (`/otto` is registered for servers only, so only an old registration
 * or a crafted call gets here), or a server other than `discord.guild_id`.
 * `discord:*` and per-user grants would otherwise reach past the home server.
 */
export function outsideHome(guildId: string | null, home: string | undefined): string | undefined {
  if (!guildId) return 'a direct message: /otto is served in servers only';
  if (home && guildId !== home)
    return `server ${guildId}: only ${home} (discord.guild_id) is served`;
  return undefined;
}

/**
 * The answer to an interaction from outside: only the person sees it, and it names
 * nothing of Otto's (no server, fleet or channel). Silence would leave Discord's
 * "The application did not respond", which reads as Otto being down.
 */
export const OUTSIDE_HOME_REPLY =
  "⛔ Otto doesn't take commands here, only in the Discord server it works for (never in direct messages). Nothing was run.\n→ Run /otto from a channel of that server, or ask your Otto admin which one.";

/** `discord:<user>` and the member's roles as `discord-role:<role>`, as the interaction says. */
function who(i: Interaction): { actor: string; groups: string[] } {
  const roles = (i.member as { roles?: unknown } | null)?.roles;
  const ids = Array.isArray(roles)
    ? (roles as string[])
    : roles && typeof roles === 'object' && 'cache' in roles
      ? [...(roles as { cache: Map<string, unknown> }).cache.keys()]
      : [];
  return { actor: `discord:${i.user.id}`, groups: ids.map((r) => `discord-role:${r}`) };
}

/** The Discord channel ids otto.yml names, so that they are drawn as channels, not people. */
function configuredChannels(ops: Ops): Set<string> {
  return new Set(
    [...ops.config.fleets.values()].flatMap((f) =>
      (f.channels ?? []).filter((c) => c.startsWith('discord:')).map((c) => c.slice(8)),
    ),
  );
}

/**
 * The answer to a press of a button whose command was kept in memory (too long for
 * a custom id) by an Otto that has restarted since.
 */
export const FORGOTTEN_BUTTON_REPLY =
  '❔ Otto restarted since it drew that button, and no longer knows its command. Nothing was run.\n→ Run the command again for fresh buttons.';

function editOptions(
  reply: Reply,
  channels: ReadonlySet<string>,
  keep: (command: string) => string,
  header?: string,
) {
  const m = toDiscord(reply, { channels, keep, ...(header ? { header } : {}) });
  return {
    content: m.content,
    components: m.components,
    allowedMentions: m.allowed_mentions,
    files: m.files.map((f) => ({ attachment: f.data, name: f.name })),
    attachments: [],
  };
}

/**
 * The Discord adapter: `/otto <subcommand>` and message buttons over the gateway.
 * Every interaction is deferred at once, then the reply is edited in place as the
 * command runs (one message per rollout, edits coalesced). If Discord can't be
 * reached at start, it keeps trying with backoff without blocking the rest.
 */
export function startDiscord(
  ops: Ops,
  cfg: DiscordConfig,
  log: (msg: string) => void,
): ChatAdapter {
  const safeLog = (msg: string) => log(redactDiscordToken(msg, cfg.token));
  const known = configuredChannels(ops);
  const life = new AdapterLife<{ client: Client; discord: DiscordJs }>('Discord', safeLog);
  const kept = new ButtonCommands();
  const keep = (command: string) => kept.keep(command);

  const run = (
    discord: DiscordJs,
    i: ChatInputCommandInteraction | ButtonInteraction,
    text: string,
    header?: string,
  ) => {
    // The token's 15 minutes run from when Discord sent the interaction, about now.
    const received = Date.now();
    life.track(async () => {
      const id = who(i);
      const source: Source = { ...id, channel: `discord:${i.channelId}`, platform: 'discord' };
      const channels = new Set([...known, i.channelId]);
      const sink: MessageSink<DiscordRef> & { refOf: (r: DiscordRef) => string } = {
        // The deferred reply is the message: "posting" is its first edit.
        post: async (reply) => {
          const m = (await i.editReply(editOptions(reply, channels, keep, header))) as unknown as {
            id: string;
            channelId?: string;
            channel_id?: string;
          };
          return { channelId: m.channelId ?? m.channel_id ?? i.channelId ?? '', messageId: m.id };
        },
        edit: async (ref, reply) => {
          if (Date.now() - received > TOKEN_LIFETIME_MS) {
            const m = toDiscord(reply, { channels, keep, ...(header ? { header } : {}) });
            return editInChannel(discord, i.client, ref, m);
          }
          await i.editReply(editOptions(reply, channels, keep, header));
        },
        refOf: (ref) =>
          MessageRef.format({ kind: 'discord', channel: ref.channelId, message: ref.messageId }),
      };
      await runInMessage(ops, text, source, sink, {
        signal: life.signal,
        log: safeLog,
        // An alert's Logs button follows the service in the alert's own thread.
        thread: discordThread(
          discord,
          i.client,
          i.isButton() ? { channelId: i.channelId, messageId: i.message.id } : undefined,
        ),
      });
    });
  };

  const autocomplete = async (i: AutocompleteInteraction) => {
    const focused = i.options.getFocused(true);
    const id = who(i);
    const channel = `discord:${i.channelId}`;
    const typed = String(focused.value).slice(0, 63);
    const names =
      focused.name === 'service'
        ? await serviceChoices(ops, id, channel, i.options.getString('fleet') ?? '', typed)
        : fleetChoices(ops, id, channel, typed);
    await i.respond(names.map((n) => ({ name: n, value: n })));
  };

  const onInteraction = async (discord: DiscordJs, i: Interaction) => {
    try {
      const outside = outsideHome(i.guildId, cfg.guildId);
      if (outside) {
        safeLog(`otto: Discord: dropped an interaction from discord:${i.user.id} in ${outside}.`);
        if (i.isAutocomplete()) return await i.respond([]);
        if (i.isRepliable()) {
          await i.reply({ content: OUTSIDE_HOME_REPLY, flags: discord.MessageFlags.Ephemeral });
        }
        return;
      }
      if (i.isAutocomplete()) return await autocomplete(i);
      if (i.isChatInputCommand() && i.commandName === 'otto') {
        await timedAck('discord', () => i.deferReply());
        const sub = subcommandInput.safeParse(subcommandOf(i.options.data[0]));
        if (!sub.success) {
          await i.editReply({
            content: '❔ Otto did not understand that command. Try /otto help.',
          });
          return;
        }
        return run(discord, i, toText(sub.data));
      }
      const own = [BUTTON_PREFIX, KEPT_BUTTON_PREFIX];
      if (i.isButton() && own.some((p) => i.customId.startsWith(p))) {
        await timedAck('discord', () => i.deferReply());
        const label = (i.component as { label?: string | null } | undefined)?.label ?? 'a button';
        // The command is in the custom id, or kept here when it was too long for one.
        const command = i.customId.startsWith(BUTTON_PREFIX)
          ? i.customId.slice(BUTTON_PREFIX.length)
          : kept.get(i.customId.slice(KEPT_BUTTON_PREFIX.length));
        if (command === undefined) {
          await i.editReply({ content: FORGOTTEN_BUTTON_REPLY });
          return;
        }
        return run(
          discord,
          i,
          command,
          `discord:${i.user.id} pressed ${userText(`${label} · ${command}`)}`,
        );
      }
    } catch (e) {
      safeLog(`otto: a Discord interaction failed: ${e instanceof Error ? e.message : e}`);
    }
  };

  const connect = async () => {
    const discord = await loadDiscord();
    const created = new discord.Client({
      intents: [discord.GatewayIntentBits.Guilds],
      // No retries of failed requests: a create that may have reached Discord is never
      // sent twice. Rate limits (429) are still waited out by the REST queue.
      rest: { api: cfg.apiUrl, retries: 0 },
    });
    created.on(discord.Events.InteractionCreate, (i) => void onInteraction(discord, i));
    created.on(discord.Events.Error, (e) => safeLog(`otto: Discord: ${e.message}`));
    created.on(discord.Events.ShardDisconnect, () =>
      safeLog('Discord gateway disconnected; discord.js reconnects and resumes.'),
    );
    const ready = new Promise<void>((resolve) =>
      created.once(discord.Events.ClientReady, () => resolve()),
    );
    try {
      await created.login(cfg.token);
      await ready;
    } catch (e) {
      await created.destroy();
      throw e;
    }
    return { client: created, discord };
  };

  life.start(connect, ({ client, discord }) => {
    safeLog(`🛰️  Discord connected as ${client.user?.username ?? 'otto'}.`);
    return startCardSweep(
      ops,
      'discord:',
      async (ref, reply) => {
        await editInChannel(
          discord,
          client,
          discordRef(ref),
          toDiscord(reply, { channels: known }),
        );
      },
      safeLog,
    );
  });

  return {
    stop: (reason) => life.stop(reason, ({ client }) => client.destroy()),
    connected: () => life.connected,
    alerts: discordAlertPoster(() => life.connection(), known),
  };
}

/**
 * Registers (or updates) `/otto` with Discord: in one guild, where it is usable at
 * once, or globally, where Discord can take up to an hour to show it.
 */
export async function registerDiscordCommand(
  cfg: DiscordConfig,
  guild: string | undefined,
): Promise<string> {
  const { REST, Routes } = await loadDiscord();
  const rest = new REST({ api: cfg.apiUrl, retries: 0 }).setToken(cfg.token);
  try {
    await rest.put(
      guild
        ? Routes.applicationGuildCommands(cfg.applicationId, guild)
        : Routes.applicationCommands(cfg.applicationId),
      { body: [OTTO_COMMAND] },
    );
  } catch (e) {
    throw new OttoError(
      `Discord refused the /otto command: ${redactDiscordToken(e instanceof Error ? e.message : String(e), cfg.token)}`,
      'Check discord.token and discord.application_id in otto.yml, and that the bot was invited with the applications.commands scope.',
    );
  }
  const elsewhere =
    cfg.guildId && guild !== cfg.guildId
      ? ` Note: discord.guild_id is ${cfg.guildId}, so Otto answers /otto only there.`
      : '';
  return guild
    ? `🛰️  /otto is registered in guild ${guild}: it can be used there now.${elsewhere}`
    : `🛰️  /otto is registered globally: Discord can take up to an hour to show it everywhere.${elsewhere}`;
}
