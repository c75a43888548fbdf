import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/swarm/compose.js';
import type { InspectedNetwork, InspectedService } from '../../src/swarm/service-spec.js';
import {
  composeFromServices,
  cpus,
  goDuration,
  imageOf,
  memorySize,
} from '../../src/swarm/stack-compose.js';
import { composeText } from '../../src/swarm/stack-compose-text.js';

const NS = 'com.docker.stack.namespace';

/** A service as `docker service inspect` shows one that `docker stack deploy` made (Docker 20.10/28). */
const WEB: InspectedService = {
  Spec: {
    Name: 'legacy_web',
    Labels: { 'com.docker.stack.image': 'nginx:1.27', [NS]: 'legacy', team: 'web' },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'nginx:1.27@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac',
        Labels: { [NS]: 'legacy', tier: 'front' },
        Args: ['nginx', '-g', 'daemon off;'],
        Env: ['MODE=prod', 'PRICE=$5', 'COUNT=1_000'],
        StopGracePeriod: 10_000_000_000,
        Healthcheck: {
          Test: ['CMD-SHELL', 'wget -q -O- localhost || exit 1'],
          Interval: 30_000_000_000,
          Timeout: 5_000_000_000,
          Retries: 3,
          StartPeriod: 90_000_000_000,
        },
        Mounts: [
          {
            Type: 'volume',
            Source: 'legacy_data',
            Target: '/data',
            VolumeOptions: { Labels: { [NS]: 'legacy' } },
          },
          { Type: 'bind', Source: '/srv/conf', Target: '/conf', ReadOnly: true },
          { Type: 'volume', Source: 'shared-cache', Target: '/cache' },
        ],
        Secrets: [
          {
            File: { Name: 'api_key', UID: '0', GID: '0', Mode: 292 },
            SecretName: 'legacy_api_key',
          },
          { File: { Name: 'tls.pem', UID: '0', GID: '0', Mode: 288 }, SecretName: 'wildcard_tls' },
        ],
        Configs: [
          {
            File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 292 },
            ConfigName: 'app_conf_v2',
          },
        ],
      },
      Resources: {
        Limits: { NanoCPUs: 500_000_000, MemoryBytes: 536_870_912 },
        Reservations: {},
      },
      RestartPolicy: { Condition: 'on-failure', Delay: 5_000_000_000, MaxAttempts: 3 },
      Placement: { Constraints: ['node.role == worker'] },
      Networks: [
        { Target: 'net1', Aliases: ['web'] },
        { Target: 'net2', Aliases: ['web', 'www'] },
      ],
    },
    Mode: { Replicated: { Replicas: 2 } },
    UpdateConfig: {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 5_000_000_000,
      MaxFailureRatio: 0,
      Order: 'start-first',
    },
    EndpointSpec: {
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }],
    },
  },
};

const WORKER: InspectedService = {
  Spec: {
    Name: 'legacy_worker',
    Labels: { [NS]: 'legacy' },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'registry.example.com:5000/acme/worker@sha256:abcd',
        Command: ['/bin/sh', '-c'],
        Args: ['run-worker'],
        Env: ['TOKEN'],
        Hosts: ['10.0.0.5 db db.internal'],
        DNSConfig: { Nameservers: ['10.0.0.2'], Options: ['ndots:2'] },
        Init: true,
        Mounts: [{ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 65_536 } }],
        Ulimits: [
          { Name: 'nofile', Soft: 1024, Hard: 2048 },
          { Name: 'nproc', Soft: 64, Hard: 64 },
        ],
      },
      Networks: [{ Target: 'net1', Aliases: ['worker'] }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m' } },
      Placement: {
        Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
        MaxReplicas: 1,
      },
    },
    Mode: { Global: {} },
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: [{ Protocol: 'udp', TargetPort: 53, PublishedPort: 5353, PublishMode: 'host' }],
    },
  },
};

const NETWORKS: InspectedNetwork[] = [
  { Id: 'net1', Name: 'legacy_default', Driver: 'overlay', Labels: { [NS]: 'legacy' } },
  { Id: 'net2', Name: 'traefik-public', Driver: 'overlay', Attachable: true, Labels: {} },
];

