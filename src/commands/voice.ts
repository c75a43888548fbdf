/**
 * Otto's voice: every sentence Otto says that is not an error's own message.
 * Clarity first (what happened, to what, what next); the theme adds warmth.
 */
import type { LaunchEvent, ServiceProgress } from '../ops/events.js';

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
      case 'converging':
        return `${e.fleet}${v} has left the pad. Waiting for every service to reach orbit...`;
      case 'settling':
        return `${e.fleet}: all services are up. Watching telemetry for a few seconds...`;
    }
  },

  /** A service's progress without its name: `🟢 2/2 running`. */
  serviceState(s: ServiceProgress): string {
    const icon = { running: '🟢', pending: '⏳', updating: '🔄', failing: '🔴' }[s.state];
    return `${icon} ${s.running}/${s.desired} ${s.state}${s.note ? ` (${s.note})` : ''}`;
  },

  launched: (fleet: string, version: number, seconds: number) =>
    `Launch successful! ${fleet} v${version} is in orbit (${seconds.toFixed(1)} s).`,

  launchFailed: (fleet: string, version: number, reason: string) =>
    `Launch of ${fleet} v${version} failed: ${reason}`,

  noLaunches: (fleet: string) =>
    `No launches of ${fleet} yet. Ready for your first mission? Try: launch ${fleet}`,

  notLaunched: (fleet: string) =>
    `${fleet} has no services in the Swarm. Not launched yet? Try: launch ${fleet}`,

  noTransmissions: (fleet: string, what: string) =>
    `No transmissions from ${fleet} ${what} in that window.`,

  incompleteLogs: (detail: string) =>
    `Some transmissions are missing: Docker could not read every task's logs (${detail}). Check status; the lines below are what the otternauts could reach.`,

  unexpected: () =>
    'Otto hit an unexpected problem and stopped safely. Nothing else was changed. The details are in the bot log.',
};
