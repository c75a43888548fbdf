import { OttoError } from '../errors.js';
import type { FleetConfig } from '../config/config.js';
import {
  deployLanded,
  snapshot,
  splitDigest,
  waitForConvergence,
  type FleetSnapshot,
} from '../swarm/converge.js';
import { displayCompose } from '../swarm/diff.js';
import {
  REMOVAL_WAIT_MS,
  removalTimeoutFailure,
  stackRemovalInProgress,
  waitForStackRemoval,
} from '../swarm/stack-removal.js';
import { prepareCompose, returnPins, type PreparedCompose } from './render.js';
import { commitOf, overridesOf, type Deployment, type RecordedCommit } from '../store/db.js';
import type { FleetSources } from './fleet-source.js';
import type { Deployments, RanImage } from '../store/deployments.js';
import type { LaunchStage, ProgressListener, ServiceProgress } from '../swarm/progress.js';
import { deployFailure, type FailureCluster, type LaunchFailure } from '../swarm/failure.js';
import type { Locks } from '../store/locks.js';
import type { SecretStore } from '../store/secrets.js';
import { fleetLogs } from '../swarm/logs.js';
import { registryLogin, stackDeploy } from '../swarm/argv.js';
import { sendCompose } from '../swarm/compose-version.js';
import { fleetWakeups, type Wakeups } from '../swarm/wakeups.js';
import { gatedDeploy, type GatedDeploy } from './deploy-gate.js';
import { NOTHING_RAN, readBeforeTheUpdate, updatedServices } from '../swarm/before-read.js';
import type { RunResult, Transport } from '../transport/transport.js';

export interface LaunchDeps {
  readonly locks: Locks;
  readonly deployments: Deployments;
  readonly secrets: SecretStore;
  readonly sources: FleetSources;
  /** The clusters, for words that depend on one (an ingress turned off). */
  readonly config?: { readonly clusters: ReadonlyMap<string, FailureCluster> };
  transport(cluster: string): Transport;
}

export interface LaunchRequest {
  readonly fleet: FleetConfig;
  readonly actor: string;
  /** Compose text to launch instead of the fleet's file (a stored snapshot). */
  readonly composeText?: string;
  /** The commit `composeText` was read at, for a git fleet: recorded with the launch. */
  readonly commit?: RecordedCommit;
  /** A git fleet's branch, tag or SHA to launch (default: `git.ref`, or the default branch). */
  readonly ref?: string;
  /**
   * Images given for this launch, by service (`launch shop web=1.4.2`), checked
   * against `fleets.<name>.images` and recorded with it; a return runs its target's.
   */
  readonly overrides?: ReadonlyMap<string, string>;
  /** The version this launch returns to: the digests it ran are pinned (see {@link returnPins}). */
  readonly rollbackOf?: number;
  /**
   * Images to run instead of the compose's, by service (`repo:tag@sha256:…`). A
   * return sets its own, from what its target version ran.
   */
  readonly pins?: ReadonlyMap<string, string>;
  /** What the lock says the fleet is busy with; `launch` or `rollback` by default. */
  readonly lockReason?: string;
  /** The approval request this launch carries out: the lock names it. */
  readonly requestId?: number;
  /**
   * Runs once the fleet's lock is held, before anything is recorded or deployed.
   * Throwing here stops the launch cleanly (an approval that lost a race does this).
   */
  readonly onLocked?: () => Promise<void>;
  /** Called with the new deployment as soon as it is recorded. */
  readonly onRecorded?: (deployment: Deployment) => Promise<void>;
  /** On a failed deploy, return to the newest successful version (on_failure: rollback). */
  readonly autoRollback?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
}

export interface LaunchOutcome {
  readonly deployment: Deployment;
  readonly ok: boolean;
  readonly failure?: LaunchFailure;
  readonly services: readonly ServiceProgress[];
  /** The last log lines of the failing service, secrets masked. */
  readonly logTail: readonly string[];
  /** What each service ran, as recorded, once the launch converged. */
  readonly images?: readonly RanImage[];
  /** The images this launch pinned, by service (a return to a recorded version). */
  readonly pins?: ReadonlyMap<string, string>;
  /** What on_failure: rollback did after this launch failed. */
  readonly autoRollback?: { readonly outcome: LaunchOutcome } | { readonly skipped: string };
}