describe('a stack compose file rebuilt from its services', () => {
  it("turns each service's spec back into compose keys, leaving out Docker's defaults", () => {
    const { data } = composeFromServices('legacy', [WORKER, WEB], NETWORKS);
    expect(data).toEqual({
      services: {
        web: {
          image: 'nginx:1.27',
          command: ['nginx', '-g', 'daemon off;'],
          environment: { MODE: 'prod', PRICE: '$$5', COUNT: '1_000' },
          labels: { tier: 'front' },
          ports: [{ target: 80, published: 8080 }],
          networks: { default: {}, 'traefik-public': { aliases: ['www'] } },
          volumes: [
            { type: 'volume', source: 'data', target: '/data' },
            { type: 'bind', source: '/srv/conf', target: '/conf', read_only: true },
            { type: 'volume', source: 'shared-cache', target: '/cache' },
          ],
          secrets: ['api_key', { source: 'wildcard_tls', target: 'tls.pem', mode: 288 }],
          configs: [{ source: 'app_conf_v2', target: '/etc/app.conf' }],
          healthcheck: {
            test: ['CMD-SHELL', 'wget -q -O- localhost || exit 1'],
            interval: '30s',
            timeout: '5s',
            retries: 3,
            start_period: '1m30s',
          },
          stop_grace_period: '10s',
          deploy: {
            replicas: 2,
            labels: { team: 'web' },
            resources: { limits: { cpus: '0.5', memory: '512M' } },
            restart_policy: { condition: 'on-failure', max_attempts: 3 },
            placement: { constraints: ['node.role == worker'] },
            update_config: { order: 'start-first' },
          },
        },
        worker: {
          image: 'registry.example.com:5000/acme/worker@sha256:abcd',
          entrypoint: ['/bin/sh', '-c'],
          command: ['run-worker'],
          environment: ['TOKEN'],
          ports: [{ target: 53, published: 5353, protocol: 'udp', mode: 'host' }],
          volumes: [{ type: 'tmpfs', target: '/tmp', tmpfs: { size: 65_536 } }],
          init: true,
          ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 64 },
          extra_hosts: ['db:10.0.0.5', 'db.internal:10.0.0.5'],
          dns: ['10.0.0.2'],
          logging: { driver: 'json-file', options: { 'max-size': '10m' } },
          deploy: {
            mode: 'global',
            endpoint_mode: 'dnsrr',
            placement: {
              preferences: [{ spread: 'node.labels.zone' }],
              max_replicas_per_node: 1,
            },
          },
        },
      },
      networks: { 'traefik-public': { external: true } },
      volumes: { data: {}, 'shared-cache': { external: true } },
      secrets: {
        api_key: { name: 'legacy_api_key', external: true },
        wildcard_tls: { external: true },
      },
      configs: { app_conf_v2: { external: true } },
    });
  });

  it('writes a file that Otto reads back as the same compose, with comments where Docker kept no answer', () => {
    const rebuilt = composeFromServices('legacy', [WEB, WORKER], NETWORKS);
    const text = composeText(rebuilt, ' Rebuilt by Otto.');
    expect(text.startsWith('# Rebuilt by Otto.\n')).toBe(true);
    expect(text).toContain(
      'image: nginx:1.27 # ran as sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac: add @sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac to pin it',
    );
    expect(text).toContain("# Docker never gives a secret's value back");
    expect(text).toContain('# Not carried over: DNS options ndots:2');
    // yaml.v3 would read 1_000 written plain as the number 1000.
    expect(text).toContain('COUNT: "1_000"');
    const parsed = parseCompose(text, 'legacy.yml');
    expect(parsed.data).toEqual(rebuilt.data);
    // An environment name without a value, as Docker keeps one the deploying shell lacked:
    // Otto fills it from the fleet's secrets (otto secret set legacy TOKEN).
    expect([...parsed.required]).toEqual(['TOKEN']);
    expect(parse(text)).toEqual(rebuilt.data);
  });

  it('keeps the names of its own volumes for a fleet of another name, and says what it could not read', () => {
    const odd: InspectedService = {
      Spec: {
        Name: 'Old_App_web',
        TaskTemplate: {
          ContainerSpec: {
            Image: 'busybox',
            Mounts: [
              {
                Type: 'volume',
                Source: 'Old_App_data',
                Target: '/d',
                VolumeOptions: { Labels: { [NS]: 'Old_App' }, DriverConfig: { Name: 'rexray' } },
              },
            ],
          },
          Networks: [{ Target: 'gone', Aliases: ['web'] }],
        },
        Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } },
      },
    };
    const r = composeFromServices('Old_App', [odd], [], { keepVolumeNames: true });
    expect(r.data).toEqual({
      services: {
        web: {
          image: 'busybox',
          volumes: [{ type: 'volume', source: 'data', target: '/d' }],
          deploy: { mode: 'replicated-job', replicas: 2 },
        },
      },
      volumes: { data: { name: 'Old_App_data', driver: 'rexray' } },
    });
    expect(r.notes).toEqual([
      {
        path: ['services', 'web', 'image'],
        at: 'above',
        text: ' Docker could not say which network gone is: add it under networks: by hand.',
      },
    ]);
  });

  it("declares the stack's own networks only when they differ from an overlay", () => {
    const svc: InspectedService = {
      Spec: {
        Name: 's_api',
        TaskTemplate: {
          ContainerSpec: { Image: 'api:1' },
          Networks: [
            { Target: 'a', Aliases: ['api'] },
            { Target: 'b', Aliases: ['api'] },
          ],
        },
        Mode: { Replicated: { Replicas: 1 } },
      },
    };
    const r = composeFromServices(
      's',
      [svc],
      [
        { Id: 'a', Name: 's_default', Driver: 'overlay', Labels: { [NS]: 's' } },
        { Id: 'b', Name: 's_back', Driver: 'overlay', Attachable: true, Labels: { [NS]: 's' } },
      ],
    );
    expect(r.data).toEqual({
      services: { api: { image: 'api:1', networks: ['default', 'back'], deploy: { replicas: 1 } } },
      networks: { back: { attachable: true } },
    });
  });
});

