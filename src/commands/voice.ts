/**
 * Otto's voice: every sentence Otto says that is not an error's own message.
 * Clarity first (what happened, to what, what next); the theme adds warmth.
 */
import type { Verdict } from '../ops/dry-run.js';
import type { Deployment } from '../store/db.js';
import type { LaunchEvent, ServiceProgress } from '../swarm/progress.js';

export const otto = {
  prefix: '🦦',

  unknownCommand: (name: string) =>
    name
      ? `Otto doesn't know the command "${name}". Type help for the list.`
      : 'Otto is listening. Type help to see what Otto can do.',

  unknownFleet: (name: string, suggestion?: string) =>
    `There is no fleet named ${name}.` + (suggestion ? ` Did you mean ${suggestion}?` : ''),

  noFleets: () =>
    'No fleets configured yet. Ready for your first mission? Add one under fleets: in otto.yml (see README).',

  stage(e: Extract<LaunchEvent, { kind: 'stage' }>): string {
    const v = e.version ? ` v${e.version}` : '';
    switch (e.stage) {
      case 'validating':
        return `Otto is preparing the launch sequence for ${e.fleet}...`;
      case 'locking':
        return `Securing the launch pad for ${e.fleet}...`;
      case 'registry-login':
        return `Showing credentials to the registry for ${e.fleet}${v}...`;
      case 'deploying':
        return `Launching ${e.fleet}${v}: sending the fleet to the Swarm...`;
      case 'waiting-removal':
        return `${e.fleet}${v}: the previous ${e.fleet} stack is still being removed (docker stack rm works in the background). Waiting for its networks to go, then launching...`;
      case 'converging':
        return `${e.fleet}${v} has left the pad. Waiting for every service to reach orbit...`;
      case 'settling':
        return `${e.fleet}: all services are up. Watching telemetry for a few seconds...`;
      case 'returning':
        return `The launch failed and on_failure is rollback: returning ${e.fleet} to base (v${e.version})...`;
    }
  },

  /** A service's progress without its name: `🟢 2/2 running`. */
  serviceState(s: ServiceProgress): string {
    const icon = { running: '🟢', pending: '⏳', updating: '🔄', failing: '🔴' }[s.state];
    return `${icon} ${s.running}/${s.desired} ${s.state}${s.note ? ` (${s.note})` : ''}`;
  },

  builtInDefault: (fleets: readonly string[]) =>
    `No otto.yml here, so Otto runs its built-in default: the cluster local (this machine's docker)${
      fleets.length ? ` and the example fleet ${fleets.join(', ')}. Try: launch ${fleets[0]}` : ''
    }. otto init writes an otto.yml of your own.`,
  trialNetworkMade: (network: string) =>
    `🛰️  Otto made the ${network} network on this Swarm, so routed services have it before any ingress runs (otto outpost add sets one up).`,
  launched: (fleet: string, version: number, seconds: number) =>
    `Launch successful! ${fleet} v${version} is in orbit (${seconds.toFixed(1)} s).`,

  launchFailed: (fleet: string, version: number, reason: string) =>
    `Launch of ${fleet} v${version} failed: ${reason}`,

  returned: (fleet: string, target: number, version: number, seconds: number) =>
    `Back at base! ${fleet} runs v${target}'s configuration again, launched as v${version} (${seconds.toFixed(1)} s).`,

  autoReturned: (fleet: string, d: Deployment) =>
    `on_failure is rollback: Otto returned ${fleet} to base. v${d.rollbackOf}'s configuration is in orbit again as v${d.version}.`,

  autoReturnFailed: (fleet: string, d: Deployment, reason: string) =>
    `on_failure is rollback, but the return of ${fleet} to v${d.rollbackOf} (recorded as v${d.version}) failed too: ${reason}`,

  autoReturnSkipped: (fleet: string, why: string) =>
    `on_failure is rollback, but ${fleet} stays as it is: ${why}.`,

  /** `just now`, `5 min ago`, `2 h ago`, `3 days ago`. */
  ago(iso: string, now: number = Date.now()): string {
    const s = Math.max(0, (now - Date.parse(iso)) / 1000);
    if (s < 60) return 'just now';
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86_400 * 2) return `${Math.floor(s / 3600)} h ago`;
    return `${Math.floor(s / 86_400)} days ago`;
  },

  /** `2026-11-24 10:02:03 UTC`. */
  when: (iso: string) => `${iso.replace('T', ' ').slice(0, 19)} UTC`,

  directors: (n: number) =>
    n === 1 ? "a flight director's approval" : `${n} flight directors' approvals`,

  noLaunches: (fleet: string) =>
    `No launches of ${fleet} yet. Ready for your first mission? Try: launch ${fleet}`,

  notLaunched: (fleet: string) =>
    `${fleet} has no services in the Swarm. Not launched yet? Try: launch ${fleet}`,

  noTransmissions: (fleet: string, what: string) =>
    `No transmissions from ${fleet} ${what} in that window.`,

  incompleteLogs: (detail: string) =>
    `Some transmissions are missing: Docker could not read every task's logs (${detail}). Check status; the lines below are what the otternauts could reach.`,

  /**
   * What a dry run found, first line first: Docker's verdict on the rendered file
   * (asked on `target`), then Docker's or the transport's own words.
   */
  dryRun(fleet: string, file: string, v: Verdict, target = 'the manager'): string {
    const asked = `docker stack config on ${target}`;
    const nothing = 'Nothing was locked, deployed or recorded.';
    switch (v.kind) {
      case 'accepted':
        return `Dry run of launch ${fleet}: Otto renders ${file} and Docker accepts it (${asked}). ${nothing}`;
      case 'refused':
        return `Dry run of launch ${fleet}: Otto renders ${file}, but Docker refuses it (${asked}), so a launch would fail. ${nothing}\nDocker says: ${v.reason}`;
      case 'unavailable':
        return `Dry run of launch ${fleet}: Otto renders ${file}, but Docker could not check it: the docker CLI on ${target} is too old to check a file without deploying (docker stack config came with Docker 20.10). ${nothing}`;
      case 'unreachable':
        return `Dry run of launch ${fleet}: Otto renders ${file}, but could not reach the manager to ask Docker about it; the render is still shown. ${nothing}\n${v.reason}`;
      case 'offline':
        return `Otto renders ${file} for ${fleet} offline: Docker was not asked, and nothing was compared with what runs. ${nothing}`;
    }
  },

  /** `otto backup`: where the copy is, and what it does not hold. */
  backedUp(c: { file: string; bytes: number; schema: string }, dataDir: string): string {
    return `💾 Flight log backed up to ${c.file} (${c.bytes} bytes, schema ${c.schema}, mode 0600, integrity checked). The secret key is not in it: back up ${dataDir}/secret.key (or your OTTO_SECRET_KEY) as well, or stored secrets can't be read after a restore.`;
  },

  /** `otto restore`: what is in place now, and where the old database went. */
  restored(c: { file: string; schema: string }, aside: string | undefined): string {
    return `💾 Flight log restored from ${c.file} (schema ${c.schema}, now migrated to this Otto's).${aside ? ` The database it replaced is kept as ${aside}.` : ''} Start Otto again when ready.`;
  },

  unexpected: () =>
    'Otto hit an unexpected problem and stopped safely. Nothing else was changed. The details are in the bot log.',
};
