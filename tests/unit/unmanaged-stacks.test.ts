import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fleetNameFor } from '../../src/commands/adopt.js';
import { dispatch, type Source } from '../../src/commands/dispatch.js';
import { embeddedDefault } from '../../src/config/config.js';
import { openOps, type Ops } from '../../src/ops/ops.js';
import { parseCompose } from '../../src/swarm/compose.js';
import type { RunResult } from '../../src/transport/transport.js';
import { ok, RecordingTransport } from '../support/recording-transport.js';
import { testKey } from '../support/keys.js';
import { NGINX, testOps } from '../support/test-ops.js';

// Stacks on the Swarm that Otto didn't launch (`docker stack deploy` by hand): shown by
// status and fleets, read by logs, handed over by adopt. The manager is a recording
// double, so each test asserts the exact docker calls.

const NS = 'com.docker.stack.namespace';
const lines = (rows: readonly object[]) => rows.map((r) => JSON.stringify(r)).join('\n');

/** A Swarm that runs the fleet shop and the stack legacy, which someone deployed by hand. */
function stackSwarm(): RecordingTransport {
  const services = [
    { ID: 'a1', Name: 'shop_web', Mode: 'replicated', Replicas: '2/2', Image: 'shop:1' },
    { ID: 'b1', Name: 'legacy_web', Mode: 'replicated', Replicas: '1/1', Image: 'otto-test:v1' },
  ];
  return new RecordingTransport({
    'service ls': (argv): RunResult => {
      const label = argv.find((a) => a.startsWith(`label=${NS}=`));
      if (!label) return ok(lines(services));
      const stack = label.slice(label.lastIndexOf('=') + 1);
      return ok(lines(services.filter((s) => s.Name.startsWith(`${stack}_`))));
    },
    'stack ls': ok(
      lines([
        { Name: 'legacy', Services: '1' },
        { Name: 'shop', Services: '1' },
      ]),
    ),
    'service logs': (argv) => ok(`${argv[argv.length - 1]}.1@node-1    | hello from legacy\n`),
    'service inspect': ok(
      JSON.stringify([
        {
          ID: 'b1',
          Spec: {
            Name: 'legacy_web',
            Labels: { 'com.docker.stack.image': 'otto-test:v1', [NS]: 'legacy' },
            TaskTemplate: {
              ContainerSpec: {
                Image: 'otto-test:v1',
                Labels: { [NS]: 'legacy' },
                Args: ['httpd', '-f', '-p', '8080', '-h', '/www'],
                Env: ['GREETING=hello $USER'],
              },
              Networks: [{ Target: 'n1', Aliases: ['web'] }],
            },
            Mode: { Replicated: { Replicas: 1 } },
            EndpointSpec: { Mode: 'vip' },
          },
        },
      ]),
    ),
    network: ok(
      JSON.stringify({
        Id: 'n1',
        Name: 'legacy_default',
        Driver: 'overlay',
        Labels: { [NS]: 'legacy' },
      }),
    ),
  });
}

const SERVICE_LS = ['docker', 'service', 'ls', '--format', '{{json .}}'];
const STACK_LS = ['docker', 'stack', 'ls', '--format', '{{json .}}'];
const LEGACY_LS = [
  'docker',
  'service',
  'ls',
  '--filter',
  `label=${NS}=legacy`,
  '--format',
  '{{json .}}',
];

let swarm: RecordingTransport;
let ops: Ops;
let bare: Ops;

const as = (actor: string, extra: Partial<Source> = {}): Source => ({
  actor,
  channel: 'cli',
  platform: 'cli',
  ...extra,
});
const say = (text: string, actor = 'console:root', extra: Partial<Source> = {}) =>
  dispatch(ops, text, as(actor, extra));

beforeAll(async () => {
  swarm = stackSwarm();
  ops = await testOps(
    {
      clusters: { laptop: { local: true } },
      access: {
        'console:root': 'admin',
        'console:vera': 'viewer',
        'console:alice': 'deployer',
        'slack:*': 'viewer',
      },
      fleets: {
        shop: { cluster: 'laptop', compose_file: 'stacks/shop.yml' },
        duo: {
          cluster: 'laptop',
          compose_file: 'stacks/duo.yml',
          access: { 'console:dana': 'viewer' },
        },
      },
    },
    { files: { 'stacks/shop.yml': NGINX, 'stacks/duo.yml': NGINX }, transport: swarm },
  );
  // The embedded default of an Otto folder without examples/: one local cluster, no
  // fleets, no otto.yml.
  const folder = mkdtempSync(join(tmpdir(), 'otto-bare-'));
  bare = await openOps(embeddedDefault(folder, folder), {
    env: { OTTO_SECRET_KEY: testKey(0).toString('base64') },
    makeTransport: () => swarm,
  });
});
beforeEach(() => {
  swarm.calls.length = 0;
});
afterAll(async () => {
  await ops.close();
  await bare.close();
});

