import { Document, isMap, isScalar, type Node, type YAMLMap } from 'yaml';
import {
  TOKEN_VARIABLES,
  type ChatAnswer,
  type ClusterAnswer,
  type InitAnswers,
} from './answers.js';

/** What a comment goes with: a line above the key, and a note after its value. */
interface Note {
  readonly above?: string;
  readonly after?: string;
  /** A blank line before the key (and its comment): between the top-level sections. */
  readonly space?: boolean;
}

/** Puts comments on the pair `key` of `map`: `above` before the key, `after` on the value's line. */
function note(map: unknown, key: string, { above, after, space }: Note): void {
  if (!isMap(map)) throw new Error(`otto-yml: ${key} is not under a mapping`);
  const pair = (map as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === key);
  if (!pair) throw new Error(`otto-yml: no key ${key}`);
  if (above !== undefined && isScalar(pair.key)) pair.key.commentBefore = ` ${above}`;
  if (after !== undefined) (pair.value as Node).comment = ` ${after}`;
  if (space && isScalar(pair.key)) pair.key.spaceBefore = true;
}

function clusterValue(c: ClusterAnswer): Record<string, unknown> {
  const dockerHost = c.dockerHost === undefined ? {} : { docker_host: c.dockerHost };
  if (c.kind === 'local') return { local: true, ...dockerHost };
  return {
    managers: [
      {
        host: c.host,
        port: c.port,
        user: c.user,
        private_key_file: c.privateKeyFile,
        host_key: c.hostKey,
      },
    ],
    ...dockerHost,
  };
}

function chatValue(chat: ChatAnswer): Record<string, unknown> {
  if (chat.kind === 'slack')
    return {
      slack: {
        bot_token: `\${${TOKEN_VARIABLES.slackBot}}`,
        app_token: `\${${TOKEN_VARIABLES.slackApp}}`,
      },
    };
  if (chat.kind === 'discord')
    return {
      discord: {
        token: `\${${TOKEN_VARIABLES.discord}}`,
        application_id: chat.applicationId,
      },
    };
  return {};
}

function noteCluster(doc: Document, c: ClusterAnswer): void {
  const clusters = doc.get('clusters', true);
  const cluster = doc.getIn(['clusters', c.name], true);
  if (c.kind === 'local') {
    note(clusters, c.name, { above: 'The Swarm Otto launches on: the one this machine is in.' });
    note(cluster, 'local', { after: 'the docker CLI of the machine Otto runs on' });
  } else {
    note(clusters, c.name, {
      above: 'The Swarm Otto launches on: a manager it reaches over SSH.',
    });
    note(cluster, 'managers', {
      above: 'More managers here: Otto tries the next when one is down.',
    });
    const manager = doc.getIn(['clusters', c.name, 'managers', 0], true);
    note(manager, 'private_key_file', { after: 'without a passphrase: Otto types none' });
    note(manager, 'host_key', {
      after: 'trusted at otto init; a server offering another key is refused',
    });
  }
  if (c.dockerHost !== undefined)
    note(cluster, 'docker_host', { after: "passed to the manager's docker CLI as -H" });
}

function noteChat(doc: Document, chat: ChatAnswer): void {
  if (chat.kind === 'slack') {
    note(doc.contents, 'slack', {
      space: true,
      above:
        'Slack, in Socket Mode (no public URL). The tokens come from the environment:\n Otto reads ${NAME} when it starts, and they never land in this file.',
    });
    const slack = doc.get('slack', true);
    note(slack, 'bot_token', { after: 'OAuth & Permissions: Bot User OAuth Token (xoxb-…)' });
    note(slack, 'app_token', {
      after: 'Basic Information: App-Level Token with connections:write (xapp-…)',
    });
  } else if (chat.kind === 'discord') {
    note(doc.contents, 'discord', {
      space: true,
      above:
        'Discord. The bot token comes from the environment: Otto reads ${NAME} when it\n starts, and it never lands in this file.',
    });
    const discord = doc.get('discord', true);
    note(discord, 'token', { after: "the application's Bot page: Reset Token" });
    note(discord, 'application_id', { after: 'General Information: Application ID' });
  }
}

/**
 * The commented otto.yml for `otto init`'s answers: minimal (defaults are left out)
 * and valid, tokens as `${NAME}` only.
 *
 * @example
 * ottoYml({
 *   cluster: { kind: 'local', name: 'local' },
 *   fleet: { name: 'hello', composeFile: 'examples/hello/compose.yml', example: true },
 *   chat: { kind: 'none' },
 * })
 */
export function ottoYml(a: InitAnswers): string {
  const doc = new Document({
    data_dir: '.otto',
    clusters: { [a.cluster.name]: clusterValue(a.cluster) },
    fleets: { [a.fleet.name]: { cluster: a.cluster.name, compose_file: a.fleet.composeFile } },
    ...chatValue(a.chat),
  });
  doc.commentBefore = [
    ' otto.yml, written by otto init. README.md, section "Configuration: otto.yml",',
    ' lists every key with an example; otto checks the whole file at every start.',
  ].join('\n');
  note(doc.contents, 'data_dir', {
    above: "Otto's flight log (SQLite) and the key that encrypts secrets: back this folder up.",
    after: 'relative to this file',
  });
  noteCluster(doc, a.cluster);
  note(doc.contents, 'clusters', { space: true });
  note(doc.contents, 'fleets', {
    space: true,
    above: `A fleet is a stack: launch ${a.fleet.name} sends its compose file to the cluster.`,
  });
  const fleet = doc.getIn(['fleets', a.fleet.name], true);
  note(fleet, 'compose_file', {
    after: a.fleet.example
      ? "Otto's example: one small web page"
      : a.fleet.composeFile.startsWith('/') || a.fleet.composeFile.startsWith('~/')
        ? 'read at every launch'
        : 'relative to this file, read at every launch',
  });
  noteChat(doc, a.chat);
  return doc.toString({ lineWidth: 0 });
}
