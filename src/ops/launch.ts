import { OttoError } from '../errors.js';
import type { FleetConfig } from '../config.js';
import { imageRegistry, parseCompose, renderCompose } from './compose.js';
import { snapshot, waitForConvergence } from './converge.js';
import { readFleetCompose } from './fleet-compose.js';
import type { Deployment } from './db.js';
import type { Deployments } from './deployments.js';
import type { ProgressListener, ServiceProgress } from './events.js';
import { deployFailure, type LaunchFailure } from './failure.js';
import type { Locks } from './locks.js';
import { maskSecrets, type SecretStore } from './secrets.js';
import { fleetLogs } from './logs.js';
import { registryLogin, stackDeploy } from './swarm.js';
import type { Transport } from './transport.js';

export interface LaunchDeps {
  readonly locks: Locks;
  readonly deployments: Deployments;
  readonly secrets: SecretStore;
  transport(cluster: string): Transport;
}

export interface LaunchRequest {
  readonly fleet: FleetConfig;
  readonly actor: string;
  /** Compose text to launch instead of the fleet's file (a rollback's stored snapshot). */
  readonly composeText?: string;
  readonly rollbackOf?: number;
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
}

/**
 * The launch pipeline: validate and render, lock, record, log in to registries,
 * `docker stack deploy`, wait for convergence, record the outcome, unlock.
 * The lock is released and the deployment closed on every path.
 */
export async function launch(deps: LaunchDeps, req: LaunchRequest): Promise<LaunchOutcome> {
  const { fleet, signal } = req;
  const emit = req.onProgress ?? (() => {});
  emit({ kind: 'stage', fleet: fleet.name, stage: 'validating' });
  const text = req.composeText ?? (await readFleetCompose(fleet));
  const parsed = parseCompose(
    text,
    req.composeText ? `the stored compose of ${fleet.name}` : fleet.composeFile,
  );
  const secretValues = await deps.secrets.values(fleet.name);
  const rendered = renderCompose(parsed, fleet.name, secretValues);
  const transport = deps.transport(fleet.cluster);
  const registries = new Set([...parsed.services.values()].map((s) => imageRegistry(s.image)));
  const logins = (await deps.secrets.registries(fleet.cluster)).filter((r) =>
    registries.has(r.registry),
  );
  const hidden = [...secretValues.values(), ...logins.map((l) => l.password)];
  const mask = (s: string) => maskSecrets(s, hidden);

  emit({ kind: 'stage', fleet: fleet.name, stage: 'locking' });
  await deps.locks.acquire(fleet.name, req.actor, req.rollbackOf ? `rollback` : 'launch');
  try {
    const services = [...parsed.services.keys()];
    const before = await snapshot(transport, fleet.name, services, signal);
    let deployment = await deps.deployments.start({
      fleet: fleet.name,
      actor: req.actor,
      composeSnapshot: text,
      ...(req.rollbackOf ? { rollbackOf: req.rollbackOf } : {}),
    });
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
      };
    };
    try {
      if (logins.length)
        emit({
          kind: 'stage',
          fleet: fleet.name,
          stage: 'registry-login',
          version: deployment.version,
        });
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
      emit({ kind: 'stage', fleet: fleet.name, stage: 'deploying', version: deployment.version });
      const deployed = await transport.run(stackDeploy(fleet.name), { stdin: rendered, signal });
      if (deployed.exitCode !== 0) return await fail(deployFailure(deployed.stderr));

      emit({ kind: 'stage', fleet: fleet.name, stage: 'converging', version: deployment.version });
      const result = await waitForConvergence(transport, {
        fleet: fleet.name,
        services: new Map([...parsed.services].map(([n, s]) => [n, s.image])),
        before,
        timeoutMs: fleet.convergeTimeoutSeconds * 1000,
        settleMs: fleet.settleSeconds * 1000,
        ...(signal ? { signal } : {}),
        onProgress: emit,
      });
      if (!result.ok) {
        const svc = result.failure.service;
        const wantsLogs =
          result.failure.kind === 'exit_code' || result.failure.kind === 'unhealthy';
        const logTail =
          svc && wantsLogs
            ? (await fleetLogs(transport, fleet.name, [svc], { tail: 10 }, hidden)).lines.slice(-10)
            : [];
        return await fail(result.failure, result.services, logTail);
      }
      deployment = await deps.deployments.finish(deployment, 'succeeded', null);
      return { deployment, ok: true, services: result.services, logTail: [] };
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
  } finally {
    await deps.locks.release(fleet.name);
  }
}
