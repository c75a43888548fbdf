/**
 * Render figures for `npm run bench`: parsing and rendering a 100-service compose
 * file built on anchors, merge keys and variables, as a launch does before it
 * locks anything (median and p99 of 200 renders after 20 uncounted ones; target: the
 * median under 50 ms; the p99 shows what a busy machine's pauses add). Pure CPU:
 * no engine, no SSH.
 */
import { parseCompose, renderCompose } from '../src/swarm/compose.js';
import { percentile } from './stats.js';

const SERVICES = 100;
const RUNS = 200;

/** A large, realistic file: every service merges shared blocks that nest other anchors. */
export function hundredServices(): string {
  return [
    'x-logging: &logging',
    '  driver: json-file',
    '  options: {max-size: "${LOG_SIZE:-10m}", max-file: "3"}',
    'x-deploy: &deploy',
    '  replicas: ${REPLICAS:-2}',
    '  update_config: {parallelism: "${PARALLEL:-1}", delay: 10s, failure_action: rollback}',
    '  restart_policy: {condition: on-failure, max_attempts: 3}',
    '  resources: {limits: {memory: 256M}}',
    'x-service: &service',
    '  logging: *logging',
    '  deploy: *deploy',
    '  environment: &env',
    '    TZ: UTC',
    '    API_KEY: ${API_KEY}',
    '    UMASK: 022',
    '  healthcheck: {test: ["CMD", "wget", "-qO-", "localhost:8080/health"], retries: "${RETRIES:-3}"}',
    'services:',
    ...Array.from({ length: SERVICES }, (_, i) =>
      [
        `  svc-${i}:`,
        '    <<: *service',
        `    image: \${REGISTRY:-registry.example.com}/team/svc-${i}:\${TAG:-1.0.${i}}`,
        '    ports:',
        `      - {target: 8080, published: ${20000 + i}}`,
        ...(i % 10 === 0
          ? ['    x-otternauts:', `      domains: [svc-${i}.example.com]`, '      port: 8080']
          : []),
      ].join('\n'),
    ),
    '',
  ].join('\n');
}

export function renderBench() {
  const text = hundredServices();
  const secrets = new Map([['API_KEY', 'k3y-$ecret'], ['TAG', '2.0']]);
  const once = () => {
    const t0 = performance.now();
    renderCompose(parseCompose(text, 'bench.yml'), 'bench', secrets);
    return performance.now() - t0;
  };
  for (let i = 0; i < 20; i++) once();
  const times = Array.from({ length: RUNS }, once);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    services: SERVICES,
    file_kb: Math.round(text.length / 102.4) / 10,
    renders: RUNS,
    p50_ms: round(percentile(times, 50)),
    p99_ms: round(percentile(times, 99)),
    target_ms: 50,
    under_50ms_p50: percentile(times, 50) < 50,
  };
}
