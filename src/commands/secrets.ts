import { UsageError } from '../errors.js';
import { rekey } from '../ops/rekey.js';
import { SECRET_NAME } from '../store/secrets.js';
import { isRegistryHost, normalizeRegistry } from '../swarm/compose.js';
import { findFleet } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';

/** The value typed on Otto's machine; the dispatcher refuses these commands elsewhere. */
async function typed(ctx: Context, prompt: string): Promise<string> {
  if (!ctx.readSecret) {
    // The console and `otto say` read commands, not hidden values: the shell does.
    const words = [ctx.command.name, ...ctx.command.args].join(' ');
    throw new UsageError(
      `${ctx.command.name} reads its value from standard input, which this prompt can't give it. Nothing was stored.`,
      `Run it from a shell on this machine: otto ${words} (type the value when asked, or pipe it in).`,
    );
  }
  return ctx.readSecret(prompt);
}

/** `secret set <fleet> <NAME>`: stores a value read from stdin, encrypted. */
export async function secretSetCommand(ctx: Context): Promise<Reply> {
  const [fleetName, name = ''] = ctx.command.args;
  const fleet = findFleet(ctx.ops, fleetName, ctx.command);
  if (!SECRET_NAME.test(name))
    throw new UsageError(
      `"${name.slice(0, 80)}" is not a secret name: use letters, digits and _, as in API_KEY.`,
    );
  const value = await typed(ctx, `Value for ${fleet.name}/${name} (hidden): `);
  if (!value)
    throw new UsageError(
      'The secret value is empty; nothing was stored.',
      `printf %s "$VALUE" | otto secret set ${fleet.name} ${name}`,
    );
  await ctx.ops.secrets.set(fleet.name, name, value);
  return {
    outcome: 'ok',
    text: `🔐 Stored ${name} for ${fleet.name}. It will be filled in at the next launch.`,
  };
}

/** `secret list <fleet>`: names and when they were set, never values. */
export async function secretListCommand(ctx: Context): Promise<Reply> {
  const fleet = findFleet(ctx.ops, ctx.command.args[0], ctx.command);
  const names = await ctx.ops.secrets.names(fleet.name);
  if (names.length === 0) return { outcome: 'ok', text: `No secrets stored for ${fleet.name}.` };
  return {
    outcome: 'ok',
    text: `Secrets of ${fleet.name} (values never shown):`,
    block: names.map((s) => `${s.name}\t(updated ${s.updatedAt})`),
  };
}

/** `secret rekey`: every secret and registry password moves to a new key. */
export async function secretRekeyCommand(ctx: Context): Promise<Reply> {
  const input = (await typed(ctx, 'New key (base64 or hex; Enter: Otto makes one): ')).trim();
  const r = await rekey(ctx.ops, input);
  return {
    outcome: 'ok',
    text: `🔐 Re-encrypted ${r.secrets} secret${r.secrets === 1 ? '' : 's'} and ${r.registries} registry password${r.registries === 1 ? '' : 's'} under the new key.`,
    fix: r.file
      ? `The new key is in ${r.file} (mode 0600). Back it up now: the old key no longer opens anything, and without the new one the stored secrets can't be read.`
      : 'Set OTTO_SECRET_KEY to the new key before Otto starts again: the old key no longer opens anything.',
  };
}

/** `registry login <cluster> <registry> <username>`: the password is read from stdin. */
export async function registryLoginCommand(ctx: Context): Promise<Reply> {
  const [cluster = '', registry = '', username = ''] = ctx.command.args;
  const { clusters } = ctx.ops.config;
  if (!clusters.has(cluster))
    throw new UsageError(
      `There is no cluster named ${cluster.slice(0, 63)} in otto.yml.`,
      `Known clusters: ${[...clusters.keys()].join(', ')}.`,
    );
  const host = normalizeRegistry(registry);
  if (!isRegistryHost(host))
    throw new UsageError(
      `"${registry.slice(0, 80)}" is not a registry host such as ghcr.io. Nothing was stored.`,
      'Give the host name and, if needed, the port: ghcr.io or registry.example.com:5000.',
    );
  const password = await typed(ctx, `Password for ${username}@${host} (hidden): `);
  if (!password) throw new UsageError('The password is empty; nothing was stored.');
  await ctx.ops.secrets.setRegistry(cluster, host, username, password);
  return {
    outcome: 'ok',
    text: `🔐 Stored credentials for ${host} on cluster ${cluster}. Otto logs in before launches that pull from it.`,
  };
}
