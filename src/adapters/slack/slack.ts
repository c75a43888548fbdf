import type { App, RespondFn } from '@slack/bolt';
import { z } from 'zod';
import type { SlackConfig } from '../../config/config.js';
import { MAX_COMMAND_LENGTH, type Source } from '../../commands/dispatch.js';
import type { Ops } from '../../ops/ops.js';
import { SeenRequests } from '../../store/seen-requests.js';
import { AdapterLife, type ChatAdapter } from '../adapter-life.js';
import { startCardSweep } from '../../watch/approval-sweep.js';
import { runInMessage } from '../chat-run.js';
import { slackAlertPoster, slackRef } from './alert-poster.js';
import { toBlocks } from './blocks.js';
import { slackSink, slackThread } from './message-sink.js';
import { echo, failureDetails, UNREADABLE } from './replies.js';
import { apiError, boltLogger, once429, redactTokens } from './web-api.js';
import { SlackGroups, usesSlackGroups } from './groups.js';
import { SlackReceiver } from './receiver.js';
import { timedAck } from '../ack-timer.js';

/**
 * How long a request id (a trigger id, a request signature) is remembered: longer
 * than the 10 minutes a signed request can be valid (its timestamp ±5 minutes).
 */
const SEEN_TTL_MS = 15 * 60_000;

/** A button's command that starts a live follow of transmissions. */
const FOLLOW = /^logs\s.*\s--follow(\s|$)/;

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

/** One command to run for a Slack user, and where to draw it. */
interface SlackRun {
  readonly client: App['client'];
  readonly text: string;
  readonly user: string;
  readonly channel: string;
  readonly threadTs: string | undefined;
  readonly header: string;
  readonly respond: RespondFn | undefined;
  readonly groups: SlackGroups;
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

  /** Runs `text` for a Slack user and draws it; the details of a failed rollout go into the thread. */
  const run = ({ client, text, user, channel, threadTs, header, respond, groups }: SlackRun) => {
    life.track(async () => {
      // Let the acks of requests that arrived meanwhile go out before this command's work.
      await new Promise((resolve) => setImmediate(resolve));
      const source: Source = {
        actor: `slack:${user}`,
        groups: await groups.of(user),
        channel: `slack:${channel}`,
        platform: 'slack',
      };
      const state = { hadProgress: false, blockInMessage: false };
      const sink = slackSink({ client, channel, threadTs, header, respond, state });
      const done = await runInMessage(ops, text, source, sink, {
        signal: life.signal,
        log,
        thread: slackThread(client, threadTs),
      });
      const ref = done.ref;
      // A failed rollout's log lines go into the thread (outpost add's steps are in the message).
      const inThread = done.hadProgress && !state.blockInMessage;
      if (inThread && done.reply.outcome === 'failed' && ref && 'ts' in ref) {
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
      await timedAck('slack', ack);
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
      run({
        client,
        text,
        user: c.data.user_id,
        channel: c.data.channel_id,
        threadTs: undefined,
        header: `slack:${c.data.user_id} · /otto ${echo(text)}`,
        respond,
        groups,
      });
    });

    created.action(/^otto:\d+$/, async ({ body, ack, respond, client }) => {
      await timedAck('slack', ack);
      const b = buttonPress.safeParse(body);
      if (!b.success) return log('otto: ignored a malformed Slack button press');
      const action = b.data.actions[0];
      if (!action || !(await seen.first(`slack-trigger:${b.data.trigger_id}`))) return;
      const thread = b.data.message?.thread_ts;
      run({
        client,
        text: action.value,
        user: b.data.user.id,
        channel: b.data.channel.id,
        // A button that starts a live follow (an alert's) answers in the pressed
        // message's thread, where its lines go too; other buttons answer beside it.
        threadTs: FOLLOW.test(action.value) ? (thread ?? b.data.message?.ts) : thread,
        header: `slack:${b.data.user.id} pressed ${echo(action.text.text)} · ${echo(action.value)}`,
        respond,
        groups,
      });
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
    connected: () => life.connected,
    alerts: slackAlertPoster(() => life.connection()),
  };
}
