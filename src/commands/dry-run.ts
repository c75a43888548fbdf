import type { FleetConfig } from '../config/config.js';
import { dryRun, type DryRun, type Verdict } from '../ops/dry-run.js';
import type { Ops } from '../ops/ops.js';
import { composeDiff, type ComposeSide } from '../swarm/diff.js';
import { atLeast, requireRole, type Who } from './access.js';
import { drawDiff, side } from './diff.js';
import { findFleet, readLabel } from './fleet-lookup.js';
import { overridesArg, refFlag } from './launch-inputs.js';
import type { FleetCompose } from '../ops/fleet-source.js';
import type { Context, Outcome, Reply } from './types.js';
import { otto } from './voice.js';

/** Rendered lines a chat reply shows at most; `otto render` prints the whole file. */
export const MAX_RENDER_LINES = 100;

/** What a launch would change: the running version (as `diff <fleet>` shows it) → the file as read. */
export async function launchSides(
  ops: Pick<Ops, 'config' | 'deployments'>,
  fleet: FleetConfig,
  read: Pick<FleetCompose, 'text' | 'label' | 'commit'>,
  overrides: ReadonlyMap<string, string> = new Map(),
): Promise<{ readonly from: ComposeSide; readonly to: ComposeSide }> {
  const current = await ops.deployments.latest(fleet.name);
  return {
    from: current
      ? side(current, ` (running, ${current.status})`)
      : { label: `${fleet.name} (never launched)`, text: 'services: {}\n' },
    to: {
      label: readLabel(ops.config, read),
      text: read.text,
      ...(overrides.size ? { options: { overrides } } : {}),
    },
  };
}

/** A file Docker refuses, or a check that could not be made, is not a pass. */
export function verdictOutcome(v: Verdict): Extract<Outcome, 'ok' | 'failed'> {
  return v.kind === 'refused' || v.kind === 'unreachable' ? 'failed' : 'ok';
}

/** What to do after a dry run; `again` is how to check once more (`launch shop --dry-run`). */
export function verdictFix(fleet: FleetConfig, file: string, v: Verdict, again: string) {
  switch (v.kind) {
    case 'refused':
      return `Fix ${file} where Docker says, then check again: ${again}`;
    case 'unavailable':
      return `Upgrade Docker on the managers of cluster ${fleet.cluster} (20.10 or newer) to have files checked before a launch; launches work without it.`;
    case 'unreachable':
      return (
        v.fix ?? `Check that the managers of cluster ${fleet.cluster} are online, then try again.`
      );
    default:
      return undefined;
  }
}

/**
 * `launch <fleet> --dry-run`: the rendered compose a launch would send (secret
 * values masked, cut at {@link MAX_RENDER_LINES}), the changes against what runs,
 * and Docker's own verdict. A read: nothing is locked or recorded, and a viewer may
 * run it. A deployer is offered the launch when Docker does not object.
 */
export async function dryRunCommand(ctx: Context, fleet: FleetConfig): Promise<Reply> {
  const ref = refFlag(ctx.command.flags);
  const overrides = overridesArg(ctx.command.args);
  const dry = await dryRun(ctx.ops, {
    fleet,
    signal: ctx.signal,
    ...(ref !== undefined ? { ref } : {}),
    ...(overrides.size ? { overrides } : {}),
  });
  const { from, to } = await launchSides(ctx.ops, fleet, dry, overrides);
  const changes = await drawDiff(ctx, fleet, from, to);
  const lines = dry.display.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, MAX_RENDER_LINES);
  const left = lines.length - shown.length;
  const outcome = verdictOutcome(dry.verdict);
  const fix = verdictFix(fleet, to.label, dry.verdict, `launch ${fleet.name} --dry-run`);
  const offer = outcome === 'ok' && atLeast(ctx.role(fleet), 'deployer');
  return {
    outcome,
    text: otto.dryRun(fleet.name, to.label, dry.verdict, dry.target),
    block: [
      `# What launch ${fleet.name} would send (secret values masked):`,
      ...shown,
      ...(left > 0
        ? [`# … ${left} more lines: run \`otto render ${fleet.name}\` for the whole file.`]
        : []),
      '',
      `# ${changes.text}`,
      ...(changes.block ?? []),
    ],
    // What the running version ran (tag and digest), as `diff` shows it.
    ...(changes.fields ? { fields: changes.fields } : {}),
    ...(fix ? { fix } : {}),
    ...(offer
      ? {
          buttons: [
            { label: 'Launch', command: `launch ${fleet.name}`, style: 'primary' as const },
          ],
        }
      : {}),
  };
}

/** What `otto render` prints: the whole rendered file, the whole diff (online), the verdict. */
export interface FleetRender {
  readonly fleet: FleetConfig;
  readonly dry: DryRun;
  /** The compose file, as people name it: `stacks/shop.yml`. */
  readonly file: string;
  /** The changes against what runs; absent offline. */
  readonly changes?: {
    readonly from: ComposeSide;
    readonly to: ComposeSide;
    readonly lines: readonly string[];
  };
}

/**
 * `otto render <fleet> [--offline]` on Otto's machine: the same render and verdict
 * as `launch <fleet> --dry-run`, whole, for scripts and CI. Needs the viewer role,
 * as the dry run does. Offline, the Swarm is not asked: no verdict, no diff.
 * Throws the OttoError a launch would (a missing secret, a file Otto can't read).
 */
export async function renderFleet(
  ops: Ops,
  who: Who,
  name: string | undefined,
  options: { readonly offline?: boolean; readonly signal?: AbortSignal } = {},
): Promise<FleetRender> {
  const fleet = findFleet(ops, name, { ...who, channel: 'cli' });
  requireRole(ops.config, who, 'viewer', `render ${fleet.name}`, fleet);
  const dry = await dryRun(ops, { fleet, offline: options.offline, signal: options.signal });
  const { from, to } = await launchSides(ops, fleet, dry);
  if (options.offline) return { fleet, dry, file: to.label };
  const lines = await composeDiff(ops, fleet, from, to);
  return { fleet, dry, file: to.label, changes: { from, to, lines } };
}
