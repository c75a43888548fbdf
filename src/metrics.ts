/**
 * Otto's Prometheus metrics (prom-client), on a registry of Otto's own: the rooms
 * count what they see here, and the HTTP listener serves it at `GET /metrics`. The
 * ground floor, like errors.ts: it imports no room, so any room may count.
 *
 * Labels stay bounded: fleets (previews count as one) and clusters are the configured ones, platforms and
 * target kinds a handful, SSH targets the configured managers.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'otto_' });

export const launches = new Counter({
  name: 'otto_launches_total',
  help: 'Launches and returns to base that finished, by fleet and outcome (succeeded, failed, interrupted).',
  labelNames: ['fleet', 'outcome'] as const,
  registers: [registry],
});

export const launchSeconds = new Histogram({
  name: 'otto_launch_duration_seconds',
  help: 'How long launches took, from start to their outcome.',
  labelNames: ['outcome'] as const,
  buckets: [5, 10, 20, 30, 60, 120, 300, 600, 1200],
  registers: [registry],
});

/** Read from the database at each scrape (set by whoever serves /metrics). */
export const openIncidents = new Gauge({
  name: 'otto_open_incidents',
  help: 'Incidents open now (services, nodes, clusters, memory), by kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const alertFailures = new Counter({
  name: 'otto_alert_delivery_failures_total',
  help: 'Alerts, updates and recoveries Otto could not deliver, by target kind (slack, discord, webhook, mattermost, teams, email).',
  labelNames: ['target'] as const,
  registers: [registry],
});

export const chatAckSeconds = new Histogram({
  name: 'otto_chat_ack_seconds',
  help: 'From a chat interaction reaching Otto to its acknowledgement, by platform.',
  labelNames: ['platform'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
  registers: [registry],
});

export const sshChannels = new Gauge({
  name: 'otto_ssh_channels_in_use',
  help: 'SSH exec channels open now, by manager (at most 10 per connection).',
  labelNames: ['target'] as const,
  registers: [registry],
});

export const reconcileSeconds = new Histogram({
  name: 'otto_reconcile_pass_duration_seconds',
  help: 'How long one telemetry pass over a cluster took (reading the Swarm and judging it).',
  labelNames: ['cluster'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
  registers: [registry],
});

/**
 * A fleet as a label: pull request previews (`shop-pr-42`, one per pull request) all
 * count as `preview`, so the series stay as many as the fleets of otto.yml.
 */
export function fleetLabel(fleet: string): string {
  return /-pr-\d+$/.test(fleet) ? 'preview' : fleet;
}

/** The kind of an alert target: `slack:C1` → slack; a Discord webhook URL → discord. */
export function targetKind(target: string): string {
  if (/^https?:/.test(target)) return 'discord';
  return target.split(':', 1)[0] ?? 'other';
}