describe('status and fleets with stacks Otto did not launch', () => {
  it('lists them after the fleets, marked, in the same two calls for every fleet and stack', async () => {
    const r = await say('status');
    expect(swarm.argvs()).toEqual([SERVICE_LS, STACK_LS]);
    expect(r.outcome).toBe('ok');
    expect(r.text).toBe("Telemetry for 2 fleets and 1 stack Otto didn't launch:");
    expect(r.fields?.map((f) => f.label)).toEqual([
      '🟢 shop',
      'duo',
      '🟢 legacy · not an Otto fleet',
    ]);
    expect(r.fields?.[2]?.value).toBe(
      "🟢 web 1/1 otto-test:v1\nOtto didn't launch it, and only reads it (status, logs). To manage it as a fleet: adopt legacy in Otto's console (or otto adopt legacy).",
    );
  });

  it('shows what runs when no fleet is configured, instead of only "no fleets"', async () => {
    const r = await dispatch(bare, 'status', as('console:op'));
    expect(r.text).toBe("No fleets configured yet. The Swarm runs 2 stacks Otto didn't launch:");
    expect(r.fields?.map((f) => f.label)).toEqual([
      '🟢 legacy · not an Otto fleet',
      '🟢 shop · not an Otto fleet',
    ]);
    const f = await dispatch(bare, 'fleets', as('console:op'));
    expect(f.text).toBe("No fleets configured yet. The Swarm runs 2 stacks Otto didn't launch:");
    expect(f.fields?.[0]).toEqual({
      label: 'legacy · not an Otto fleet',
      value: 'cluster local · web 1/1 · adopt legacy (console or otto CLI) to manage it',
    });
  });

  it('lists them under fleets too, with their services and replicas', async () => {
    const r = await say('fleets');
    expect(swarm.argvs()).toEqual([SERVICE_LS, STACK_LS]);
    expect(r.text).toBe("2 fleets on the board, and 1 stack Otto didn't launch:");
    expect(r.fields?.map((f) => f.label)).toEqual(['shop', 'duo', 'legacy · not an Otto fleet']);
  });

  it('shows them only to those with a role beyond their own fleets', async () => {
    const r = await say('status', 'console:dana');
    expect(swarm.argvs()).toEqual([SERVICE_LS]);
    expect(r.fields?.map((f) => f.label)).toEqual(['duo']);
    const f = await say('fleets', 'console:dana');
    expect(f.fields?.map((x) => x.label)).toEqual(['duo']);
    const one = await say('status legacy', 'console:dana');
    expect(one.text).toBe('There is no fleet named legacy.');
  });

  it('reads one stack by its label: status <stack>', async () => {
    const r = await say('status legacy', 'console:vera');
    expect(swarm.argvs()).toEqual([LEGACY_LS]);
    expect(r).toMatchObject({
      outcome: 'ok',
      text: "Telemetry for legacy, a stack Otto didn't launch:",
    });
    expect(r.fields?.[0]?.label).toBe('🟢 legacy · not an Otto fleet');
  });

  it('names the closest fleet or stack and lists the stacks that run, for a name that is neither', async () => {
    const r = await say('status legcy', 'console:vera');
    expect(swarm.argvs()).toEqual([
      ['docker', 'service', 'ls', '--filter', `label=${NS}=legcy`, '--format', '{{json .}}'],
      STACK_LS,
    ]);
    expect(r.outcome).toBe('failed');
    expect(r.text).toBe('There is no fleet or stack named legcy. Did you mean legacy?');
    expect(r.fix).toBe(
      "Fleets you can see from here: shop, duo. Stacks Otto didn't launch: legacy.",
    );
  });
});

describe('logs of a stack Otto did not launch', () => {
  it('lets a viewer read them, with the same options as a fleet', async () => {
    const r = await say('logs legacy --tail 20 --since 1h', 'console:vera');
    expect(swarm.argvs()).toEqual([
      LEGACY_LS,
      [
        'docker',
        'service',
        'logs',
        '--no-task-ids',
        '--tail',
        '20',
        '--since',
        '1h',
        '--',
        'legacy_web',
      ],
    ]);
    expect(r).toMatchObject({
      outcome: 'ok',
      text: "📡 Transmissions from legacy (all services), a stack Otto didn't launch (read only).",
      block: ['legacy_web.1@node-1    | hello from legacy'],
    });
  });

  it("refuses --follow and a service it doesn't have, saying what to do", async () => {
    const follow = await say('logs legacy --follow', 'console:vera');
    expect(follow.outcome).toBe('usage');
    expect(follow.fix).toContain('logs legacy --tail 100');
    const typo = await say('logs legacy wbe', 'console:vera');
    expect(typo).toMatchObject({
      outcome: 'failed',
      text: 'Stack legacy has no service named wbe. Did you mean web?',
      fix: 'Its services: web.',
    });
    const cluster = await say('logs shop --cluster other', 'console:vera');
    expect(cluster.outcome).toBe('usage');
  });

  it('keeps them from those who only see their own fleets', async () => {
    const r = await say('logs legacy', 'console:dana');
    expect(r.text).toBe('There is no fleet named legacy.');
    expect(swarm.calls).toEqual([]);
  });
});

