import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { INGRESS_SERVICE, INGRESS_STACK } from '../../src/swarm/ingress.js';
import { rows } from '../support/db.js';
import {
  DiscordStandin,
  member,
  slash as discordSlash,
  type RestCall,
} from '../support/discord-standin.js';
import { type Nodes, startNodes, type TestNode } from '../support/nodes.js';
import { CHAT_SECTIONS, CHAT_TOKENS, chatEnv } from '../support/chat-config.js';
import { startOtto, type OttoProcess } from '../support/otto-process.js';
import {
  ensureDockerSocketPath,
  INGRESS_STANDIN,
  makeIngressStandin,
} from '../support/outpost-images.js';
import { Conversation, textOf, tsOf } from '../support/slack-messages.js';
import {
  buttonPayload,
  slashPayload,
  SlackStandin,
  type ApiCall,
} from '../support/slack-standin.js';
import { until } from '../support/standin-server.js';
import { waitFor } from '../support/testbed.js';
import { workspace, type Workspace } from '../support/workspace.js';

const bed = inject('testbed');

const ACME_EMAIL = 'ops@example.com';
const SERVICE = `${INGRESS_STACK}_${INGRESS_SERVICE}`;
/** Slack users: an admin, a deployer, a viewer. */
const S = { admin: 'UADMIN', deployer: 'UDEPLOY', viewer: 'UVIEW' } as const;
/** Discord users: an admin and a viewer. */
const D = { admin: '300000000000000011', viewer: '300000000000000013' } as const;
/** A Swarm node ID as Docker prints it. */
const NODE_ID = /^\w{25}$/;

interface Row {
  components: { custom_id: string; label: string }[];
}

/** A Discord call's message text with its buttons as [Label]. */
function discordText(call: RestCall): string {
  const rowsOf = (call.body['components'] ?? []) as Row[];
  const labels = rowsOf.flatMap((r) => r.components.map((c) => `[${c.label}]`));
  return [String(call.body['content'] ?? ''), ...labels].join('\n');
}

/** The buttons of a Slack message: label and the command it runs. */
function slackButtons(call: ApiCall): { label: string; command: string }[] {
  const blocks = (call.args['blocks'] ?? []) as {
    type: string;
    elements?: { text: { text: string }; value: string }[];
  }[];
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => ({ label: e.text.text, command: e.value }));
}

/** The step lines of a drawn reply (✅, ⚠️, ❌, ⏳), in order, without indent or code fences. */
const steps = (text: string) =>
  text
    .split('\n')
    .map((l) => l.replace(/^`+|`+$/g, '').trim())
    .filter((l) => /^(✅|⚠️|❌|⏳)/.test(l));

/** The fingerprint a host-key prompt shows. */
const offered = (text: string) =>
  /offers the host key (SHA256:[A-Za-z0-9+/]{43})\. /.exec(text)?.[1];

/**
 * `outpost add` from chat, for real: an admin types it in Slack (the real Bolt client
 * over Socket Mode, against the local Slack stand-in) and in Discord (the real
 * discord.js client over the gateway, against the local Discord stand-in). Otto
 * shows the node's real host key with **Trust and set up** / **Cancel**; Cancel
 * changes nothing; Trust and set up edits one message through the preflight, the
 * Swarm and the ingress, and leaves a bare node (tests/support/nodes.ts) a manager
 * of its cluster with the ingress running. Anyone but an admin is refused, and a
 * key file (a path on Otto's machine) is never taken from chat.
 */
