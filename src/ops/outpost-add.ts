import type { ClusterConfig } from '../config/config.js';
import { OttoError, UnreachableError } from '../errors.js';
import {
  managerAddress,
  networkInspect,
  nodeLs,
  overlayNetworkCreate,
  parseJsonLines,
  parseSwarmInfo,
  serviceInspect,
  stackDeploy,
  swarmInfo,
  swarmInit,
  swarmJoin,
  swarmJoinToken,
  dockerRootDir,
  dockerVersion,
  type SwarmInfo,
  type SwarmRole,
} from '../swarm/argv.js';
import {
  dockerInstallSteps,
  systemdRunningArgv,
  parseSshServerAddress,
  sshServerAddressArgv,
} from '../swarm/docker-install.js';
import { INGRESS_SERVICE, INGRESS_STACK, renderIngressStack } from '../swarm/ingress.js';
import {
  DEFAULT_MIN_FREE_BYTES,
  diskCheck,
  diskFreeArgv,
  dockerCheck,
  dockerInstallFailed,
  ingressDeployFailed,
  lastLines,
  membershipCheck,
  osCheck,
  osReleaseArgv,
  portProbeArgv,
  portsCheck,
  sudoCheck,
  sudoCheckArgv,
  swarmInitFailed,
  swarmJoinFailed,
  SWARM_TCP_PORTS,
  type OurSwarm,
} from '../swarm/preflight.js';
import { TRAEFIK_NETWORK } from '../swarm/compose.js';
import { sendCompose } from '../swarm/compose-version.js';
import type { HostKeyStore, SshTarget } from '../transport/ssh-transport.js';
import type { Transport } from '../transport/transport.js';
import { ended, NodeSession, type OutpostEvent, type OutpostStep } from './outpost-steps.js';

/** What `outpost add` is asked to do. */
export interface OutpostRequest {
  readonly cluster: ClusterConfig;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly keyFile: string;
  readonly role: SwarmRole;
  /** A pinned `SHA256:…`: the server must offer exactly this key. */
  readonly fingerprint?: string | undefined;
  /** Trust the offered key on first use without asking (`--yes`). */
  readonly trust?: boolean;
  /** Asked when neither a fingerprint nor `trust` was given: true to go on. */
  readonly confirm?: (fingerprint: string) => Promise<boolean>;
  /** Free space Docker's data root needs (5 GB by default). */
  readonly minFreeBytes?: number;
  readonly actor: string;
  readonly signal?: AbortSignal | undefined;
  readonly onEvent?: (event: OutpostEvent) => void;
}

/** The rows `outpost add` records: one per server, whatever it became. */
export interface OutpostRecord {
  readonly cluster: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly keyFile: string;
  readonly role: SwarmRole;
  readonly fingerprint: string;
  readonly nodeId: string | null;
  readonly addedBy: string;
}

export interface OutpostDeps {
  /** The pinned host keys of the cluster (the same table managers use). */
  readonly hostKeys: HostKeyStore;
  /** The cluster's managers (failover), to find the Swarm a new node joins. */
  readonly cluster: Transport;
  /** An SSH transport to the new server, its host key pinned. */
  connect(target: SshTarget): Transport;
  /** The host key a server offers (probeHostKey). */
  probe(host: string, port: number): Promise<string>;
  record(outpost: OutpostRecord): Promise<void>;
}

export interface OutpostOutcome {
  readonly ok: boolean;
  readonly events: readonly OutpostEvent[];
  /** The step that stopped the setup, when it failed. */
  readonly stoppedAt?: OutpostStep;
  /** What happened to the Swarm: created here, joined, or already a member. */
  readonly swarm?: 'init' | 'join' | 'member';
  readonly nodeId?: string;
  /** The role the node has now (one already in the Swarm keeps its own). */
  readonly role?: SwarmRole;
}

