import { OttoError, UsageError } from '../errors.js';
import { clustersArg, findCluster, nodeArg } from './cluster-lookup.js';
import { addOutpost, type OutpostOutcome } from '../ops/outpost-add.js';
import { removeOutpost } from '../ops/outpost-remove.js';
import { doctor } from '../ops/doctor.js';
import type { OutpostEvent } from '../ops/outpost-steps.js';
import type { Context, Reply } from './types.js';

const ICON = { ok: '✅', warn: '⚠️', fail: '❌', running: '⏳' } as const;

/** One step as a line: `✅ Passwordless sudo works for deploy.`, then its fix. */
function stepLines(e: OutpostEvent): string[] {
  return [
    `${ICON[e.status]} ${e.line}`,
    ...(e.fix ? [`   → ${e.fix}`] : []),
    ...(e.details ?? []).map((d) => `   | ${d}`),
  ];
}

/** The steps so far: each step's last event, in order (a step that ended replaces its "running"). */
function stepsBlock(events: readonly OutpostEvent[]): string[] {
  const last = new Map<string, OutpostEvent>();
  for (const e of events) {
    last.delete(e.step);
    last.set(e.step, e);
  }
  return [...last.values()].flatMap(stepLines);
}

const SSH_PORT = /^\d{1,5}$/;
/** A login name as useradd takes it: never an option, never a shell word. */
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
/** A host name or an IPv4/IPv6 address: nothing that ssh2 or a shell could read as an option. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]+)$/;

/** The add request's shape, from the command's words: defaults from the cluster's first manager. */
async function addShape(ctx: Context) {
  const { ops, command } = ctx;
  const cluster = findCluster(ops, command.args[0]);
  const host = command.args[1] ?? '';
  if (!HOST.test(host) || host.length > 253)
    throw new UsageError(
      `"${host.slice(0, 60)}" is not a host name or an IP address.`,
      'For example: outpost add prod 203.0.113.5',
    );
  const f = command.flags;
  const local = command.platform === 'console' || command.platform === 'cli';
  if (f['key'] !== undefined && !local)
    throw new UsageError(
      'A key file is named on Otto’s machine only: run otto outpost add there, or leave --key out to use the key of the cluster’s managers.',
    );
  const first = cluster.kind === 'ssh' ? cluster.managers[0] : undefined;
  const keyFile = f['key'] ?? first?.privateKeyFile;
  if (!keyFile)
    throw new UsageError(
      `Cluster ${cluster.name} has no SSH manager whose key Otto could use.`,
      `Name the key on Otto's machine: otto outpost add ${cluster.name} ${host} --key ~/.ssh/id_ed25519`,
    );
  const port = f['port'] ?? '22';
  if (!SSH_PORT.test(port) || +port < 1 || +port > 65535)
    throw new UsageError(`--port ${port.slice(0, 10)} is not a TCP port (1 to 65535).`);
  const role = f['role'] ?? ((await ops.outposts.list(cluster.name)).length ? 'worker' : 'manager');
  if (role !== 'manager' && role !== 'worker')
    throw new UsageError(`--role is manager or worker, not ${role.slice(0, 20)}.`);
  const fingerprint = f['fingerprint'];
  if (fingerprint !== undefined && !FINGERPRINT.test(fingerprint))
    throw new UsageError(
      `--fingerprint ${fingerprint.slice(0, 60)} is not a SHA256 host key fingerprint.`,
      'It looks like SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8 (ssh-keygen -lf on the server).',
    );
  const user = f['user'] ?? first?.user ?? 'root';
  if (!USER.test(user))
    throw new UsageError(
      `--user ${user.slice(0, 40)} is not a login name.`,
      'For example: --user deploy',
    );
  return {
    cluster,
    host,
    port: Number(port),
    user,
    keyFile,
    role: role as 'manager' | 'worker',
    fingerprint,
    trust: f['yes'] !== undefined,
    local,
  };
}

/** The same command with the fingerprint pinned: what the Trust button runs. */
function pinnedCommand(shape: Awaited<ReturnType<typeof addShape>>, fingerprint: string): string {
  const user = `--user ${shape.user}`;
  return `outpost add ${shape.cluster.name} ${shape.host} ${user} --port ${shape.port} --role ${shape.role} --fingerprint ${fingerprint}`;
}

/**
 * `outpost add <cluster> <host> [--user U] [--port N] [--key FILE] [--role R]
 * [--fingerprint SHA256:…] [--yes]`: from a bare server to a node of the cluster's
 * Swarm (see addOutpost). In chat, without a fingerprint, it shows the host key with
 * **Trust and set up** (the same command with `--fingerprint`) and **Cancel**.
 */