/**
 * The launch pipeline: validate and render, lock, record, log in to registries,
 * `docker stack deploy`, wait for convergence, record the outcome, unlock.
 * With `autoRollback`, a failed deploy is followed, under the same lock, by a
 * return to the newest successful version. The lock is released and every
 * deployment closed on every path.
 */
export async function launch(deps: LaunchDeps, asked: LaunchRequest): Promise<LaunchOutcome> {
  const { fleet } = asked;
  const emit = asked.onProgress ?? (() => {});
  emit({ kind: 'stage', fleet: fleet.name, stage: 'validating' });
  // The SSH handshake runs while the compose is read, checked and rendered and the lock taken.
  deps
    .transport(fleet.cluster)
    .warm?.()
    .catch(() => {});
  const req = await withReturnPins(deps, asked);
  const prepared = await prepareCompose(deps, req);
  emit({ kind: 'stage', fleet: fleet.name, stage: 'locking' });
  await deps.locks.acquire(
    fleet.name,
    req.actor,
    req.lockReason ?? (req.rollbackOf ? 'rollback' : 'launch'),
    req.requestId !== undefined ? { requestId: req.requestId } : {},
  );
  try {
    await req.onLocked?.();
    const outcome = await deploy(deps, req, prepared);
    if (outcome.ok || !req.autoRollback || outcome.failure?.kind === 'registry_login') {
      return outcome;
    }
    return { ...outcome, autoRollback: await returnToBase(deps, req, outcome.deployment) };
  } finally {
    await deps.locks.release(fleet.name);
  }
}

/** on_failure: rollback — deploys the newest successful version before `failed`. */
async function returnToBase(
  deps: LaunchDeps,
  req: LaunchRequest,
  failed: Deployment,
): Promise<{ outcome: LaunchOutcome } | { skipped: string }> {
  const [target] = await deps.deployments.succeeded(req.fleet.name, 1, failed.version);
  if (!target) return { skipped: `there is no earlier successful version to return to` };
  req.onProgress?.({
    kind: 'stage',
    fleet: req.fleet.name,
    stage: 'returning',
    version: target.version,
  });
  try {
    const back = await withReturnPins(deps, {
      ...req,
      composeText: target.composeSnapshot,
      commit: commitOf(target),
      overrides: overridesOf(target),
      rollbackOf: target.version,
    });
    return { outcome: await deploy(deps, back, await prepareCompose(deps, back)) };
  } catch (e) {
    if (e instanceof OttoError && !req.signal?.aborted) return { skipped: e.message };
    throw e;
  }
}

/** A return (`rollbackOf`) pins the digests its target version ran, whatever `pins` said. */
async function withReturnPins(deps: LaunchDeps, req: LaunchRequest): Promise<LaunchRequest> {
  if (!req.rollbackOf) return req;
  return { ...req, pins: await returnPins(deps, req.fleet.name, req.rollbackOf) };
}

/** What a deploy started before the fleet was read: the gated deploy and its events. */
interface Started {
  readonly transport: Transport;
  readonly deployMs: number;
  readonly runDeploy: (stdin: string | Promise<string>) => Promise<RunResult>;
  early: GatedDeploy | undefined;
  wakeups: Wakeups | undefined;
}

/**
 * Records, deploys and waits, with the fleet's lock held. Without registry logins the
 * deploy and its event stream start with the read of the fleet, and the compose is
 * sent once the launch is recorded (see {@link gatedDeploy}). With logins the deploy
 * starts after them: the docker CLI reads its credentials as it starts.
 */
async function deploy(
  deps: LaunchDeps,
  req: LaunchRequest,
  prepared: PreparedCompose,
): Promise<LaunchOutcome> {
  const { fleet, signal } = req;
  const transport = deps.transport(fleet.cluster);
  const deployMs = deployTimeoutMs(fleet.convergeTimeoutSeconds);
  const runDeploy = (stdin: string | Promise<string>) =>
    transport.run(stackDeploy(fleet.name), {
      stdin,
      signal,
      timeoutMs: deployMs,
      partialOnTimeout: true,
    });
  const early = prepared.logins.length === 0;
  const started: Started = {
    transport,
    deployMs,
    runDeploy,
    // Opened before the deploy, so no start of a new task is missed: each hurries a look.
    wakeups: early ? fleetWakeups(transport, fleet.name, signal) : undefined,
    early: early ? gatedDeploy(transport, runDeploy) : undefined,
  };
  try {
    return await recordAndDeploy(deps, req, prepared, started);
  } finally {
    await started.early?.cancel();
    await started.wakeups?.close();
  }
}