/** How long a freshly installed engine may take to answer. */
const ENGINE_START_MS = 30_000;

/** A step that failed: the setup stops, and the outcome says where. */
class Stop extends Error {
  constructor(readonly step: OutpostStep) {
    super(`stopped at ${step}`);
  }
}

const HOST_KEY_CHANGED =
  'Server fingerprint has changed! This could indicate a security issue. If you reinstalled the server, remove it and add again.';

/**
 * `outpost add`: from a bare server to a node of the cluster's Swarm, step by step
 * (seed 001's onboarding): the host key confirmed, preflight (login, sudo, OS,
 * Docker, disk), Docker installed from the distribution's packages when absent, the
 * Swarm created (first manager) or joined, the ingress deployed once per cluster,
 * and the server recorded. Every step reports ✅/⚠️/❌ through `onEvent`, a failure
 * with its fix; the setup stops at the first failure and says where.
 */
export async function addOutpost(deps: OutpostDeps, req: OutpostRequest): Promise<OutpostOutcome> {
  const events: OutpostEvent[] = [];
  const emit = (e: OutpostEvent) => {
    events.push(e);
    req.onEvent?.(e);
  };
  const fail = (step: OutpostStep, line: string, fix?: string, details?: readonly string[]) => {
    emit({ step, status: 'fail', line, fix, details });
    return new Stop(step);
  };
  try {
    const fingerprint = await hostKey(deps, req, emit, fail);
    let node = await login(deps, req, fingerprint, emit, fail);
    const plan = await preflightChecks(node, emit, req.minFreeBytes);
    if (plan.failed) throw new Stop(plan.failed);
    if (plan.install) node = await install(deps, req, fingerprint, node, emit, fail);
    const swarm = await joinSwarm(deps, req, node, emit, fail);
    await ingress(req, swarm.init ? node : undefined, deps.cluster, emit, fail);
    emit({ step: 'record', status: 'running', line: 'Recording the outpost...' });
    await deps.record({
      cluster: req.cluster.name,
      host: req.host,
      port: req.port,
      user: req.user,
      keyFile: req.keyFile,
      role: swarm.role,
      fingerprint,
      nodeId: swarm.nodeId || null,
      addedBy: req.actor,
    });
    emit({
      step: 'record',
      status: 'ok',
      line: `${req.host} is an outpost of ${req.cluster.name} (${swarm.role}, node ${swarm.nodeId}).`,
    });
    return { ok: true, events, swarm: swarm.how, nodeId: swarm.nodeId, role: swarm.role };
  } catch (e) {
    if (e instanceof Stop) return { ok: false, events, stoppedAt: e.step };
    throw e;
  }
}

type Emit = (e: OutpostEvent) => void;
type Fail = (step: OutpostStep, line: string, fix?: string, details?: readonly string[]) => Stop;

/** The host key: probed, compared with what Otto knows or was told, confirmed. */
async function hostKey(deps: OutpostDeps, req: OutpostRequest, emit: Emit, fail: Fail) {
  const at = `${req.host}:${req.port}`;
  emit({ step: 'host-key', status: 'running', line: `Reading the host key of ${at}...` });
  let offered: string;
  try {
    offered = await deps.probe(req.host, req.port);
  } catch (e) {
    if (e instanceof UnreachableError) throw fail('host-key', e.message, e.fix);
    throw e;
  }
  const known = await deps.hostKeys.get(req.host, req.port);
  if (known && known !== offered)
    throw fail(
      'host-key',
      `${HOST_KEY_CHANGED} ${at} offers ${offered}; Otto knows it as ${known}.`,
      `If you reinstalled ${req.host}, remove it (otto outpost remove ${req.cluster.name} ${req.host}) and add it again; otherwise do not use this server.`,
    );
  if (req.fingerprint && req.fingerprint !== offered)
    throw fail(
      'host-key',
      `${at} offers the host key ${offered}, not the ${req.fingerprint} you pinned. This could indicate a security issue.`,
      `Compare with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server itself. Run outpost add again with the right --fingerprint.`,
    );
  const trusted = known === offered || req.fingerprint === offered || req.trust === true;
  if (!trusted && !(await req.confirm?.(offered)))
    throw fail(
      'host-key',
      `Not trusted: ${at} offers ${offered}, and nobody confirmed it. Nothing was changed.`,
      `Compare it with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server, then run outpost add again with --fingerprint ${offered}.`,
    );
  emit({ step: 'host-key', status: 'ok', line: `Host key of ${at}: ${offered}.` });
  return offered;
}

