import type { ClusterConfig } from '../config/config.js';
import { OttoError } from '../errors.js';
import { parseJsonLines, serviceInspect, servicePs } from '../swarm/argv.js';
import { ACME_RESOLVER, INGRESS_SERVICE, INGRESS_STACK } from '../swarm/ingress.js';
import type { Outposts } from '../store/outposts.js';
import type { SshTarget } from '../transport/ssh-transport.js';
import type { Transport } from '../transport/transport.js';
import { preflightChecks } from './outpost-add.js';
import { NodeSession, type OutpostEvent } from './outpost-steps.js';

export interface DoctorDeps {
  /** The cluster's managers. */
  readonly cluster: Transport;
  readonly outposts: Outposts;
  connect(target: SshTarget): Transport;
}

/** One part of the check-up: a node, or the ingress. */
export interface DoctorSection {
  readonly title: string;
  readonly events: readonly OutpostEvent[];
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly sections: readonly DoctorSection[];
}

/**
 * `doctor [cluster]`: the preflight of `outpost add` again for every server Otto
 * added (login, sudo, OS, Docker, disk), and the ingress (deployed, running, its
 * image, the ACME e-mail set). Changes nothing.
 */
export async function doctor(deps: DoctorDeps, cluster: ClusterConfig): Promise<DoctorReport> {
  const sections: DoctorSection[] = [];
  for (const o of await deps.outposts.list(cluster.name)) {
    const events: OutpostEvent[] = [];
    const emit = (e: OutpostEvent) => void events.push(e);
    const t = deps.connect({
      host: o.host,
      port: o.port,
      user: o.user,
      privateKeyFile: o.keyFile,
      hostKey: o.fingerprint,
    });
    try {
      const uid = (await t.run(['id', '-u'])).stdout.trim();
      emit({ step: 'login', status: 'ok', line: `Logged in as ${o.user}@${o.host}.` });
      await preflightChecks(new NodeSession(t, o.user, uid === '0'), emit);
    } catch (e) {
      if (!(e instanceof OttoError)) throw e;
      emit({ step: 'login', status: 'fail', line: e.message, fix: e.fix });
    } finally {
      await t.close();
    }
    sections.push({ title: `${o.host}:${o.port} (${o.role})`, events });
  }
  sections.push({
    title: `ingress of ${cluster.name}`,
    events: await ingressHealth(deps.cluster, cluster),
  });
  const ok = sections.every((s) => s.events.every((e) => e.status !== 'fail'));
  return { ok, sections };
}

async function ingressHealth(t: Transport, cluster: ClusterConfig): Promise<OutpostEvent[]> {
  if (!cluster.ingress.enabled)
    return [
      {
        step: 'ingress',
        status: 'ok',
        line: 'Turned off (ingress.enabled: false): nothing to check.',
      },
    ];
  const service = `${INGRESS_STACK}_${INGRESS_SERVICE}`;
  try {
    const inspect = await t.run(serviceInspect([service]));
    const spec = inspect.stdout.trim().startsWith('[')
      ? (
          JSON.parse(inspect.stdout) as {
            Spec?: { TaskTemplate?: { ContainerSpec?: { Image?: string; Args?: string[] } } };
          }[]
        )[0]
      : undefined;
    if (!spec)
      return [
        {
          step: 'ingress',
          status: 'fail',
          line: `The ingress (${service}) is not deployed.`,
          fix: `Run otto outpost add ${cluster.name} <manager host>: it deploys the ingress once per cluster.`,
        },
      ];
    const c = spec.Spec?.TaskTemplate?.ContainerSpec;
    const email = (c?.Args ?? [])
      .find((a) => a.startsWith(`--certificatesresolvers.${ACME_RESOLVER}.acme.email=`))
      ?.split('=')[1];
    const running = parseJsonLines<{ CurrentState?: string; DesiredState?: string }>(
      (await t.run(servicePs([service]))).stdout,
    ).filter((r) => r.DesiredState === 'Running' && r.CurrentState?.startsWith('Running'));
    return [
      running.length > 0
        ? { step: 'ingress', status: 'ok', line: `Running: ${c?.Image ?? '?'}.` }
        : {
            step: 'ingress',
            status: 'fail',
            line: `Deployed (${c?.Image ?? '?'}), but no replica runs.`,
            fix: `See why with: docker service ps --no-trunc ${service} on a manager.`,
          },
      email
        ? { step: 'ingress', status: 'ok', line: `Let's Encrypt account: ${email}.` }
        : {
            step: 'ingress',
            status: 'warn',
            line: 'No ACME e-mail in its arguments: certificates may not be issued.',
            fix: `Set clusters.${cluster.name}.ingress.acme_email and run otto outpost add again for a manager.`,
          },
    ];
  } catch (e) {
    if (!(e instanceof OttoError)) throw e;
    return [{ step: 'ingress', status: 'fail', line: e.message, fix: e.fix }];
  }
}
