import type { FleetConfig } from '../config/config.js';
import { NotFoundError, UsageError } from '../errors.js';
import { overridesOf, type Deployment } from '../store/db.js';
import { pinsOf, type RanImage } from '../store/deployments.js';
import type { Ops } from '../ops/ops.js';
import { composeDiff, MAX_DIFF_LINES, type ComposeSide } from '../swarm/diff.js';
import { findFleet, readLabel } from './fleet-lookup.js';
import { refFlag } from './launch-inputs.js';
import { heldImages, heldSummary, imagesLine } from './held-compose.js';
import { parseVersion } from './rollback.js';
import type { Context, Reply } from './types.js';

/** A recorded version as a diff side, with its tags (as a launch of it resolves them again) and the images it was given. */
export function side(d: Deployment, note = ''): ComposeSide {
  const overrides = overridesOf(d);
  return {
    label: `${d.fleet} v${d.version}${note}`,
    text: d.composeSnapshot,
    ...(overrides.size ? { options: { overrides } } : {}),
  };
}

/** A side of a diff, with the images it ran when it is a recorded launch. */
export interface Side extends ComposeSide {
  readonly images?: readonly RanImage[];
}

/**
 * A recorded version as a diff side, with the images it ran. `pinned`: rendered with
 * the digests it ran, as a return to it deploys them (`image: app:latest@sha256:…`),
 * so two launches of one tag that ran different images differ.
 */
async function recordedSide(ops: Ops, d: Deployment, note = '', pinned = false): Promise<Side> {
  const images = await ops.deployments.images(d.id);
  const pins = pinsOf(images);
  const s = side(d, note);
  return {
    ...s,
    images,
    ...(pinned && pins.size ? { options: { ...s.options, pins } } : {}),
  };
}

/** What the recorded sides ran, tag and short digest: one field a side. */
function imageFields(...sides: Side[]): { label: string; value: string }[] {
  return sides
    .filter((s) => s.images?.length)
    .map((s) => ({ label: s.label, value: imagesLine(s.images!) }));
}

/**
 * `diff <fleet>`: the compose file against the running version (what a launch
 * would change). `diff <fleet> <v>`: running → v (what a rollback to v would
 * change). `diff <fleet> <a> <b>`: a → b.
 */
export async function diffCommand(ctx: Context): Promise<Reply> {
  if (ctx.command.args[0]?.startsWith('#')) return requestDiff(ctx);
  const { ops } = ctx;
  const [name, ...versions] = ctx.command.args;
  const fleet = findFleet(ops, name, ctx.command);
  const get = async (text: string) => {
    const version = parseVersion(text);
    const d = await ops.deployments.get(fleet.name, version);
    if (!d)
      throw new NotFoundError(`${fleet.name} has no v${version}.`, `See history ${fleet.name}.`);
    return d;
  };
  const current = await ops.deployments.latest(fleet.name);
  let from: Side;
  let to: Side;
  // Between recorded versions (what a return would change), each runs the digests it ran;
  // against the file, the running side shows its tags, as a launch resolves them again.
  const pinned = versions.length > 0;
  if (versions.length === 2) {
    from = await recordedSide(ops, await get(versions[0]!), '', true);
    to = await recordedSide(ops, await get(versions[1]!), '', true);
  } else {
    from = current
      ? await recordedSide(ops, current, ` (running, ${current.status})`, pinned)
      : { label: `${fleet.name} (never launched)`, text: 'services: {}\n' };
    const ref = refFlag(ctx.command.flags);
    if (ref !== undefined && versions[0])
      throw new UsageError(
        '--ref reads the repository; a version number reads a recorded launch: give one or the other.',
        `For example: diff ${fleet.name} --ref v1.4.2`,
      );
    if (versions[0]) to = await recordedSide(ops, await get(versions[0]), '', true);
    else {
      const read = await ops.sources.read(fleet, ref, ctx.signal);
      to = { label: readLabel(ops.config, read), text: read.text };
    }
  }
  return drawDiff(ctx, fleet, from, to);
}

/**
 * `diff #42`: the running version → the compose snapshot request 42 holds, which is
 * exactly what approving it deploys (not the file on disk now).
 */
async function requestDiff(ctx: Context): Promise<Reply> {
  const { ops } = ctx;
  const [ref, ...rest] = ctx.command.args;
  const id = Number(ref?.slice(1));
  if (rest.length > 0 || !Number.isSafeInteger(id) || id < 1)
    throw new UsageError(`diff ${ref} names no request.`, 'For example: diff #42');
  const a = await ops.approvals.get(id);
  if (!a)
    throw new NotFoundError(
      `There is no request #${id}.`,
      'Requests are numbered as their message shows: #42.',
    );
  const fleet = findFleet(ops, a.fleet, ctx.command);
  const current = await ops.deployments.latest(fleet.name);
  const returning = await heldImages(ops, a);
  const pins = pinsOf(returning ?? []);
  const from: Side = current
    ? await recordedSide(ops, current, ` (running, ${current.status})`, returning !== undefined)
    : { label: `${fleet.name} (never launched)`, text: 'services: {}\n' };
  const overrides = overridesOf(a);
  const to: Side = {
    label: `request #${a.id} (${heldSummary(a.composeSnapshot, returning, overrides)})`,
    text: a.composeSnapshot,
    ...(pins.size || overrides.size
      ? { options: { ...(pins.size ? { pins } : {}), ...(overrides.size ? { overrides } : {}) } }
      : {}),
  };
  return drawDiff(ctx, fleet, from, to);
}

export async function drawDiff(
  ctx: Context,
  fleet: FleetConfig,
  from: Side,
  to: Side,
): Promise<Reply> {
  const lines = await composeDiff(ctx.ops, fleet, from, to);
  const fields = imageFields(from, to);
  const ran = fields.length ? { fields } : {};
  if (lines.length === 0) {
    return {
      outcome: 'ok',
      text: `No changes: ${to.label} renders the same as ${from.label}.`,
      ...ran,
    };
  }
  const shown = lines.slice(0, MAX_DIFF_LINES);
  const more = lines.length - shown.length;
  return {
    outcome: 'ok',
    text: `Changes from ${from.label} to ${to.label} (secret values masked):`,
    ...ran,
    block: more > 0 ? [...shown, `... ${more} more lines`] : shown,
  };
}