/** Key authentication, and whether the login is root. */
async function login(
  deps: OutpostDeps,
  req: OutpostRequest,
  fingerprint: string,
  emit: Emit,
  fail: Fail,
): Promise<NodeSession> {
  const transport = deps.connect({
    host: req.host,
    port: req.port,
    user: req.user,
    privateKeyFile: req.keyFile,
    hostKey: fingerprint,
  });
  let uid: string;
  try {
    uid = (await transport.run(['id', '-u'], { ...(req.signal ? { signal: req.signal } : {}) }))
      .stdout;
  } catch (e) {
    if (!(e instanceof UnreachableError)) throw e;
    throw e.why === 'auth failed'
      ? fail(
          'login',
          `Authentication failed. Verify the username and private key are correct (${req.user}@${req.host}, key ${req.keyFile}).`,
          `Add the public key (${req.keyFile}.pub) to ~${req.user}/.ssh/authorized_keys on the server, or give the right --user and --key.`,
        )
      : fail('login', e.message, e.fix);
  }
  await deps.hostKeys.remember(req.host, req.port, fingerprint);
  const root = uid.trim() === '0';
  emit({
    step: 'login',
    status: 'ok',
    line: `Key authentication works for ${req.user}@${req.host}${root ? ' (root)' : ''}.`,
  });
  return new NodeSession(transport, req.user, root, req.signal);
}

/**
 * The preflight of a server Otto is logged in to: sudo (unless root), OS, Docker,
 * free disk at Docker's data root. Every check runs and is reported; the result
 * names the first that failed, and whether Docker must be installed.
 */
export async function preflightChecks(
  node: NodeSession,
  emit: (e: OutpostEvent) => void,
  minFreeBytes: number = DEFAULT_MIN_FREE_BYTES,
): Promise<{ readonly failed?: OutpostStep; readonly install: boolean }> {
  const checks: OutpostEvent[] = [];
  const check = (e: OutpostEvent) => {
    emit(e);
    checks.push(e);
  };
  if (!node.root) check(ended('sudo', sudoCheck(await node.run(sudoCheckArgv()), node.user)));
  const os = osCheck(await node.run(osReleaseArgv()));
  check(ended('os', os));
  const docker = dockerCheck(await node.run(dockerVersion()), { user: node.user, apt: os.apt });
  check(ended('docker', docker));
  const root =
    docker.engine === 'present'
      ? (await node.run(dockerRootDir())).stdout.trim() || '/var/lib/docker'
      : '/var/lib';
  check(ended('disk', diskCheck(await node.run(diskFreeArgv(root)), root, minFreeBytes)));
  const failed = checks.find((c) => c.status === 'fail')?.step;
  return { ...(failed ? { failed } : {}), install: docker.engine === 'absent' };
}

