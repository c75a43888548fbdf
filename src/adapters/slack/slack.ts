import { setTimeout as sleep } from 'node:timers/promises';
import type { App, Logger, RespondFn } from '@slack/bolt';
import { z } from 'zod';
import type { SlackConfig } from '../../config/config.js';
import { MAX_COMMAND_LENGTH, type Source } from '../../commands/dispatch.js';
import type { Reply } from '../../commands/types.js';
import { userText } from '../../user-text.js';
import type { Ops } from '../../ops/ops.js';
import { SeenRequests } from '../../store/seen-requests.js';
import { AdapterLife, type ChatAdapter } from '../adapter-life.js';
import { startCardSweep } from '../../watch/approval-sweep.js';
import { runInMessage } from '../chat-run.js';
import { RateLimited, type MessageSink } from '../live-message.js';
import { codeBlocks, mrkdwn, toBlocks, type Block } from './blocks.js';
import { SlackGroups, usesSlackGroups } from './groups.js';
import { SlackReceiver } from './receiver.js';
import { MessageRef } from '../../store/message-ref.js';

/** Where a reply is drawn: a channel message, or (when Otto is not in the channel) the command's response URL. */
type SlackRef = { readonly channel: string; readonly ts: string } | { readonly ephemeral: true };

/**
 * How long a request id (a trigger id, a request signature) is remembered: longer
 * than the 10 minutes a signed request can be valid (its timestamp ±5 minutes).
 */
const SEEN_TTL_MS = 15 * 60_000;

/** An over-long text is read on, so that dispatch answers it as the console does. */
const slashCommand = z.object({
  text: z.string(),
  user_id: z.string().regex(/^[UW][A-Z0-9]{2,40}$/),
  channel_id: z.string().regex(/^[CDG][A-Z0-9]{2,40}$/),
  trigger_id: z.string().min(1).max(200),
});

const buttonPress = z.object({
  trigger_id: z.string().min(1).max(200),
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]{2,40}$/) }),
  channel: z.object({ id: z.string().regex(/^[CDG][A-Z0-9]{2,40}$/) }),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).optional(),
  actions: z
    .array(
      z.object({ value: z.string().max(MAX_COMMAND_LENGTH), text: z.object({ text: z.string() }) }),
    )
    .min(1),
});

/** The answer, to its sender only, to a slash command whose fields Otto cannot read. */
const UNREADABLE: Reply = {
  outcome: 'usage',
  text: 'Otto could not read that command. Usage: /otto <command> [arguments], for example /otto status',
  fix: 'Type /otto help to see every command.',
};

