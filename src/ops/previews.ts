import type { FleetConfig } from '../config/config.js';
import { OttoError } from '../errors.js';
import { stackRm } from '../swarm/argv.js';
import { dockerError } from '../swarm/failure.js';
import { previewCompose, previewDomain, previewFleetName } from '../swarm/preview.js';
import { waitForStackRemoval } from '../swarm/stack-removal.js';
import type { Preview } from '../store/previews.js';
import { launch, type LaunchOutcome } from './launch.js';
import type { Ops } from './ops.js';

/** A pull request as a host tells it: its number and the commit at its head. */
export interface PullRequest {
  readonly number: number;
  readonly sha: string;
  /** The head branch's name, for messages. */
  readonly branch: string;
  /** Who opened it or pushed to it: `webhook:github`'s user, for the record. */
  readonly by: string;
}

/**
 * The fleet a preview of `parent` runs as: the parent's cluster, repository, access,
 * channels and secrets, its own name; no approvals (the preview is the opt-in) and
 * no launches on push or previews of its own.
 */
export function previewFleet(parent: FleetConfig, number: number): FleetConfig {
  return {
    ...parent,
    name: previewFleetName(parent.name, number),
    approvals: { ...parent.approvals, launch: 0 },
    autoLaunch: false,
    autoLaunchTags: undefined,
    previews: undefined,
    secretsOf: parent.secretsOf ?? parent.name,
  };
}

/**
 * Launches (or launches again) the preview of pull request `pr` of `parent`: the
 * compose at the head commit, its `previews.services` on the preview domain, every
 * other service without production domains. Recorded before the launch, so a
 * preview that failed to launch can still be closed.
 */
export async function openPreview(
  ops: Ops,
  parent: FleetConfig,
  pr: PullRequest,
  actor: string,
  signal?: AbortSignal,
): Promise<{ preview: FleetConfig; outcome: LaunchOutcome }> {
  const cfg = parent.previews;
  if (!cfg) throw new OttoError(`Fleet ${parent.name} has no previews: in otto.yml.`);
  const fleet = previewFleet(parent, pr.number);
  const domain = previewDomain(cfg.domain, pr.number);
  const read = await ops.sources.read(parent, pr.sha, signal);
  const text = previewCompose(read.text, domain, cfg.services, read.label);
  const now = new Date();
  await ops.previews.upsert({
    fleet: fleet.name,
    parent: parent.name,
    number: pr.number,
    headSha: pr.sha,
    headRef: pr.branch,
    domain,
    openedBy: pr.by,
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + cfg.ttlSeconds * 1000).toISOString(),
  });
  const outcome = await launch(ops, {
    fleet,
    actor,
    composeText: text,
    ...(read.commit ? { commit: { ...read.commit, ref: pr.branch } } : {}),
    lockReason: `preview of pull request #${pr.number}`,
    ...(signal ? { signal } : {}),
  });
  return { preview: fleet, outcome };
}

/**
 * Removes a preview: `docker stack rm`, then waits until Swarm has removed its
 * services and networks, then forgets it. A stack already gone is fine.
 */
export async function closePreview(
  ops: Ops,
  preview: Preview,
  signal?: AbortSignal,
): Promise<void> {
  const parent = ops.config.fleets.get(preview.parent);
  const cluster = parent?.cluster;
  if (cluster) {
    const t = ops.transport(cluster);
    const rm = await t.run(stackRm(preview.fleet), signal ? { signal } : {});
    if (rm.exitCode !== 0 && !/Nothing found in stack/i.test(rm.stderr))
      throw new OttoError(
        `Otto could not remove the preview ${preview.fleet}: ${dockerError(rm.stderr)}`,
        `Remove it by hand: docker stack rm ${preview.fleet} on a manager of ${cluster}.`,
      );
    const left = await waitForStackRemoval(t, preview.fleet, signal ? { signal } : {});
    if (left.length)
      throw new OttoError(
        `Swarm is still removing ${preview.fleet} (${left.join(', ')}).`,
        'Otto tries again at its next sweep.',
      );
  }
  await ops.previews.close(preview.fleet);
}