/** Docker from the distribution's packages; then a fresh login, so the docker group counts. */
async function install(
  deps: OutpostDeps,
  req: OutpostRequest,
  fingerprint: string,
  node: NodeSession,
  emit: Emit,
  fail: Fail,
): Promise<NodeSession> {
  const systemd = (await node.run(systemdRunningArgv())).exitCode === 0;
  for (const step of dockerInstallSteps(req.user, { systemd })) {
    emit({ step: 'install', status: 'running', line: `Installing Docker: ${step.what}...` });
    const answer = await node.asRoot(step.argv, step.timeoutMs);
    if (answer.exitCode !== 0) {
      const check = dockerInstallFailed(answer);
      throw fail(
        'install',
        `${check.line} (${step.what})`,
        check.fix,
        check.details ?? lastLines(answer),
      );
    }
  }
  await node.transport.close?.();
  const fresh = await login(deps, req, fingerprint, () => {}, fail);
  // An init script returns once dockerd is launched, before it answers: give it a while.
  const until = Date.now() + ENGINE_START_MS;
  let answers = (await fresh.run(dockerVersion())).exitCode === 0;
  while (!answers && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1_000));
    answers = (await fresh.run(dockerVersion())).exitCode === 0;
  }
  if (!answers)
    throw fail(
      'install',
      `Docker installation failed. Check server logs for details: docker.io is installed, but ${req.user} can't reach the engine.`,
      systemd
        ? `Check systemctl status docker and journalctl -u docker on ${req.host}, then run outpost add again.`
        : `Check /var/log/docker.log on ${req.host} (no systemd there: the engine was started with service docker start), then run outpost add again.`,
    );
  emit({
    step: 'install',
    status: 'ok',
    line: 'Docker installed from the distribution’s packages.',
  });
  return fresh;
}

/** The Swarm the cluster's managers run, when they run one. */
async function ourSwarm(
  cluster: Transport,
): Promise<{ ours: OurSwarm; info: SwarmInfo } | undefined> {
  try {
    const info = parseSwarmInfo((await cluster.run(swarmInfo())).stdout);
    if (info.localNodeState !== 'active' || !info.controlAvailable) return undefined;
    const nodes = parseJsonLines<{ ID: string }>((await cluster.run(nodeLs())).stdout);
    return { ours: { clusterId: info.clusterId, nodeIds: new Set(nodes.map((n) => n.ID)) }, info };
  } catch (e) {
    // A cluster whose managers are not set up yet: this node may be its first.
    if (e instanceof OttoError) return undefined;
    throw e;
  }
}

/** Creates the Swarm here (the first manager), joins the cluster's, or finds the node a member. */
async function joinSwarm(
  deps: OutpostDeps,
  req: OutpostRequest,
  node: NodeSession,
  emit: Emit,
  fail: Fail,
): Promise<{
  how: 'init' | 'join' | 'member';
  init: boolean;
  nodeId: string;
  /** The role the node has in the Swarm (a member keeps its own, whatever was asked). */
  role: SwarmRole;
}> {
  emit({ step: 'swarm', status: 'running', line: 'Checking the Swarm...' });
  const info = parseSwarmInfo((await node.run(swarmInfo())).stdout);
  const swarm = await ourSwarm(deps.cluster);
  const member = membershipCheck(info, swarm?.ours);
  if (member.membership !== 'none') {
    emit(ended('swarm', member));
    if (member.status === 'fail') throw new Stop('swarm');
    return {
      how: 'member',
      init: false,
      nodeId: info.nodeId,
      role: info.controlAvailable ? 'manager' : 'worker',
    };
  }
  const advertise = parseSshServerAddress((await node.run(sshServerAddressArgv())).stdout);
  if (!swarm) {
    if (req.role !== 'manager')
      throw fail(
        'swarm',
        `Cluster ${req.cluster.name} has no Swarm yet, and a worker can't start one.`,
        `Add a manager first: otto outpost add ${req.cluster.name} <host> --role manager`,
      );
    const answer = await node.run(swarmInit(advertise ?? req.host));
    if (answer.exitCode !== 0) {
      const check = swarmInitFailed(answer);
      throw fail('swarm', check.line, check.fix, check.details);
    }
    const nodeId = parseSwarmInfo((await node.run(swarmInfo())).stdout).nodeId;
    emit({
      step: 'swarm',
      status: 'ok',
      line: `Created the Swarm of ${req.cluster.name} on ${req.host} (advertising ${advertise ?? req.host}).`,
    });
    return { how: 'init', init: true, nodeId, role: 'manager' };
  }
  const manager = (swarm.info.nodeAddr || swarm.info.remoteManagers[0]?.addr.split(':')[0]) ?? '';
  const probes = [];
  for (const port of SWARM_TCP_PORTS)
    probes.push({ port, open: (await node.run(portProbeArgv(manager, port))).exitCode === 0 });
  const ports = portsCheck(manager, probes);
  emit(ended('ports', ports));
  if (ports.status === 'fail') throw new Stop('ports');
  const token = (await deps.cluster.run(swarmJoinToken(req.role))).stdout.trim();
  const answer = await node.run(
    swarmJoin(token, managerAddress(manager), advertise ? { advertiseAddr: advertise } : {}),
    undefined,
    [token],
  );
  if (answer.exitCode !== 0) {
    const check = swarmJoinFailed(answer);
    throw fail('swarm', check.line, check.fix, check.details);
  }
  const nodeId = parseSwarmInfo((await node.run(swarmInfo())).stdout).nodeId;
  emit({
    step: 'swarm',
    status: 'ok',
    line: `Joined the Swarm of ${req.cluster.name} as a ${req.role} through ${manager} (node ${nodeId}).`,
  });
  return { how: 'join', init: false, nodeId, role: req.role };
}

