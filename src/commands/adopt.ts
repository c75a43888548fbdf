import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { CLUSTER_NAME, FLEET_NAME, type OttoConfig } from '../config/config.js';
import { UsageError } from '../errors.js';
import { adoptStack } from '../ops/adopt.js';
import { stackNameSchema } from '../swarm/stacks.js';
import { displayPath, findStacks, oneStack } from './fleet-lookup.js';
import type { Context, Reply } from './types.js';
import { otto } from './voice.js';

const adoptInput = z
  .object({
    stack: stackNameSchema,
    cluster: z.string().regex(CLUSTER_NAME, 'name a cluster of otto.yml').optional(),
    write: z
      .string()
      .min(1)
      .max(1024, 'use a shorter path')
      // `--write` with nothing after it reads as the switch value 'true'.
      .refine((w) => w !== 'true', 'name the folder: --write stacks')
      // eslint-disable-next-line no-control-regex -- control characters have no place in a path typed here
      .refine((w) => !/[\u0000-\u001f]/.test(w), 'a folder path has no control characters')
      .optional(),
  })
  .strict();

/**
 * The fleet name for a stack: its own when Otto takes it as a fleet name (a-z, 0-9, -),
 * else the closest one (`Legacy_App` → `legacy-app`), which Otto launches as a new stack.
 * @example fleetNameFor('Legacy_App') // 'legacy-app'
 */
export function fleetNameFor(stack: string): string {
  if (FLEET_NAME.test(stack)) return stack;
  return stack.toLowerCase().replace(/_/g, '-').slice(0, 63);
}

/**
 * What to add to otto.yml: the fleet, and with the embedded default (no otto.yml yet)
 * the whole file, whose `local` cluster and data folder are the ones in use now.
 */
export function ottoYmlLines(
  config: OttoConfig,
  fleet: string,
  cluster: string,
  composeFile: string,
): string {
  const fleets = { [fleet]: { cluster, compose_file: composeFile } };
  if (config.path) return stringify({ fleets }).trimEnd();
  const c = config.clusters.get(cluster);
  const local = c?.kind === 'local' ? { local: true } : {};
  return stringify({ data_dir: '.otto', clusters: { [cluster]: local }, fleets }).trimEnd();
}

function readInput(ctx: Context) {
  const parsed = adoptInput.safeParse({
    stack: ctx.command.args[0],
    cluster: ctx.command.flags['cluster'],
    write: ctx.command.flags['write'],
  });
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    const what = i?.path[0] === 'stack' ? 'the stack name' : `--${String(i?.path[0] ?? 'option')}`;
    throw new UsageError(
      `adopt can't use ${what}: ${i?.message ?? 'invalid'}.`,
      'For example: adopt legacy --write stacks (type status to see the stacks that run)',
    );
  }
  return parsed.data;
}

/**
 * `adopt <stack> [--cluster C] [--write DIR]` (admin, Otto's console and CLI only): the
 * otto.yml lines that make a stack Otto didn't launch a fleet, and its compose file
 * rebuilt from what runs. Reads only; with `--write DIR`, writes `DIR/<stack>.yml`, a
 * new file, and never otto.yml.
 */
export async function adoptCommand(ctx: Context): Promise<Reply> {
  const { ops } = ctx;
  const input = readInput(ctx);
  const { stack } = input;
  // A stack belongs to no fleet: the admin role of access: itself.
  ctx.authorize('admin', `adopt ${stack}`);
  const configured = ops.config.fleets.get(stack);
  if (configured && (!input.cluster || input.cluster === configured.cluster))
    throw new UsageError(
      `${stack} is already an Otto fleet (on cluster ${configured.cluster}): there is nothing to adopt.`,
      `See it with: status ${stack}`,
    );
  const found = oneStack(await findStacks(ctx, stack, input.cluster), `adopt ${stack}`);
  const fleet = fleetNameFor(stack);
  const taken = fleet !== stack ? ops.config.fleets.get(fleet) : undefined;
  if (taken)
    throw new UsageError(
      `Stack ${stack} would become fleet ${fleet} (fleet names use a-z, 0-9 and -), but otto.yml already has a fleet ${fleet}.`,
      `Rename the stack's fleet in the lines by hand, or remove the fleet ${fleet} first.`,
    );
  const writeDir = input.write ? resolve(input.write) : undefined;
  const result = await adoptStack(ops, {
    stack,
    cluster: found.cluster,
    fleet,
    writeDir,
    signal: ctx.signal,
  });
  const composeFile = result.file ? displayPath(ops.config, result.file) : `stacks/${stack}.yml`;
  const where = ops.config.path
    ? `under fleets: in ${displayPath(ops.config, ops.config.path)}`
    : 'as otto.yml (Otto runs on its embedded default now: this is the whole file)';
  const steps = [
    result.file
      ? `1. The compose file is written: ${composeFile}. Review it.`
      : `1. Save the compose file below as ${composeFile} and review it (otto adopt ${stack} --write stacks writes it for you).`,
    `2. Add the lines above ${where}.`,
    `3. launch ${fleet} --dry-run shows what Docker would change; then launch ${fleet}.`,
    fleet === stack
      ? `Otto then deploys stack ${stack} as it does every fleet: its services are updated in place, not replaced.`
      : `Fleet names use a-z, 0-9 and -, so this is fleet ${fleet}: launch ${fleet} starts a new stack beside ${stack}; remove ${stack} (docker stack rm ${stack}) once ${fleet} runs. Its volumes keep their names, so their data stays in use.`,
  ];
  const n = result.services.length;
  return {
    outcome: 'ok',
    text: `${otto.prefix} Stack ${stack} on cluster ${found.cluster} (${n} service${n === 1 ? '' : 's'}: ${result.services.join(', ')}) can become fleet ${fleet}. ${result.file ? `Otto wrote ${composeFile}; nothing else was changed.` : 'Nothing was written.'}`,
    fields: [
      { label: 'otto.yml', value: ottoYmlLines(ops.config, fleet, found.cluster, composeFile) },
      { label: 'Next', value: steps.join('\n') },
    ],
    ...(result.file ? {} : { block: result.compose.trimEnd().split('\n') }),
  };
}
