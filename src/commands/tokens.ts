import { z } from 'zod';
import { FLEET_NAME } from '../config/config.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { Context, Reply } from './types.js';

const TOKEN_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const TOKEN_ROLE = z.enum(['viewer', 'deployer', 'approver', 'admin']);

/**
 * `token create <name> --role deployer [--fleet shop,web]` (Otto's machine only):
 * a token for the HTTP API, acting as `token:<name>` with that role, on those
 * fleets only when given. Shown once, alone on the reply's last line; only its
 * hash is kept.
 */
export async function tokenCreateCommand(ctx: Context): Promise<Reply> {
  const [name = ''] = ctx.command.args;
  if (!TOKEN_NAME.test(name))
    throw new UsageError(
      `${name.slice(0, 40)} is not a token name: a-z, 0-9 and -, at most 40 characters.`,
      'For example: token create github-ci --role deployer --fleet shop',
    );
  const role = TOKEN_ROLE.safeParse(ctx.command.flags['role'] ?? 'deployer');
  if (!role.success)
    throw new UsageError(
      `--role ${String(ctx.command.flags['role']).slice(0, 20)} is not a role a token can have.`,
      'Use viewer, deployer, approver or admin.',
    );
  const fleets = (ctx.command.flags['fleet'] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const f of fleets)
    if (!FLEET_NAME.test(f) || !ctx.ops.config.fleets.has(f))
      throw new NotFoundError(
        `There is no fleet named ${f.slice(0, 64)} in otto.yml.`,
        'Give --fleet the fleets the token may act on, separated by commas.',
      );
  const made = await ctx.ops.tokens.create({
    name,
    role: role.data,
    fleets,
    createdBy: ctx.command.actor,
  });
  if (!made)
    throw new UsageError(
      `There is a token named ${name} already.`,
      `Revoke it first (token revoke ${name}), or choose another name.`,
    );
  const scope = fleets.length ? `on ${fleets.join(', ')}` : 'on every fleet';
  return {
    outcome: 'ok',
    text: [
      `🔑 Token ${name} made: token:${name} acts as ${role.data} ${scope}.`,
      'Copy it now (the next line): Otto shows it once and keeps only its hash.',
      made.token,
    ].join('\n'),
  };
}

/** `token list`: every API token, its role, fleets, maker and last use; never a token. */
export async function tokenListCommand(ctx: Context): Promise<Reply> {
  const tokens = await ctx.ops.tokens.list();
  if (tokens.length === 0)
    return { outcome: 'ok', text: 'No API tokens yet. Make one with: otto token create <name>' };
  return {
    outcome: 'ok',
    text: `${tokens.length} API token${tokens.length === 1 ? '' : 's'}:`,
    fields: tokens.map((t) => ({
      label: t.name,
      value: `${t.role} on ${t.fleets?.join(', ') ?? 'every fleet'} · made by ${t.createdBy} ${t.createdAt.slice(0, 16).replace('T', ' ')} UTC · ${t.lastUsedAt ? `last used ${t.lastUsedAt.slice(0, 16).replace('T', ' ')} UTC` : 'never used'}`,
    })),
  };
}

/** `token revoke <name>`: the token stops working at once. */
export async function tokenRevokeCommand(ctx: Context): Promise<Reply> {
  const [name = ''] = ctx.command.args;
  if (!(await ctx.ops.tokens.revoke(name)))
    throw new NotFoundError(
      `There is no token named ${name.slice(0, 40)}.`,
      'See the tokens with: token list',
    );
  return {
    outcome: 'ok',
    text: `🔒 Token ${name} revoked: calls with it are refused from now on.`,
  };
}