async function recordAndDeploy(
  deps: LaunchDeps,
  req: LaunchRequest,
  prepared: PreparedCompose,
  started: Started,
): Promise<LaunchOutcome> {
  const { fleet, signal } = req;
  const { parsed, logins } = prepared;
  const { transport, deployMs } = started;
  const emit = req.onProgress ?? (() => {});
  const mask = (s: string) => prepared.mask.mask(s);
  const services = [...parsed.services.keys()];
  // What runs before the deploy: its tasks are the old ones, its specs tell a changed
  // service. Read under the lock, before anything is recorded (an unreachable manager
  // records nothing), while the display copy of the compose is rendered. A fleet Otto
  // never launched has, as a rule, nothing running: its deploy goes out as soon as the
  // manager answers, and the deploy's own output tells whether it updated anything.
  const unread = started.early !== undefined && !(await deps.deployments.latest(fleet.name));
  const [read, renderedCompose] = await Promise.all([
    unread
      ? (transport.warm?.() ?? Promise.resolve()).then(() => NOTHING_RAN)
      : snapshot(transport, fleet.name, services, signal),
    displayCompose(
      deps,
      fleet,
      { label: `the compose of ${fleet.name}`, text: prepared.text },
      {
        ...(req.pins ? { pins: req.pins } : {}),
        ...(req.overrides?.size ? { overrides: req.overrides } : {}),
      },
    ),
  ]);
  let before = read;
  let deployment = await deps.deployments.start({
    fleet: fleet.name,
    actor: req.actor,
    composeSnapshot: prepared.text,
    renderedCompose,
    ...(prepared.commit ? { commit: prepared.commit } : {}),
    ...(req.overrides?.size ? { overrides: req.overrides } : {}),
    ...(req.rollbackOf ? { rollbackOf: req.rollbackOf } : {}),
  });
  const pinned = req.pins ? { pins: req.pins } : {};
  const fail = async (
    failure: LaunchFailure,
    progress: readonly ServiceProgress[] = [],
    logTail: string[] = [],
  ) => {
    deployment = await deps.deployments.finish(deployment, 'failed', mask(failure.message));
    return {
      deployment,
      ok: false,
      failure: { ...failure, message: mask(failure.message) },
      services: progress,
      logTail,
      ...pinned,
    };
  };
  const stage = (s: LaunchStage) =>
    emit({ kind: 'stage', fleet: fleet.name, stage: s, version: deployment.version });
  try {
    await req.onRecorded?.(deployment);
    if (logins.length) stage('registry-login');
    for (const login of logins) {
      const res = await transport.run(registryLogin(login.registry, login.username), {
        stdin: login.password,
        signal,
      });
      if (res.exitCode !== 0) {
        return await fail({
          kind: 'registry_login',
          message: `Registry login to ${login.registry} as ${login.username} failed: ${res.stderr.trim()}. Check the credentials with otto registry login.`,
        });
      }
    }
    stage('deploying');
    const wakeups = (started.wakeups ??= fleetWakeups(transport, fleet.name, signal));
    const sendDeploy = () =>
      sendCompose(prepared.rendered.text, (text) => {
        const gated = started.early;
        started.early = undefined;
        return gated ? gated.send(text) : started.runDeploy(text);
      });
    let deployed = await sendDeploy();
    // A `docker stack rm` of this fleet may still be removing its networks: wait it out, once.
    if (
      !deployed.timedOut &&
      deployed.exitCode !== 0 &&
      before.services.size === 0 &&
      stackRemovalInProgress(deployed.stderr, fleet.name)
    ) {
      stage('waiting-removal');
      const left = await waitForStackRemoval(transport, fleet.name, { signal });
      if (left.length) return await fail(removalTimeoutFailure(fleet.name, REMOVAL_WAIT_MS, left));
      stage('deploying');
      deployed = await sendDeploy();
    }
    if (deployed.timedOut) {
      // It may still be deploying: look at the Swarm before recording anything.
      const outcome = await afterDeployTimeout(transport, fleet.name, services, signal, {
        before,
        ...(unread ? { unreadOutput: deployed.stdout } : {}),
      });
      if (outcome !== 'landed')
        return await fail(deployTimeoutFailure(fleet.name, deployMs, outcome));
    } else if (deployed.exitCode !== 0)
      return await fail(deployFailure(deployed.stderr, deps.config?.clusters.get(fleet.cluster)));
    // Deployed unread: what it updated (if anything) is read now, as it was before.
    if (unread)
      before = await readBeforeTheUpdate(transport, updatedServices(deployed.stdout), signal);

    stage('converging');
    const result = await waitForConvergence(transport, {
      fleet: fleet.name,
      services: prepared.rendered.images,
      before,
      timeoutMs: fleet.convergeTimeoutSeconds * 1000,
      settleMs: fleet.settleSeconds * 1000,
      ...(signal ? { signal } : {}),
      onProgress: emit,
      wakeups,
    });
    // The outcome is known: the stream ends before the log tail is read.
    await wakeups.close();
    if (!result.ok) {
      const svc = result.failure.service;
      // Tasks that ran and stopped have something to say; a paused update is usually that too.
      const wantsLogs = ['exit_code', 'unhealthy', 'update_paused'].includes(result.failure.kind);
      const logTail =
        svc && wantsLogs
          ? (
              await fleetLogs(transport, fleet.name, [svc], { tail: 10 }, prepared.mask)
            ).lines.slice(-10)
          : [];
      return await fail(result.failure, result.services, logTail);
    }
    const images = ranImages(prepared.rendered.images, result.specImages);
    await deps.deployments.recordImages(deployment.id, images);
    deployment = await deps.deployments.finish(deployment, 'succeeded', null);
    return { deployment, ok: true, services: result.services, logTail: [], images, ...pinned };
  } catch (e) {
    const aborted = signal?.aborted === true;
    const reason = aborted
      ? 'Interrupted: Otto was stopped during the launch.'
      : mask(
          e instanceof OttoError ? e.message : 'Otto hit an unexpected error during the launch.',
        );
    await deps.deployments.finish(deployment, aborted ? 'interrupted' : 'failed', reason);
    throw e;
  }
}