describe('adopt', () => {
  it('prints the otto.yml lines and a compose file rebuilt from what runs, writing nothing', async () => {
    const r = await say('adopt legacy');
    expect(swarm.verbs()).toEqual(['service ls', 'service ls', 'service inspect', 'network']);
    expect(swarm.argvs().slice(1)).toEqual([
      LEGACY_LS,
      ['docker', 'service', 'inspect', '--', 'legacy_web'],
      ['docker', 'network', 'inspect', '--format', '{{json .}}', '--', 'n1'],
    ]);
    expect(r.outcome).toBe('ok');
    expect(r.text).toBe(
      '🦦 Stack legacy on cluster laptop (1 service: web) can become fleet legacy. Nothing was written.',
    );
    expect(r.fields?.[0]).toEqual({
      label: 'otto.yml',
      value: 'fleets:\n  legacy:\n    cluster: laptop\n    compose_file: stacks/legacy.yml',
    });
    const compose = (r.block ?? []).join('\n');
    expect(compose).toContain('# Compose file of fleet legacy, rebuilt by Otto from stack legacy');
    expect(parseCompose(compose, 'legacy.yml').data).toEqual({
      services: {
        web: {
          image: 'otto-test:v1',
          command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
          environment: { GREETING: 'hello $$USER' },
          deploy: { replicas: 1 },
        },
      },
    });
  });

  it('gives the whole otto.yml with the embedded default', async () => {
    const r = await dispatch(
      bare,
      'adopt legacy',
      as('console:op', { platform: 'console', channel: 'console' }),
    );
    expect(r.fields?.[0]?.value).toBe(
      'data_dir: .otto\nclusters:\n  local:\n    local: true\nfleets:\n  legacy:\n    cluster: local\n    compose_file: stacks/legacy.yml',
    );
  });

  it('writes DIR/<stack>.yml with --write, and never over a file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'otto-adopt-')), 'stacks');
    const r = await say(`adopt legacy --write ${dir}`);
    expect(r.outcome).toBe('ok');
    expect(r.block).toBeUndefined();
    const file = join(dir, 'legacy.yml');
    expect(r.text).toContain(`Otto wrote ${file}; nothing else was changed.`);
    expect(r.fields?.[0]?.value).toContain(`compose_file: ${file}`);
    const text = readFileSync(file, 'utf8');
    expect(parseCompose(text, file).services.get('web')?.image).toBe('otto-test:v1');
    const again = await say(`adopt legacy --write ${dir}`);
    expect(again).toMatchObject({
      outcome: 'failed',
      text: `${file} already exists, so Otto wrote nothing: it never overwrites a file.`,
    });
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(existsSync(join(dir, 'otto.yml'))).toBe(false);
  });

  it('needs the admin role of access: itself, and refuses chat', async () => {
    const viewer = await say('adopt legacy', 'console:vera');
    expect(viewer.outcome).toBe('refused');
    expect(viewer.text).toContain('needs the admin role');
    const deployer = await say('adopt legacy', 'console:alice');
    expect(deployer.outcome).toBe('refused');
    const chat = await say('adopt legacy', 'slack:U1', { channel: 'slack:C1', platform: 'slack' });
    expect(chat.outcome).toBe('refused');
    expect(chat.text).toBe(
      "adopt prints a stack's whole configuration, environment values included, and may write files, so it is typed only on Otto's own machine, never in chat. Nothing was changed.",
    );
    expect(chat.fix).toContain('otto adopt <stack>');
    expect(swarm.calls).toEqual([]);
  });

  it('explains a fleet, a bad name and an unknown stack', async () => {
    expect(await say('adopt shop')).toMatchObject({
      outcome: 'usage',
      text: 'shop is already an Otto fleet (on cluster laptop): there is nothing to adopt.',
    });
    expect((await say('adopt "a;b"')).outcome).toBe('usage');
    expect((await say('adopt legacy --write')).text).toContain('name the folder');
    const unknown = await say('adopt legac');
    expect(unknown.text).toBe('There is no fleet or stack named legac. Did you mean legacy?');
  });
});

describe('adopt in help', () => {
  it("is listed on Otto's machine with the role it needs, and not in chat", async () => {
    const local = await say('help');
    expect(local.fields?.find((f) => f.label.startsWith('adopt '))).toEqual({
      label: 'adopt <stack> [--cluster C] [--write DIR]',
      value:
        "hand a stack Otto didn't launch to Otto: its otto.yml lines and a compose file rebuilt from what runs (admin; console and otto CLI) · e.g. adopt legacy --write stacks",
    });
    const chat = await say('help', 'slack:U1', { channel: 'slack:C1', platform: 'slack' });
    expect(chat.fields?.some((f) => f.label.startsWith('adopt'))).toBe(false);
  });

  it('names the fleet after the stack, or the closest name Otto takes', () => {
    expect(fleetNameFor('legacy')).toBe('legacy');
    expect(fleetNameFor('Legacy_App')).toBe('legacy-app');
  });
});