export async function outpostAddCommand(ctx: Context): Promise<Reply> {
  const shape = await addShape(ctx);
  const { ops } = ctx;
  const reach = ops.outpostReach(shape.cluster);
  if (!shape.fingerprint && !shape.trust && !ctx.confirm) {
    let offered: string;
    try {
      offered = await reach.probe(shape.host, shape.port);
    } catch (e) {
      if (e instanceof OttoError) return { outcome: 'failed', text: `❌ ${e.message}`, fix: e.fix };
      throw e;
    }
    return {
      outcome: 'ok',
      text: `${shape.host}:${shape.port} offers the host key ${offered}. Compare it with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server before you trust it. Nothing was changed yet.`,
      buttons: [
        { label: 'Trust and set up', command: pinnedCommand(shape, offered), style: 'primary' },
        { label: 'Cancel', command: `outpost cancel ${shape.cluster.name} ${shape.host}` },
      ],
    };
  }
  const events: OutpostEvent[] = [];
  const title = `Setting up ${shape.host} as a ${shape.role} of ${shape.cluster.name}:`;
  const outcome: OutpostOutcome = await addOutpost(
    {
      ...reach,
      cluster: ops.transport(shape.cluster.name),
      record: async (o) => void (await ops.outposts.record(o)),
    },
    {
      ...shape,
      ...(ctx.confirm
        ? {
            confirm: (fp: string) =>
              ctx.confirm!(
                `${shape.host}:${shape.port} offers the host key ${fp}. Compare it with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server. Trust it and set up the outpost?`,
              ),
          }
        : {}),
      actor: ctx.command.actor,
      signal: ctx.signal,
      onEvent: (e) => {
        events.push(e);
        ctx.progress({ outcome: 'ok', text: title, block: stepsBlock(events) });
      },
    },
  );
  const block = stepsBlock(outcome.events);
  // A new manager joins the cluster's failover list (after those of otto.yml).
  if (outcome.ok && outcome.role === 'manager') await ops.reloadOutposts();
  if (outcome.ok) {
    const how = {
      init: 'created its Swarm',
      join: 'joined its Swarm',
      member: 'was in its Swarm already',
    };
    return {
      outcome: 'ok',
      text: `🛰️ Outpost ${shape.host} is part of ${shape.cluster.name}: it ${how[outcome.swarm ?? 'member']} (node ${outcome.nodeId ?? '?'}).`,
      block,
    };
  }
  const stopped = [...outcome.events].reverse().find((e) => e.status === 'fail');
  return {
    outcome: 'failed',
    text: `Otto stopped setting up ${shape.host} at ${outcome.stoppedAt}: ${stopped?.line ?? 'a step failed'}`,
    block,
    fix: stopped?.fix,
  };
}

/** `outpost cancel <cluster> <host>`: the Cancel button of a host key shown in chat. */
export async function outpostCancelCommand(ctx: Context): Promise<Reply> {
  const [cluster, host] = ctx.command.args;
  return {
    outcome: 'ok',
    text: `Cancelled: Otto did not set up ${host ?? 'the server'} for ${cluster ?? 'the cluster'}, and trusted nothing.`,
  };
}

/** `outpost list [cluster]`: the servers Otto added, as recorded. */
export async function outpostListCommand(ctx: Context): Promise<Reply> {
  const name = ctx.command.args[0];
  if (name) findCluster(ctx.ops, name);
  const rows = await ctx.ops.outposts.list(name);
  if (rows.length === 0)
    return {
      outcome: 'ok',
      text: `No outposts added${name ? ` to ${name}` : ''} yet.`,
      fix: 'Add one: otto outpost add <cluster> <host> (README: Set up your first outpost).',
    };
  return {
    outcome: 'ok',
    text: `Outposts Otto added${name ? ` to ${name}` : ''}:`,
    block: rows.map(
      (o) =>
        `${o.cluster} · ${o.host}:${o.port} · ${o.role} · ${o.user} · node ${o.nodeId ?? '(none)'} · ${o.fingerprint} · added ${o.addedAt} by ${o.addedBy}`,
    ),
  };
}

/**
 * `outpost remove <cluster> <node>`: drain, wait until its tasks moved, demote a
 * manager (never the last), leave, remove from the Swarm's list, forget the outpost.
 */
export async function outpostRemoveCommand(ctx: Context): Promise<Reply> {
  const cluster = findCluster(ctx.ops, ctx.command.args[0]);
  const node = nodeArg(ctx);
  const events: OutpostEvent[] = [];
  const title = `Removing ${node} from ${cluster.name}:`;
  const outcome = await removeOutpost(
    {
      cluster: ctx.ops.transport(cluster.name),
      outposts: ctx.ops.outposts,
      connect: (t) => ctx.ops.outpostReach(cluster).connect(t),
    },
    {
      cluster,
      node,
      signal: ctx.signal,
      onEvent: (e) => {
        events.push(e);
        ctx.progress({ outcome: 'ok', text: title, block: stepsBlock(events) });
      },
    },
  );
  const block = outcome.events.filter((e) => e.status !== 'running').flatMap(stepLines);
  if (outcome.ok) {
    await ctx.ops.reloadOutposts();
    return { outcome: 'ok', text: `🛰️ ${node} is no longer part of ${cluster.name}.`, block };
  }
  const stopped = [...outcome.events].reverse().find((e) => e.status === 'fail');
  return {
    outcome: 'failed',
    text: `Otto stopped removing ${node}: ${stopped?.line ?? 'a step failed'}`,
    block,
    fix: stopped?.fix,
  };
}

/** `doctor [cluster]`: the preflight again for every outpost, and the ingress. Changes nothing. */
export async function doctorCommand(ctx: Context): Promise<Reply> {
  const clusters = clustersArg(ctx);
  const block: string[] = [];
  let ok = true;
  for (const cluster of clusters) {
    const report = await doctor(
      {
        cluster: ctx.ops.transport(cluster.name),
        outposts: ctx.ops.outposts,
        connect: (t) => ctx.ops.outpostReach(cluster).connect(t),
      },
      cluster,
    );
    ok &&= report.ok;
    for (const section of report.sections)
      block.push(
        `${cluster.name} · ${section.title}:`,
        ...section.events.flatMap(stepLines).map((l) => `  ${l}`),
      );
  }
  return {
    outcome: ok ? 'ok' : 'failed',
    text: ok
      ? '🩺 Every outpost and ingress checked: nothing to fix.'
      : '🩺 Otto found something to fix (❌ below, each with its fix).',
    block,
  };
}