/**
 * The ingress, once per cluster: the `traefik-public` overlay network and the
 * `otto-ingress` stack, on the first manager (`first`), or through the cluster's
 * managers when it is missing there. Skipped when the cluster's ingress is disabled.
 */
async function ingress(
  req: OutpostRequest,
  first: NodeSession | undefined,
  cluster: Transport,
  emit: Emit,
  fail: Fail,
): Promise<void> {
  const config = req.cluster.ingress;
  if (!config.enabled) {
    emit({
      step: 'ingress',
      status: 'ok',
      line: `Ingress is disabled for ${req.cluster.name} (ingress.enabled: false): Otto deploys no Traefik.`,
    });
    return;
  }
  const run = (argv: readonly string[], stdin?: string) =>
    first
      ? first.transport.run(argv, stdin !== undefined ? { stdin } : {})
      : cluster.run(argv, stdin !== undefined ? { stdin } : {});
  const service = `${INGRESS_STACK}_${INGRESS_SERVICE}`;
  if (!first && (await run(serviceInspect([service]))).exitCode === 0) {
    emit({
      step: 'ingress',
      status: 'ok',
      line: `The ingress of ${req.cluster.name} runs already.`,
    });
    return;
  }
  emit({ step: 'ingress', status: 'running', line: 'Deploying the ingress (Traefik v3)...' });
  let stack;
  try {
    stack = renderIngressStack(req.cluster.name, config);
  } catch (e) {
    if (e instanceof OttoError) throw fail('ingress', e.message, e.fix);
    throw e;
  }
  if ((await run(networkInspect(TRAEFIK_NETWORK))).exitCode !== 0) {
    const made = await run(overlayNetworkCreate(TRAEFIK_NETWORK));
    if (made.exitCode !== 0) {
      const check = ingressDeployFailed(made);
      throw fail('ingress', check.line, check.fix, check.details);
    }
  }
  const deployed = await sendCompose(stack.text, (text) => run(stackDeploy(INGRESS_STACK), text));
  if (deployed.exitCode !== 0) {
    const check = ingressDeployFailed(deployed);
    throw fail('ingress', check.line, check.fix, check.details);
  }
  emit({
    step: 'ingress',
    status: 'ok',
    line: `Ingress deployed: ${config.image} on ${TRAEFIK_NETWORK}, ports 80 and 443, certificates from Let's Encrypt for ${config.acmeEmail}.`,
  });
}