/**
 * What each service ran: the reference as rendered (without a pinned digest) and the
 * digest Docker resolved into its spec, or null for a local image it could not resolve.
 */
export function ranImages(
  rendered: ReadonlyMap<string, string>,
  specImages: ReadonlyMap<string, string>,
): RanImage[] {
  return [...rendered]
    .map(([service, image]) => {
      const spec = specImages.get(service);
      return {
        service,
        image: splitDigest(image).image,
        digest: spec ? splitDigest(spec).digest : null,
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service));
}

/** `docker stack deploy` gets as long as the fleet may take to converge, and at least a minute. */
export function deployTimeoutMs(convergeTimeoutSeconds: number): number {
  return Math.max(60_000, convergeTimeoutSeconds * 1000);
}

/**
 * After a deploy that did not answer in time: did it reach the Swarm, not, or can't
 * Otto tell? A deploy sent without a read first (`unreadOutput`: what it printed)
 * landed when a service it named (`Creating service …`, `Updating service …`) exists.
 */
async function afterDeployTimeout(
  transport: Transport,
  fleet: string,
  services: readonly string[],
  signal: AbortSignal | undefined,
  { before, unreadOutput }: { before: FleetSnapshot; unreadOutput?: string },
): Promise<'landed' | 'not landed' | 'unknown'> {
  let now: FleetSnapshot;
  try {
    now = await snapshot(transport, fleet, services, signal);
  } catch {
    return 'unknown';
  }
  const landed =
    unreadOutput === undefined
      ? deployLanded(before, now)
      : [...unreadOutput.matchAll(/^(?:Creating|Updating) service (\S+)/gm)].some((m) =>
          now.services.has(m[1]!),
        );
  return landed ? 'landed' : 'not landed';
}

function deployTimeoutFailure(
  fleet: string,
  ms: number,
  outcome: 'not landed' | 'unknown',
): LaunchFailure {
  const waited = `docker stack deploy did not answer within ${Math.round(ms / 1000)} s`;
  return {
    kind: 'timeout',
    message:
      outcome === 'not landed'
        ? `${waited}, and the Swarm shows no change to ${fleet}: nothing was deployed. Check that the manager is not overloaded, then launch again.`
        : `${waited}, and Otto could not read the Swarm afterwards: the outcome is unknown. Check status ${fleet} before launching again.`,
  };
}
