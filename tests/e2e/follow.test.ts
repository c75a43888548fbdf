import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CHANNEL_ID,
  DiscordStandin,
  member,
  slash as discordSlash,
  type RestCall,
} from '../support/discord-standin.js';
import { CHAT_SECTIONS, CHAT_TOKENS, chatEnv } from '../support/chat-config.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import { Conversation, textOf, tsOf } from '../support/slack-messages.js';
import { buttonPayload, slashPayload, SlackStandin } from '../support/slack-standin.js';
import { until } from '../support/standin-server.js';
import { docker, waitFor } from '../support/testbed.js';
import { workspace } from '../support/workspace.js';

const bed = inject('testbed');

const SECRET = 'tok-2718281828';
const S = { viewer: 'UVIEW', other: 'UOTHER' } as const;
const D = { viewer: '300000000000000021' } as const;

/** A service whose two replicas print a numbered line, with a secret in it, five times a second. */
const chatty = (image: string) => ({
  services: {
    app: {
      image,
      command: [
        'sh',
        '-c',
        // $$ is a literal $ in a compose file: the shell in the task expands these.
        'i=0; while true; do i=$$((i+1)); echo "tick $$i token=$$TOKEN"; echo "noise $$i"; sleep 0.2; done',
      ],
      environment: { TOKEN: '${TOKEN}' },
      deploy: { replicas: 2 },
      stop_grace_period: '1s',
    },
  },
});

/**
 * The `docker service logs --follow` processes of a stack on the test bed's machine
 * (the docker processes only, not a shell that may have started them).
 */
async function streamsOf(stack: string): Promise<string[]> {
  const r = await execa('pgrep', ['-af', `service logs --follow`], { reject: false });
  return r.stdout.split('\n').filter((l) => /^\d+ docker /.test(l) && l.includes(`${stack}_`));
}

interface Row {
  components: { custom_id: string; label: string }[];
}

/** A Discord call's message text with its buttons as [Label]. */
function discordText(call: RestCall): string {
  const rowsOf = (call.body['components'] ?? []) as Row[];
  const labels = rowsOf.flatMap((r) => r.components.map((c) => `[${c.label}]`));
  return [String(call.body['content'] ?? ''), ...labels].join('\n');
}

/**
 * `logs --follow` for real: the real Bolt and discord.js clients against the
 * stand-ins, a real Swarm over a real sshd. Lines of both replicas arrive in the
 * command's thread, batched, secrets masked; Stop ends the follow and its remote
 * `docker service logs` process; the follow ends by itself when its service is
 * removed and when Otto stops.
 */
