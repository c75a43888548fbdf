import { describe, expect, it } from 'vitest';
import {
  clusterStacks,
  ownerOf,
  stackNameSchema,
  stackStatus,
  StackReadError,
} from '../../src/swarm/stacks.js';
import { failed, ok, RecordingTransport } from '../support/recording-transport.js';

const lines = (...rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n');

const SERVICE_LS = lines(
  { Name: 'shop_web', Replicas: '2/2', Image: 'shop:1' },
  { Name: 'legacy_web', Replicas: '1/1', Image: 'nginx:1.27' },
  { Name: 'legacy_old_api', Replicas: '0/1', Image: 'api:3' },
  { Name: 'otto-ingress_traefik', Replicas: '1/1', Image: 'traefik:v3.1' },
  { Name: 'shop-pr-7_web', Replicas: '1/1', Image: 'shop:pr-7' },
  { Name: 'lonely', Replicas: '1/1', Image: 'redis:7' },
);
const STACK_LS = lines(
  { Name: 'legacy', Services: '1' },
  { Name: 'legacy_old', Services: '1' },
  { Name: 'otto-ingress', Services: '1' },
  { Name: 'shop', Services: '1' },
  { Name: 'shop-pr-7', Services: '1' },
);
const TASK = {
  Name: 'legacy_old_api.1',
  Node: 'node-1',
  DesiredState: 'Running',
  CurrentState: 'Rejected 3 seconds ago',
  Error: 'no suitable node',
  Image: 'api:3',
  ID: 't1',
};

describe('stacks on a cluster', () => {
  it('names the owner of a service by the longest stack name it starts with', () => {
    expect(ownerOf('legacy_old_api', ['legacy', 'legacy_old'])).toBe('legacy_old');
    expect(ownerOf('legacy_web', ['legacy', 'legacy_old'])).toBe('legacy');
    expect(ownerOf('lonely', ['legacy'])).toBeUndefined();
  });

  it("takes Docker's stack names and refuses what Docker would not make a service of", () => {
    for (const name of ['legacy', 'Old_App', 'a', 'web-2'])
      expect(stackNameSchema.safeParse(name).success).toBe(true);
    for (const name of ['-x', 'a b', 'x_', 'a;rm', '', 'x'.repeat(64), '../etc'])
      expect(stackNameSchema.safeParse(name).success, name).toBe(false);
  });

  it('reads fleets and every other stack with service ls and stack ls side by side, and one service ps for those short of replicas', async () => {
    const t = new RecordingTransport({
      'service ls': ok(SERVICE_LS),
      'stack ls': ok(STACK_LS),
      'service ps': ok(JSON.stringify(TASK)),
    });
    const r = await clusterStacks(t, ['shop'], { skip: ['shop-pr-7'] });
    expect(t.argvs()).toEqual([
      ['docker', 'service', 'ls', '--format', '{{json .}}'],
      ['docker', 'stack', 'ls', '--format', '{{json .}}'],
      ['docker', 'service', 'ps', '--no-trunc', '--format', '{{json .}}', '--', 'legacy_old_api'],
    ]);
    expect(r.fleets).toEqual([
      {
        fleet: 'shop',
        services: [{ name: 'web', running: 2, desired: 2, image: 'shop:1', problems: [] }],
      },
    ]);
    expect(r.unmanaged).toEqual([
      {
        fleet: 'legacy',
        services: [{ name: 'web', running: 1, desired: 1, image: 'nginx:1.27', problems: [] }],
      },
      {
        fleet: 'legacy_old',
        services: [
          {
            name: 'api',
            running: 0,
            desired: 1,
            image: 'api:3',
            problems: ['api.1 on node-1: Rejected 3 seconds ago, last failure: no suitable node'],
          },
        ],
      },
    ]);
  });

  it('makes as many calls for twenty fleets as for one, and no service ps when all run', async () => {
    const t = new RecordingTransport({
      'service ls': ok(lines({ Name: 'shop_web', Replicas: '2/2', Image: 'shop:1' })),
      'stack ls': ok(lines({ Name: 'shop' })),
    });
    const fleets = Array.from({ length: 20 }, (_, i) => `fan-${i}`);
    await clusterStacks(t, ['shop', ...fleets]);
    expect(t.verbs()).toEqual(['service ls', 'stack ls']);
  });

  it('says when Docker cannot list the services, and still shows the fleets when only stack ls fails', async () => {
    const down = new RecordingTransport({
      'service ls': failed(
        'Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?',
      ),
      'stack ls': failed('Cannot connect'),
    });
    const e = await clusterStacks(down, ['shop']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StackReadError);
    expect((e as StackReadError).message).toBe(
      'Docker could not list the services (docker service ls): Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?.',
    );
    const half = new RecordingTransport({
      'service ls': ok(SERVICE_LS),
      'stack ls': failed('unknown command'),
      'service ps': ok(''),
    });
    const r = await clusterStacks(half, ['shop']);
    expect(r.unmanaged).toEqual([]);
    expect(r.fleets[0]?.services).toHaveLength(1);
  });

  it('reads one stack by its label in one call when all its services run', async () => {
    const t = new RecordingTransport({
      'service ls': ok(lines({ Name: 'legacy_web', Replicas: '3/3', Image: 'nginx:1.27' })),
    });
    const s = await stackStatus(t, 'legacy');
    expect(t.argvs()).toEqual([
      [
        'docker',
        'service',
        'ls',
        '--filter',
        'label=com.docker.stack.namespace=legacy',
        '--format',
        '{{json .}}',
      ],
    ]);
    expect(s).toEqual({
      fleet: 'legacy',
      services: [{ name: 'web', running: 3, desired: 3, image: 'nginx:1.27', problems: [] }],
    });
  });
});
