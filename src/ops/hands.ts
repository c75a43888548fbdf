import type { FleetConfig } from '../config/config.js';
import { NotFoundError, OttoError } from '../errors.js';
import type { Operation } from '../store/db.js';
import type { Locks } from '../store/locks.js';
import type { Operations } from '../store/operations.js';
import type { SecretStore } from '../store/secrets.js';
import { serviceName, serviceRestart, serviceScale } from '../swarm/argv.js';
import { snapshot, waitForConvergence, type ServiceState } from '../swarm/converge.js';
import { dockerError, type LaunchFailure } from '../swarm/failure.js';
import { fleetLogs } from '../swarm/logs.js';
import type { ServiceProgress } from '../swarm/progress.js';
import type { Transport } from '../transport/transport.js';

/**
 * The most replicas `scale` sets. Swarm has no limit of its own, and a slip of the
 * keyboard (`web=400` for `web=4`) would fill every node at once; a fleet that needs
 * more says so in its compose file, where a launch (and its review) sets it.
 */
export const MAX_REPLICAS = 100;

/** What an operator's hand does to one running service: no new version either way. */
export type HandsAction =
  { readonly kind: 'restart' } | { readonly kind: 'scale'; readonly replicas: number };

/** A service Swarm runs one task of on every eligible node: it has no replica count. */
export class GlobalServiceError extends OttoError {
  override readonly code = 'global_service';
}

export interface HandsDeps {
  readonly locks: Locks;
  readonly operations: Operations;
  /** For the mask over a failure's log lines. */
  readonly secrets: SecretStore;
  transport(cluster: string): Transport;
}

export type HandsStage = 'locking' | 'sending' | 'converging' | 'settling';

export type HandsEvent =
  | { readonly kind: 'stage'; readonly stage: HandsStage }
  | { readonly kind: 'services'; readonly services: readonly ServiceProgress[] };

export interface HandsRequest {
  readonly fleet: FleetConfig;
  /** The compose service (`web`). */
  readonly service: string;
  readonly action: HandsAction;
  readonly actor: string;
  /** What the lock says the fleet is busy with; `restart web` or `scale web to 4` by default. */
  readonly lockReason?: string;
  /** The approval request this carries out: the lock names it. */
  readonly requestId?: number;
  /**
   * Runs once the lock is held and the service checked, before anything is recorded or
   * sent; throwing stops cleanly (an approval that lost a race does this).
   */
  readonly onLocked?: () => Promise<void>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: HandsEvent) => void;
}

export interface HandsOutcome {
  readonly operation: Operation;
  readonly ok: boolean;
  readonly failure?: LaunchFailure;
  readonly services: readonly ServiceProgress[];
  /** The last log lines of the service when it failed, secrets masked. */
  readonly logTail: readonly string[];
  /** The replicas the service had before (undefined for a global service). */
  readonly from: number | undefined;
}

/** `restart web`, `scale web to 4`: what the lock and the operation say. */
export function actionWords(service: string, action: HandsAction): string {
  return action.kind === 'restart'
    ? `restart ${service}`
    : `scale ${service} to ${action.replicas}`;
}

/** The replicas a replicated service asks for; undefined for a global one. */
export function replicasOf(state: ServiceState): number | undefined {
  const mode = state.Spec.Mode;
  if (mode?.Global) return undefined;
  return mode?.Replicated?.Replicas ?? 1;
}

/**
 * The service as the Swarm has it, if `action` may act on it; otherwise a refusal
 * that says what to do: a service not in the Swarm, or a scale of a global service.
 */
export function checkTarget(
  fleet: string,
  service: string,
  action: HandsAction,
  state: ServiceState | undefined,
): ServiceState {
  if (!state) {
    throw new NotFoundError(
      `${fleet} ${service} is not in the Swarm (no service ${serviceName(fleet, service)}), so there is nothing to ${action.kind}. Nothing was changed.`,
      `Launch the fleet first: launch ${fleet}. Then check status ${fleet}.`,
    );
  }
  if (action.kind === 'scale' && replicasOf(state) === undefined) {
    throw new GlobalServiceError(
      `${fleet} ${service} is a global service: Swarm runs one task of it on every eligible node, so it has no replica count to scale. Nothing was changed.`,
      `To run it on fewer nodes, change its placement in the compose file and launch ${fleet}; to replace its tasks: restart ${fleet} ${service}.`,
    );
  }
  if (action.kind === 'scale' && !(action.replicas >= 0 && action.replicas <= MAX_REPLICAS)) {
    throw new OttoError(
      `Otto scales a service to 0–${MAX_REPLICAS} replicas. Nothing was changed.`,
    );
  }
  return state;
}