describe.skipIf(bed === null)('logs --follow in Slack and Discord threads', () => {
  if (!bed) return;
  const slack = new SlackStandin();
  const discord = new DiscordStandin();
  const ws = workspace(
    bed,
    {
      chatter: { compose: chatty(bed.images.v1) },
      fading: { compose: chatty(bed.images.v1) },
    },
    undefined,
    {
      access: {
        [`slack:${S.viewer}`]: 'viewer',
        [`slack:${S.other}`]: 'viewer',
        [`discord:${D.viewer}`]: 'viewer',
      },
      ...CHAT_SECTIONS,
    },
  );
  let otto: OttoProcess | undefined;

  beforeAll(async () => {
    await slack.listen();
    await discord.listen();
    // `otto secret set` and `otto say` read the same otto.yml, chat sections included.
    Object.assign(process.env, chatEnv(slack, discord));
    for (const fleet of ['chatter', 'fading']) {
      expect((await ws.otto(['secret', 'set', fleet, 'TOKEN'], SECRET)).code).toBe(0);
      const launched = await ws.say(`launch ${fleet}`);
      expect(launched.stdout).toContain('is in orbit');
    }
    otto = startOtto(ws.config, ws.dir, chatEnv(slack, discord));
    await otto.waitForLog('Slack connected (Socket Mode)', 90_000);
    await otto.waitForLog('Discord connected', 90_000);
    await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
    await discord.waitReady();
  }, 300_000);

  afterAll(async () => {
    await otto?.stop();
    if (process.env['DEBUG_FOLLOW'])
      console.log(
        otto?.log(),
        discord.calls
          .map((c) => `${c.method} ${c.path} ${JSON.stringify(c.body).slice(0, 300)}`)
          .join('\n'),
      );
    await slack.close();
    await discord.close();
    for (const s of ['chatter', 'fading']) await docker(bed, ['stack', 'rm', s]);
    expect(otto?.log() ?? '').not.toMatch(CHAT_TOKENS);
  }, 120_000);

  const slashSlack = (text: string, user: string) =>
    slack.envelope('slash_commands', slashPayload(slack, text, user));

  it('streams both replicas into the Slack thread, masked and filtered, until Stop', async () => {
    const talk = new Conversation(slack);
    await slashSlack('logs chatter app --follow --grep tick', S.viewer);
    const started = await talk.posted('Following chatter app live');
    const ts = tsOf(started);
    expect(textOf(started)).toContain('[Stop]');
    await waitFor(
      'lines of both replicas in the thread',
      async () => {
        const text = talk.thread(ts).map(textOf).join('\n');
        return text.includes('chatter_app.1@') && text.includes('chatter_app.2@');
      },
      60_000,
    );
    const posts = talk.thread(ts);
    const text = posts.map(textOf).join('\n');
    expect(text).toMatch(/tick \d+ token=••••••/);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('noise');
    // Batched: at most one post a second into the thread.
    for (let i = 1; i < posts.length; i++)
      expect(posts[i]!.at - posts[i - 1]!.at).toBeGreaterThanOrEqual(900);
    expect(await streamsOf('chatter')).toHaveLength(1);
    // Another viewer may not stop it; its starter may, with its button.
    await slashSlack('logs stop 1', S.other);
    await talk.posted('s follow of chatter: that needs the deployer role');
    await slack.envelope('interactive', buttonPayload(slack, started, 'Stop', S.viewer));
    const ended = await talk.drawn(ts, 'ended: stopped by <@UVIEW>');
    expect(textOf(ended)).toMatch(/\d+ lines came in/);
    expect(textOf(ended)).toContain('[Follow again]');
    // The remote stream ended with its SSH channel.
    await waitFor(
      'no docker service logs left',
      async () => (await streamsOf('chatter')).length === 0,
      30_000,
    );
  });

  it('streams into a thread on the Discord reply, and stops with its button', async () => {
    const i = discord.interaction({
      ...discordSlash('logs', { fleet: 'chatter', service: 'app', follow: true, for: '2m' }),
      member: member(D.viewer),
    });
    await i.deferred;
    await discord.waitFor(
      (c) =>
        c.method === 'PATCH' &&
        c.path.includes(`/${i.token}/messages/`) &&
        discordText(c).includes('Following chatter app live'),
      'the follow message',
      60_000,
    );
    const message = discord.originalOf(i.token)!;
    await discord.waitFor(
      (c) =>
        c.method === 'POST' && c.path === `/channels/${CHANNEL_ID}/messages/${message}/threads`,
      'a thread on the reply',
      60_000,
    );
    // A thread started from a message has the message's id.
    const line = await discord.waitFor(
      (c) =>
        c.method === 'POST' &&
        c.path === `/channels/${message}/messages` &&
        discordText(c).includes('chatter_app.'),
      'lines in the thread',
      60_000,
    );
    expect(discordText(line)).toMatch(/token=••••••/);
    expect(discordText(line)).not.toContain(SECRET);
    const shown = discord.messages.get(message)!;
    const stop = (shown.components as Row[])
      .flatMap((r) => r.components)
      .find((c) => c.label === 'Stop');
    const pressed = discord.interaction({
      type: 3,
      member: member(D.viewer),
      data: { custom_id: stop!.custom_id, component_type: 2 },
      message: discord.apiMessage(shown),
    });
    await pressed.deferred;
    await discord.waitFor(
      (c) =>
        c.method === 'PATCH' &&
        c.path.includes(`/${i.token}/messages/`) &&
        /ended: stopped by <@300000000000000021>/.test(discordText(c)),
      'the follow ended',
      60_000,
    );
    await waitFor(
      'no docker service logs left',
      async () => (await streamsOf('chatter')).length === 0,
      30_000,
    );
  });

  it('ends by itself when its service is removed', async () => {
    const talk = new Conversation(slack);
    await slashSlack('logs fading app --follow', S.viewer);
    const ts = tsOf(await talk.posted('Following fading app live'));
    await waitFor('a line', async () => talk.thread(ts).length > 0, 60_000);
    await docker(bed, ['service', 'rm', 'fading_app']);
    await talk.drawn(ts, 'ended: app was removed from the Swarm', 90_000);
    await waitFor(
      'no docker service logs left',
      async () => (await streamsOf('fading')).length === 0,
      30_000,
    );
  });

  it('streams to the terminal with otto say, until its time is up', async () => {
    const r = await ws.say('logs chatter app --follow --for 10s --grep tick');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('chatter_app.'));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((l) => /\| tick \d+ token=••••••$/.test(l))).toBe(true);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toMatch(
      /📡 Follow \d+ of chatter app ended: its 10 s are up\. \d+ lines came in\./,
    );
    expect(r.stderr).toContain('📡 Following chatter app live');
    await waitFor(
      'no docker service logs left',
      async () => (await streamsOf('chatter')).length === 0,
      30_000,
    );
  });

  it('ends when Otto stops, and says so', async () => {
    const talk = new Conversation(slack);
    await slashSlack('logs chatter app --follow', S.viewer);
    const ts = tsOf(await talk.posted('Following chatter app live'));
    await waitFor('a line', async () => talk.thread(ts).length > 0, 60_000);
    expect(await otto!.stop()).toBe(0);
    await talk.drawn(ts, 'ended: Otto was stopped', 10_000);
    await waitFor(
      'no docker service logs left',
      async () => (await streamsOf('chatter')).length === 0,
      30_000,
    );
  });
});