describe('the pieces of a rebuilt compose file', () => {
  it('writes durations as Go reads them', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(5e9)).toBe('5s');
    expect(goDuration(90e9)).toBe('1m30s');
    expect(goDuration(3600e9)).toBe('1h');
    expect(goDuration(500e6)).toBe('500ms');
    expect(goDuration(1500)).toBe('1500ns');
    expect(goDuration(2000)).toBe('2us');
  });

  it('writes memory in the largest binary unit that divides it, and CPUs as decimals', () => {
    expect(memorySize(536_870_912)).toBe('512M');
    expect(memorySize(2 * 1024 ** 3)).toBe('2G');
    expect(memorySize(1536)).toBe('1536b');
    expect(memorySize(1000)).toBe('1000b');
    expect(cpus(500_000_000)).toBe('0.5');
    expect(cpus(2_000_000_000)).toBe('2');
    expect(cpus(1)).toBe('0.000000001');
  });

  it('takes the image as the compose file wrote it, or drops only a digest that follows a tag', () => {
    const spec = (Image: string, Labels: Record<string, string> = {}) => ({
      Name: 'a_web',
      Labels,
      TaskTemplate: { ContainerSpec: { Image } },
    });
    expect(imageOf(spec('nginx:1.27@sha256:ab'))).toEqual({
      image: 'nginx:1.27',
      digest: 'sha256:ab',
    });
    expect(imageOf(spec('localhost:5000/web@sha256:ab'))).toEqual({
      image: 'localhost:5000/web@sha256:ab',
    });
    expect(imageOf(spec('localhost:5000/web:2'))).toEqual({ image: 'localhost:5000/web:2' });
    expect(imageOf(spec('nginx:latest@sha256:ab', { 'com.docker.stack.image': 'nginx' }))).toEqual({
      image: 'nginx',
      digest: 'sha256:ab',
    });
  });
});