/** Reads the one service as the Swarm has it now (inspect and tasks, two calls at once). */
export function readService(
  transport: Transport,
  fleet: string,
  service: string,
  signal?: AbortSignal,
) {
  return snapshot(transport, fleet, [service], signal);
}

/**
 * Restarts or scales one service of a running fleet: lock, read the service, record
 * the operation, `docker service update`, wait for convergence, record the outcome,
 * unlock. The lock is released and the operation closed on every path; a stop of
 * Otto (the signal) marks it interrupted.
 */
export async function operate(deps: HandsDeps, req: HandsRequest): Promise<HandsOutcome> {
  const { fleet } = req;
  req.onProgress?.({ kind: 'stage', stage: 'locking' });
  await deps.locks.acquire(
    fleet.name,
    req.actor,
    req.lockReason ?? actionWords(req.service, req.action),
    req.requestId !== undefined ? { requestId: req.requestId } : {},
  );
  try {
    return await underLock(deps, req);
  } finally {
    await deps.locks.release(fleet.name);
  }
}

async function underLock(deps: HandsDeps, req: HandsRequest): Promise<HandsOutcome> {
  const { fleet, service, action, signal } = req;
  const emit = req.onProgress ?? (() => {});
  const transport = deps.transport(fleet.cluster);
  const full = serviceName(fleet.name, service);
  // Read again under the lock: the service may have gone or changed since the command
  // looked. Before onLocked, so that a refusal leaves an approval request pending.
  const before = await readService(transport, fleet.name, service, signal);
  const state = checkTarget(fleet.name, service, action, before.services.get(full));
  const from = replicasOf(state);
  await req.onLocked?.();
  let operation = await deps.operations.start({
    fleet: fleet.name,
    kind: action.kind,
    service,
    detail: action.kind === 'scale' ? `replicas ${from ?? '?'} → ${action.replicas}` : '',
    actor: req.actor,
  });
  const mask = async (text: string) =>
    (await deps.secrets.mask(fleet.name, fleet.cluster)).mask(text);
  const fail = async (
    failure: LaunchFailure,
    services: readonly ServiceProgress[] = [],
    logTail: readonly string[] = [],
  ): Promise<HandsOutcome> => {
    const message = await mask(failure.message);
    operation = await deps.operations.finish(operation, 'failed', message);
    return { operation, ok: false, failure: { ...failure, message }, services, logTail, from };
  };
  try {
    emit({ kind: 'stage', stage: 'sending' });
    const argv =
      action.kind === 'restart' ? serviceRestart(full) : serviceScale(full, action.replicas);
    const sent = await transport.run(argv, { signal });
    if (sent.exitCode !== 0) {
      return await fail({
        kind: 'deploy_rejected',
        service,
        message: `Docker refused to ${action.kind} ${full}: ${dockerError(sent.stderr)}`,
      });
    }
    emit({ kind: 'stage', stage: 'converging' });
    const result = await waitForConvergence(transport, {
      fleet: fleet.name,
      services: new Map([[service, state.Spec.TaskTemplate?.ContainerSpec?.Image ?? '']]),
      before,
      timeoutMs: fleet.convergeTimeoutSeconds * 1000,
      settleMs: fleet.settleSeconds * 1000,
      ...(signal ? { signal } : {}),
      onProgress: (e) =>
        emit(
          e.kind === 'services'
            ? { kind: 'services', services: e.services }
            : { kind: 'stage', stage: 'settling' },
        ),
    });
    if (!result.ok) {
      const wantsLogs = ['exit_code', 'unhealthy', 'update_paused', 'rolled_back'].includes(
        result.failure.kind,
      );
      const logTail = wantsLogs
        ? (
            await fleetLogs(
              transport,
              fleet.name,
              [service],
              { tail: 10 },
              await deps.secrets.mask(fleet.name, fleet.cluster),
            )
          ).lines.slice(-10)
        : [];
      return await fail({ ...result.failure, service }, result.services, logTail);
    }
    operation = await deps.operations.finish(operation, 'succeeded', null);
    return { operation, ok: true, services: result.services, logTail: [], from };
  } catch (e) {
    const aborted = signal?.aborted === true;
    const reason = aborted
      ? `Interrupted: Otto was stopped during the ${action.kind}.`
      : e instanceof OttoError
        ? await mask(e.message)
        : `Otto hit an unexpected error during the ${action.kind}.`;
    await deps.operations.finish(operation, aborted ? 'interrupted' : 'failed', reason);
    throw e;
  }
}