/** How the header of a reply echoes typed text: shortened, and never as a mention. */
export function echo(text: string): string {
  return userText(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

const TOKEN = /\b(xox[a-z]|xapp)-[A-Za-z0-9-]+/g;
/** Log text with Slack tokens blanked out. */
export const redactTokens = (text: string) => text.replace(TOKEN, '$1-…');

function boltLogger(
  log: (msg: string) => void,
  LogLevel: typeof import('@slack/bolt').LogLevel,
): Logger {
  const order = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR] as string[];
  let level = LogLevel.WARN;
  let min = order.indexOf(level);
  // Bolt calls debug() on every event: return before formatting anything.
  const at =
    (l: string) =>
    (...msg: unknown[]) => {
      if (order.indexOf(l) < min) return;
      log(
        redactTokens(
          `slack: ${msg.map((m) => (m instanceof Error ? m.message : String(m))).join(' ')}`,
        ),
      );
    };
  return {
    debug: at(LogLevel.DEBUG),
    info: at(LogLevel.INFO),
    warn: at(LogLevel.WARN),
    error: at(LogLevel.ERROR),
    setLevel: (l) => {
      level = l;
      min = order.indexOf(l);
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** Slack's "slow down": the Web API client rejects at once (rejectRateLimitedCalls) and Otto waits. */
function asRateLimited(e: unknown): unknown {
  const err = e as { code?: string; retryAfter?: number };
  return err?.code === 'slack_webapi_rate_limited_error'
    ? new RateLimited(Math.max(1, err.retryAfter ?? 1) * 1000)
    : e;
}

/** Runs a call; after a rate limit (nothing was done) waits as told and sends it once more. */
async function once429<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const r = asRateLimited(e);
    if (!(r instanceof RateLimited)) throw e;
    await sleep(r.retryAfterMs);
    return call();
  }
}

function apiError(e: unknown): string | undefined {
  return (e as { data?: { error?: string } })?.data?.error;
}

/**
 * The Slack adapter: `/otto <text>` and Block Kit buttons, over Socket Mode or
 * signed HTTP requests. It acks at once, runs the command as the Slack user, and
 * draws the reply into one message that is edited as a rollout moves. If Slack
 * can't be reached at start it keeps trying with backoff, without blocking the rest.
 */
export function startSlack(ops: Ops, cfg: SlackConfig, log: (msg: string) => void): ChatAdapter {
  const life = new AdapterLife<App>('Slack', (m) => log(redactTokens(m)));
  const seen = new SeenRequests(ops.db, SEEN_TTL_MS);

  const sinkFor = (
    client: App['client'],
    channel: string,
    threadTs: string | undefined,
    header: string,
    respond: RespondFn | undefined,
    state: { hadProgress: boolean },
  ): MessageSink<SlackRef> & { refOf: (r: SlackRef) => string | undefined } => {
    // A rollout's log lines go into the thread under its message, not into the message.
    const draw = (reply: Reply) => toBlocks(reply, { header, withBlock: !state.hadProgress });
    return {
      post: async (reply, final) => {
        if (!final) state.hadProgress = true;
        try {
          const res = await client.chat.postMessage({
            channel,
            ...(threadTs ? { thread_ts: threadTs } : {}),
            ...draw(reply),
          });
          return { channel: res.channel ?? channel, ts: res.ts ?? '' };
        } catch (e) {
          const why = apiError(e);
          if (respond && (why === 'not_in_channel' || why === 'channel_not_found')) {
            await respond({ response_type: 'ephemeral', ...notInChannel(reply) });
            return { ephemeral: true };
          }
          throw asRateLimited(e);
        }
      },
      edit: async (ref, reply, final) => {
        if ('ephemeral' in ref) {
          if (final && respond) await respond({ replace_original: true, ...notInChannel(reply) });
          return;
        }
        try {
          await client.chat.update({ channel: ref.channel, ts: ref.ts, ...draw(reply) });
        } catch (e) {
          throw asRateLimited(e);
        }
      },
      refOf: (ref) =>
        'ts' in ref
          ? MessageRef.format({ kind: 'slack', channel: ref.channel, ts: ref.ts })
          : undefined,
    };
  };

  /** Runs `text` for a Slack user and draws it; the details of a failed rollout go into the thread. */
  const run = (
    client: App['client'],
    text: string,
    user: string,
    channel: string,
    threadTs: string | undefined,
    header: string,
    respond: RespondFn | undefined,
    groups: SlackGroups,
  ) => {
    life.track(async () => {
      // Let the acks of requests that arrived meanwhile go out before this command's work.
      await new Promise((resolve) => setImmediate(resolve));
      const source: Source = {
        actor: `slack:${user}`,
        groups: await groups.of(user),
        channel: `slack:${channel}`,
        platform: 'slack',
      };
      const state = { hadProgress: false };
      const sink = sinkFor(client, channel, threadTs, header, respond, state);
      const done = await runInMessage(ops, text, source, sink, { signal: life.signal, log });
      const ref = done.ref;
      if (done.hadProgress && done.reply.outcome === 'failed' && ref && 'ts' in ref) {
        await once429(() =>
          client.chat.postMessage({
            channel: ref.channel,
            thread_ts: ref.ts,
            ...failureDetails(done.reply),
          }),
        );
      }
    });
  };

  const connect = async (): Promise<App> => {
    const loaded = await import('@slack/bolt');
    // Bolt is CommonJS: bundled, its exports arrive as `default`.
    const bolt = (loaded as unknown as { default?: typeof loaded }).default ?? loaded;
    const { App: BoltApp, LogLevel } = bolt;
    const created = new BoltApp({
      token: cfg.botToken,
      ...(cfg.mode === 'socket'
        ? { socketMode: true, appToken: cfg.appToken }
        : {
            receiver: new SlackReceiver({
              signingSecret: cfg.signingSecret ?? '',
              host: cfg.host,
              port: cfg.port,
              seen,
              log: (m) => log(redactTokens(m)),
            }),
          }),
      clientOptions: {
        fetch: (await import('undici')).fetch as unknown as typeof fetch,
        slackApiUrl: cfg.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
      },
      logger: boltLogger(log, LogLevel),
      deferInitialization: true,
    });
    const groups = new SlackGroups(created.client, usesSlackGroups(ops.config), log);

    created.command('/otto', async ({ command, ack, respond, client }) => {
      await ack();
      const c = slashCommand.safeParse(command);
      if (!c.success) {
        log('otto: could not read a Slack slash command; answered its sender with the usage');
        await respond({ response_type: 'ephemeral', ...toBlocks(UNREADABLE) }).catch((e: unknown) =>
          log(redactTokens(`otto: could not answer it: ${String(e)}`)),
        );
        return;
      }
      if (!(await seen.first(`slack-trigger:${c.data.trigger_id}`))) return;
      const text = c.data.text.trim() || 'help';
      run(
        client,
        text,
        c.data.user_id,
        c.data.channel_id,
        undefined,
        `slack:${c.data.user_id} · /otto ${echo(text)}`,
        respond,
        groups,
      );
    });

    created.action(/^otto:\d+$/, async ({ body, ack, respond, client }) => {
      await ack();
      const b = buttonPress.safeParse(body);
      if (!b.success) return log('otto: ignored a malformed Slack button press');
      const action = b.data.actions[0];
      if (!action || !(await seen.first(`slack-trigger:${b.data.trigger_id}`))) return;
      const thread = b.data.message?.thread_ts;
      run(
        client,
        action.value,
        b.data.user.id,
        b.data.channel.id,
        thread,
        `slack:${b.data.user.id} pressed ${echo(action.text.text)} · ${echo(action.value)}`,
        respond,
        groups,
      );
    });

    created.error(async (e) => log(redactTokens(`otto: Slack: ${e.message}`)));
    try {
      await created.init();
    } catch (e) {
      const why = apiError(e);
      if (why === 'invalid_auth' || why === 'not_authed' || why === 'account_inactive')
        throw new Error(
          `Slack refused the bot token (${why}); check slack.bot_token in otto.yml (xoxb-..., OAuth & Permissions) and restart Otto`,
          { cause: e },
        );
      throw e;
    }
    await created.start();
    return created;
  };

  life.start(connect, (app) => {
    log(
      `🛰️  Slack connected (${cfg.mode === 'socket' ? 'Socket Mode' : `HTTP on ${cfg.host} port ${cfg.port}, /slack/events`}).`,
    );
    return startCardSweep(
      ops,
      'slack:',
      async (ref, reply) => {
        const { channel, ts } = slackRef(ref);
        await once429(() => app.client.chat.update({ channel, ts, ...toBlocks(reply) }));
      },
      log,
    );
  });

  return {
    stop: (reason) => life.stop(reason, (app) => app.stop()),
    alerts: {
      async post(channel, reply) {
        const { client } = life.connection();
        const res = await once429(() => client.chat.postMessage({ channel, ...toBlocks(reply) }));
        return MessageRef.format({
          kind: 'slack',
          channel: res.channel ?? channel,
          ts: res.ts ?? '',
        });
      },
      async reply(ref, reply) {
        const { client } = life.connection();
        const { channel, ts } = slackRef(ref);
        await once429(() =>
          client.chat.postMessage({ channel, thread_ts: ts, ...toBlocks(reply) }),
        );
        return ref;
      },
      async edit(ref, reply) {
        const { client } = life.connection();
        const { channel, ts } = slackRef(ref);
        await once429(() => client.chat.update({ channel, ts, ...toBlocks(reply) }));
      },
    },
  };
}

/** The thread reply under a failed rollout: the reason, what to do, and the last log lines. */
function failureDetails(reply: Reply) {
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
function notInChannel(reply: Reply) {
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

/** A stored Slack message ref; anything else is a bug in whoever stored it. */
function slackRef(text: string): { channel: string; ts: string } {
  const ref = MessageRef.parse(text);
  if (ref?.kind !== 'slack') throw new Error(`${text} is not a Slack message`);
  return ref;
}