describe.skipIf(bed === null)('outpost add from Slack and Discord, with the real clients', () => {
  if (!bed) return;
  const slack = new SlackStandin();
  const discord = new DiscordStandin();
  let nodes: Nodes | undefined;
  /** sNode: the bare node set up from Slack (cluster `sedge`); dNode: from Discord (`dedge`). */
  let sNode: TestNode, dNode: TestNode;
  let ws: Workspace;
  let otto: OttoProcess | undefined;
  let undoSocket: () => Promise<void> = async () => {};

  beforeAll(async () => {
    nodes = await startNodes([{}, {}]);
    [sNode, dNode] = nodes.nodes as [TestNode, TestNode];
    // The ingress's image, which no registry gives here, on the nodes that will run it.
    await makeIngressStandin(nodes.dir, [sNode.dockerHost, dNode.dockerHost]);
    undoSocket = await ensureDockerSocketPath();
    await slack.listen();
    await discord.listen();
    /** A cluster whose only manager is `node`, not in a Swarm yet: outpost add creates it. */
    const cluster = (node: TestNode) => ({
      managers: [
        {
          host: node.ip,
          port: 22,
          user: node.user,
          private_key_file: node.keyFile,
          host_key: node.hostFingerprint,
        },
      ],
      ingress: { acme_email: ACME_EMAIL, image: INGRESS_STANDIN },
    });
    ws = workspace(
      bed,
      {},
      { sedge: cluster(sNode), dedge: cluster(dNode) },
      {
        access: {
          [`slack:${S.admin}`]: 'admin',
          [`slack:${S.deployer}`]: 'deployer',
          [`slack:${S.viewer}`]: 'viewer',
          [`discord:${D.admin}`]: 'admin',
          [`discord:${D.viewer}`]: 'viewer',
        },
        ...CHAT_SECTIONS,
      },
    );
    otto = startOtto(ws.config, ws.dir, chatEnv(slack, discord));
    await otto.waitForLog('Slack connected (Socket Mode)', 90_000);
    await otto.waitForLog('Discord connected', 90_000);
    await until('a Socket Mode connection to the Slack stand-in', () => slack.connected);
    await discord.waitReady();
  }, 300_000);

  afterAll(async () => {
    try {
      const code = await otto?.stop();
      if (otto && process.env['DEBUG_OUTPOST_CHAT']) console.log(otto.log());
      expect(code).toBe(0);
      expect(otto?.log()).not.toMatch(CHAT_TOKENS);
    } finally {
      await slack.close();
      await discord.close();
      // The stacks first (bounded: a stuck engine must not keep the nodes up).
      for (const node of [sNode, dNode].filter(Boolean))
        await execa('docker', ['-H', node.dockerHost, 'stack', 'rm', INGRESS_STACK], {
          reject: false,
          timeout: 30_000,
        });
      await nodes?.stop();
      await undoSocket();
    }
  }, 180_000);

  interface Outpost {
    cluster: string;
    host: string;
    port: number;
    user: string;
    key_file: string;
    role: string;
    fingerprint: string;
    node_id: string | null;
    added_by: string;
  }
  const outposts = () =>
    rows(
      ws.dir,
      'select cluster, host, port, user, key_file, role, fingerprint, node_id, added_by from outposts order by added_at',
    ) as unknown as Outpost[];
  const hostKeys = () => rows(ws.dir, 'select host, fingerprint from host_keys order by host');
  /** The node's Swarm state, from its own engine: `inactive false ` when it is in none. */
  const swarm = async (node: TestNode) =>
    (
      await node.docker([
        'info',
        '--format',
        '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}',
      ])
    ).stdout.trim();
  /** What sshd of `node` has logged so far: a refused command must not reach the node at all. */
  const sshdLog = (node: TestNode) => readFileSync(node.sshdLog, 'utf8');

  /** The final steps of a first manager set up on `node` for `cluster`. */
  const managerSteps = (node: TestNode, cluster: string, id: string) => [
    `✅ Host key of ${node.ip}:22: ${node.hostFingerprint}.`,
    `✅ Key authentication works for ${node.user}@${node.ip}.`,
    `✅ Passwordless sudo works for ${node.user}.`,
    expect.stringMatching(/^(✅|⚠️) .*(supported|is not one Otto is tested on)/),
    expect.stringMatching(/^(✅ Docker \S+ is running\.|⚠️ Docker \S+ works, but is older)/),
    expect.stringMatching(new RegExp(`^✅ Free disk at ${node.dataRoot}: `)),
    `✅ Created the Swarm of ${cluster} on ${node.ip} (advertising ${node.ip}).`,
    `✅ Ingress deployed: ${INGRESS_STANDIN} on traefik-public, ports 80 and 443, certificates from Let's Encrypt for ${ACME_EMAIL}.`,
    `✅ ${node.ip} is an outpost of ${cluster} (manager, node ${id}).`,
  ];

  /** After a Trust and set up: `node` manages its own Swarm, runs the ingress, and is recorded. */
  const expectManagerWithIngress = async (
    node: TestNode,
    cluster: string,
    id: string,
    actor: string,
  ) => {
    expect(await swarm(node)).toBe(`active true ${id}`);
    const role = await node.docker(['node', 'inspect', 'self', '--format', '{{.Spec.Role}}']);
    expect(role.stdout.trim()).toBe('manager');
    const ls = await node.docker(['service', 'ls', '--format', '{{.Name}}']);
    expect(ls.stdout.trim().split('\n')).toEqual([SERVICE]);
    await waitFor(
      `${SERVICE} running on ${node.name}`,
      async () =>
        /^1\/1/.test(
          (
            await node.docker([
              'service',
              'ls',
              '--filter',
              `name=${SERVICE}`,
              '--format',
              '{{.Replicas}}',
            ])
          ).stdout.trim(),
        ),
      120_000,
    ).catch(async (e: Error) => {
      const ps = await node.docker(['service', 'ps', SERVICE, '--no-trunc']);
      throw new Error(`${e.message}:\n${ps.stdout}${ps.stderr}`);
    });
    expect(outposts().filter((o) => o.cluster === cluster)).toEqual([
      {
        cluster,
        host: node.ip,
        port: 22,
        user: node.user,
        key_file: node.keyFile,
        role: 'manager',
        fingerprint: node.hostFingerprint,
        node_id: id,
        added_by: actor,
      },
    ]);
    expect(hostKeys()).toContainEqual({ host: node.ip, fingerprint: node.hostFingerprint });
  };

  describe('Slack', () => {
    const slash = (text: string, user: string) =>
      slack.envelope('slash_commands', slashPayload(slack, text, user));
    const press = (message: ApiCall, label: string, user: string) =>
      slack.envelope('interactive', buttonPayload(slack, message, label, user));
    /** `outpost add sedge <node>` as the admin: the host-key prompt Otto posts. */
    const ask = async () => {
      const talk = new Conversation(slack);
      await slash(`outpost add sedge ${sNode.ip}`, S.admin);
      return talk.posted('offers the host key');
    };

    it('refuses a deployer and a viewer, with what to ask for; nothing reaches the node', async () => {
      const before = sshdLog(sNode);
      for (const [user, role] of [
        [S.deployer, 'deployer'],
        [S.viewer, 'viewer'],
      ] as const) {
        const talk = new Conversation(slack);
        await slash(`outpost add sedge ${sNode.ip}`, user);
        const refused = await talk.posted('/otto outpost add sedge');
        expect(textOf(refused)).toContain(
          `⛔ <@${user}> can't run outpost add: that needs the admin role, and <@${user}> has ${role}. Nothing was changed.`,
        );
        expect(textOf(refused)).toContain(
          `→ An admin can raise it with \`<@${user}>: admin\` under access: in otto.yml.`,
        );
        expect(slackButtons(refused)).toEqual([]);
      }
      expect(
        rows(ws.dir, "select actor, outcome from audit where command like 'outpost add%'"),
      ).toEqual([
        { actor: `slack:${S.deployer}`, outcome: 'refused' },
        { actor: `slack:${S.viewer}`, outcome: 'refused' },
      ]);
      expect(sshdLog(sNode)).toBe(before);
      expect(outposts()).toEqual([]);
      expect(await swarm(sNode)).toBe('inactive false');
    });

    it('never takes a key file from chat: --key is refused with the usage', async () => {
      const before = sshdLog(sNode);
      const talk = new Conversation(slack);
      await slash(`outpost add sedge ${sNode.ip} --key ${sNode.keyFile}`, S.admin);
      const refused = await talk.posted('/otto outpost add sedge');
      expect(textOf(refused)).toContain(
        '❔ A key file is named on Otto’s machine only: run otto outpost add there, or leave --key out to use the key of the cluster’s managers.',
      );
      expect(slackButtons(refused)).toEqual([]);
      expect(sshdLog(sNode)).toBe(before);
      expect(outposts()).toEqual([]);
    });

    it("shows the node's host key with Trust and set up / Cancel; Cancel changes nothing", async () => {
      const prompt = await ask();
      expect(offered(textOf(prompt))).toBe(sNode.hostFingerprint);
      expect(textOf(prompt)).toContain(
        `${sNode.ip}:22 offers the host key ${sNode.hostFingerprint}. Compare it with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server before you trust it. Nothing was changed yet.`,
      );
      expect(slackButtons(prompt)).toEqual([
        {
          label: 'Trust and set up',
          command: `outpost add sedge ${sNode.ip} --user ${sNode.user} --port 22 --role manager --fingerprint ${sNode.hostFingerprint}`,
        },
        { label: 'Cancel', command: `outpost cancel sedge ${sNode.ip}` },
      ]);
      // Only the key was read: no login yet, nothing trusted.
      expect(hostKeys()).toEqual([]);

      const loginsBefore = sshdLog(sNode).match(/Accepted publickey/g)?.length ?? 0;
      const talk = new Conversation(slack);
      await press(prompt, 'Cancel', S.admin);
      const cancelled = await talk.posted('pressed Cancel');
      expect(textOf(cancelled)).toContain(
        `Cancelled: Otto did not set up ${sNode.ip} for sedge, and trusted nothing.`,
      );
      expect(sshdLog(sNode).match(/Accepted publickey/g)?.length ?? 0).toBe(loginsBefore);
      expect(outposts()).toEqual([]);
      expect(hostKeys()).toEqual([]);
      expect(await swarm(sNode)).toBe('inactive false');
      expect((await sNode.docker(['service', 'ls', '-q'])).stdout.trim()).toBe('');
    });

    it('Trust and set up edits one message through the steps to a manager with its ingress', async () => {
      const prompt = await ask();
      expect(offered(textOf(prompt))).toBe(sNode.hostFingerprint);
      const talk = new Conversation(slack);
      await press(prompt, 'Trust and set up', S.admin);
      const first = await talk.posted('pressed Trust and set up');
      const ts = tsOf(first);
      const done = await talk.drawn(ts, `🛰️ Outpost ${sNode.ip} is part of sedge`, 240_000);
      const id = /created its Swarm \(node (\w+)\)/.exec(textOf(done))?.[1] ?? '';
      expect(id).toMatch(NODE_ID);
      expect(textOf(done)).toContain(
        `🛰️ Outpost ${sNode.ip} is part of sedge: it created its Swarm (node ${id}).`,
      );
      expect(steps(textOf(done))).toEqual(managerSteps(sNode, 'sedge', id));
      expect(slackButtons(done)).toEqual([]);

      // One message: posted once for the press, then only edited, the steps growing.
      const posts = slack
        .callsOf('chat.postMessage')
        .filter((c) => slack.calls.indexOf(c) >= slack.calls.indexOf(first));
      expect(posts).toEqual([first]);
      const history = talk.history(ts);
      expect(history.length).toBeGreaterThan(1);
      expect(history.slice(1).every((c) => c.method === 'chat.update')).toBe(true);
      expect(history.at(-1)).toBe(done);
      const progress = history.slice(0, -1).map(textOf);
      expect(
        progress.every((t) => t.includes(`Setting up ${sNode.ip} as a manager of sedge:`)),
      ).toBe(true);
      const ticks = history.map((c) => steps(textOf(c)).filter((l) => l.startsWith('✅')).length);
      expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
      expect(ticks[0]).toBeLessThan(ticks.at(-1)!);
      // No thread of failure details under it.
      expect(talk.thread(ts)).toEqual([]);

      await expectManagerWithIngress(sNode, 'sedge', id, `slack:${S.admin}`);
      expect(
        rows(
          ws.dir,
          "select actor, outcome from audit where command like 'outpost add sedge%--fingerprint%'",
        ),
      ).toEqual([{ actor: `slack:${S.admin}`, outcome: 'ok' }]);

      // A viewer sees it in the list of outposts.
      talk.mark();
      await slash('outpost list sedge', S.viewer);
      const list = await talk.posted('/otto outpost list sedge');
      expect(textOf(list)).toContain('Outposts Otto added to sedge:');
      expect(textOf(list)).toMatch(
        new RegExp(
          `sedge · ${sNode.ip}:22 · manager · ${sNode.user} · node ${id} · ${sNode.hostFingerprint.replace(/[+/]/g, '\\$&')} · added \\S+ by <@${S.admin}>`,
        ),
      );
    }, 300_000);
  });

  describe('Discord', () => {
    /** Sends `/otto <sub>` as `user`; resolves with the interaction's token once Otto deferred it. */
    const command = async (sub: string, options: Record<string, string>, user: string) => {
      const i = discord.interaction({ ...discordSlash(sub, options), member: member(user) });
      await i.deferred;
      return i.token;
    };
    const edits = (token: string) =>
      discord.calls.filter((c) => c.method === 'PATCH' && c.path.includes(`/${token}/messages/`));
    /** The first edit of the reply to interaction `token` whose text contains `text`. */
    const reply = (token: string, text: string, ms?: number) =>
      discord.waitFor(
        (c) =>
          c.method === 'PATCH' &&
          c.path.includes(`/${token}/messages/`) &&
          discordText(c).includes(text),
        `reply ${token} showing "${text}"`,
        ms,
      );
    const buttonsOf = (token: string) =>
      (discord.messages.get(discord.originalOf(token)!)!.components as Row[]).flatMap(
        (r) => r.components,
      );
    /** Presses the button labelled `label` on the message behind interaction `token`. */
    const press = async (token: string, label: string, user: string) => {
      const message = discord.messages.get(discord.originalOf(token)!)!;
      const button = buttonsOf(token).find((c) => c.label === label);
      if (!button) throw new Error(`no ${label} button on ${message.content}`);
      const i = discord.interaction({
        type: 3,
        member: member(user),
        data: { custom_id: button.custom_id, component_type: 2 },
        message: discord.apiMessage(message),
      });
      await i.deferred;
      return i.token;
    };
    /** `/otto outpost add` as the admin: the token of the host-key prompt. */
    const ask = async () => {
      const token = await command('outpost add', { cluster: 'dedge', host: dNode.ip }, D.admin);
      const shown = await reply(token, 'offers the host key');
      expect(offered(discordText(shown))).toBe(dNode.hostFingerprint);
      return token;
    };

    it('refuses a viewer; nothing reaches the node', async () => {
      const before = sshdLog(dNode);
      const token = await command('outpost add', { cluster: 'dedge', host: dNode.ip }, D.viewer);
      const refused = await reply(token, '⛔');
      expect(discordText(refused)).toContain(
        `⛔ <@${D.viewer}> can't run outpost add: that needs the admin role, and <@${D.viewer}> has viewer. Nothing was changed.`,
      );
      expect(buttonsOf(token)).toEqual([]);
      expect(sshdLog(dNode)).toBe(before);
      expect(outposts().filter((o) => o.cluster === 'dedge')).toEqual([]);
      expect(await swarm(dNode)).toBe('inactive false');
    });

    it('never takes a key file from chat: the key option is refused with the usage', async () => {
      const before = sshdLog(dNode);
      const token = await command(
        'outpost add',
        { cluster: 'dedge', host: dNode.ip, key: dNode.keyFile },
        D.admin,
      );
      const refused = await reply(token, '❔');
      expect(discordText(refused)).toContain('❔ A key file is named on Otto’s machine only');
      expect(buttonsOf(token)).toEqual([]);
      expect(sshdLog(dNode)).toBe(before);
      expect(outposts().filter((o) => o.cluster === 'dedge')).toEqual([]);
    });

    it("shows the node's host key with Trust and set up / Cancel; Cancel changes nothing", async () => {
      const prompt = await ask();
      expect(buttonsOf(prompt).map((b) => b.label)).toEqual(['Trust and set up', 'Cancel']);
      // Discord takes custom ids of at most 100 characters (the stand-in does not check).
      for (const b of buttonsOf(prompt)) expect(b.custom_id.length).toBeLessThanOrEqual(100);

      const cancel = await press(prompt, 'Cancel', D.admin);
      const cancelled = await reply(cancel, 'Cancelled');
      expect(discordText(cancelled)).toContain(
        `Cancelled: Otto did not set up ${dNode.ip} for dedge, and trusted nothing.`,
      );
      expect(outposts().filter((o) => o.cluster === 'dedge')).toEqual([]);
      expect(hostKeys()).not.toContainEqual(expect.objectContaining({ host: dNode.ip }));
      expect(await swarm(dNode)).toBe('inactive false');
    });

    it('Trust and set up edits one message through the steps to a manager with its ingress', async () => {
      const token = await press(await ask(), 'Trust and set up', D.admin);
      const done = await reply(token, `🛰️ Outpost ${dNode.ip} is part of dedge`, 240_000);
      const id = /created its Swarm \(node (\w+)\)/.exec(discordText(done))?.[1] ?? '';
      expect(id).toMatch(NODE_ID);
      expect(steps(discordText(done))).toEqual(managerSteps(dNode, 'dedge', id));
      expect(discordText(done)).toContain(`<@${D.admin}> pressed Trust and set up`);

      // One message: the deferred reply, edited through the steps; nothing else posted.
      const all = edits(token);
      expect(all.length).toBeGreaterThan(1);
      expect(all.at(-1)).toBe(done);
      expect(all.every((c) => /\/messages\/(@|%40)original$/.test(c.path))).toBe(true);
      expect(
        discord.calls.filter((c) => c.method === 'POST' && c.path.startsWith('/channels/')),
      ).toEqual([]);
      const progress = all.slice(0, -1).map(discordText);
      expect(
        progress.every((t) => t.includes(`Setting up ${dNode.ip} as a manager of dedge:`)),
      ).toBe(true);
      const ticks = all.map((c) => steps(discordText(c)).filter((l) => l.startsWith('✅')).length);
      expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
      expect(ticks[0]).toBeLessThan(ticks.at(-1)!);

      await expectManagerWithIngress(dNode, 'dedge', id, `discord:${D.admin}`);

      const list = await command('outpost list', { cluster: 'dedge' }, D.viewer);
      const listed = await reply(list, 'Outposts Otto added to dedge:');
      expect(discordText(listed)).toContain(
        `dedge · ${dNode.ip}:22 · manager · ${dNode.user} · node ${id} · ${dNode.hostFingerprint} · added `,
      );
    }, 300_000);
  });
});
