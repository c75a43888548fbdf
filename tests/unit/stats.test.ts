import { describe, expect, it } from 'vitest';
import { dockerStats, runningTasks } from '../../src/swarm/argv.js';
import { parseTasks } from '../../src/swarm/converge.js';
import {
  containerName,
  formatBytes,
  formatIo,
  formatMemory,
  formatPercent,
  gaugeTasks,
  memoryLimits,
  memoryPercent,
  parseBytes,
  parseNodes,
  parsePercent,
  parseStats,
  runningTasksOf,
  sumByService,
  taskLabel,
  topConsumers,
  type TaskGauge,
} from '../../src/swarm/stats.js';

describe('gauge argv', () => {
  it('reads the running tasks of services, after --', () => {
    expect(runningTasks(['shop_web', 'shop_db'])).toEqual([
      'docker',
      'service',
      'ps',
      '--no-trunc',
      '--filter',
      'desired-state=running',
      '--format',
      '{{json .}}',
      '--',
      'shop_web',
      'shop_db',
    ]);
  });

  it('takes one docker stats reading of every running container, as JSON lines', () => {
    expect(dockerStats()).toEqual(['docker', 'stats', '--no-stream', '--format', '{{json .}}']);
  });
});

describe('sizes and percents as the docker CLI prints them', () => {
  it.each([
    ['0B', 0],
    ['648B', 648],
    ['488KiB', 488 * 1024],
    ['16.09MiB', Math.round(16.09 * 2 ** 20)],
    ['20MiB', 20 * 2 ** 20],
    ['23.54GiB', Math.round(23.54 * 2 ** 30)],
    ['1.5TiB', 1.5 * 2 ** 40],
    ['1.2kB', 1200],
    ['3.4MB', 3_400_000],
    ['2.05GB', 2_050_000_000],
    // Go's %g prints an exponent for 999.5 kB and up
    ['1e+03kB', 1_000_000],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it.each(['--', '', 'N/A', '12', '5 parsecs', undefined])('%s is no size', (text) => {
    expect(parseBytes(text)).toBeUndefined();
  });

  it('reads CPU and memory percents, and -- as none', () => {
    expect(parsePercent('99.66%')).toBe(99.66);
    expect(parsePercent('250.12%')).toBe(250.12);
    expect(parsePercent('0.00%')).toBe(0);
    expect(parsePercent('--')).toBeUndefined();
  });

  it('prints sizes with three significant digits, memory binary and I/O decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(488 * 1024)).toBe('488 KiB');
    expect(formatBytes(Math.round(16.09 * 2 ** 20))).toBe('16.1 MiB');
    expect(formatBytes(20 * 2 ** 20)).toBe('20 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
    expect(formatBytes(1200, 'decimal')).toBe('1.2 kB');
    expect(formatBytes(999, 'decimal')).toBe('999 B');
    expect(formatBytes(3_456_789, 'decimal')).toBe('3.46 MB');
    expect(formatPercent(99.66)).toBe('99.7%');
    expect(formatPercent(undefined)).toBe('--');
    expect(formatIo(1200, undefined)).toBe('1.2 kB / --');
  });
});

/** What `docker stats --no-stream --format '{{json .}}'` printed on a node of the test bed. */
const STATS = [
  '{"BlockIO":"0B / 0B","CPUPerc":"99.66%","Container":"114e3201bdc4","ID":"114e3201bdc4","MemPerc":"0.00%","MemUsage":"488KiB / 23.54GiB","Name":"shop_worker.1.vdu7q0usjhd0b6wlcbk2727mk","NetIO":"0B / 0B","PIDs":"1"}',
  '{"BlockIO":"4.1kB / 1.2MB","CPUPerc":"0.50%","Container":"36d9420d25cb","ID":"36d9420d25cb","MemPerc":"80.43%","MemUsage":"16.09MiB / 20MiB","Name":"shop_web.1.oeslbg9ybihq0cidy2a4xwom6","NetIO":"1.2kB / 648B","PIDs":"3"}',
  // A container Docker could not read (stopping): every value --.
  '{"BlockIO":"-- / --","CPUPerc":"--","Container":"2622244200e8","ID":"2622244200e8","MemPerc":"--","MemUsage":"-- / --","Name":"other_app.1.zv4yw8lram0uswdlznoix3uz1","NetIO":"-- / --","PIDs":"--"}',
  '',
].join('\n');

describe('docker stats readings', () => {
  it('parses each container, -- as unknown', () => {
    expect(parseStats(STATS)).toEqual([
      {
        name: 'shop_worker.1.vdu7q0usjhd0b6wlcbk2727mk',
        cpuPercent: 99.66,
        memoryBytes: 488 * 1024,
        memoryLimitBytes: Math.round(23.54 * 2 ** 30),
        netInBytes: 0,
        netOutBytes: 0,
        blockReadBytes: 0,
        blockWriteBytes: 0,
      },
      {
        name: 'shop_web.1.oeslbg9ybihq0cidy2a4xwom6',
        cpuPercent: 0.5,
        memoryBytes: Math.round(16.09 * 2 ** 20),
        memoryLimitBytes: 20 * 2 ** 20,
        netInBytes: 1200,
        netOutBytes: 648,
        blockReadBytes: 4100,
        blockWriteBytes: 1_200_000,
      },
      {
        name: 'other_app.1.zv4yw8lram0uswdlznoix3uz1',
        cpuPercent: undefined,
        memoryBytes: undefined,
        memoryLimitBytes: undefined,
        netInBytes: undefined,
        netOutBytes: undefined,
        blockReadBytes: undefined,
        blockWriteBytes: undefined,
      },
    ]);
    expect(parseStats('')).toEqual([]);
  });
});

/** `docker service ps --no-trunc --filter desired-state=running` of shop, and a task of history. */
const PS = [
  {
    ID: 'oeslbg9ybihq0cidy2a4xwom6',
    Name: 'shop_web.1',
    Node: 'node-1',
    DesiredState: 'Running',
    CurrentState: 'Running 5 minutes ago',
  },
  {
    ID: 'k2vh1n0p3q4r5s6t7u8v9w0x1',
    Name: 'shop_web.2',
    Node: 'node-2',
    DesiredState: 'Running',
    CurrentState: 'Running 5 minutes ago',
  },
  {
    ID: 'vdu7q0usjhd0b6wlcbk2727mk',
    Name: 'shop_worker.1',
    Node: 'node-1',
    DesiredState: 'Running',
    CurrentState: 'Running 2 hours ago',
  },
  {
    ID: 'p9x2c4m6n8b0v2c4x6z8l0k2j',
    Name: 'shop_agent.wb1daq0ntgi1irxg9lxk2qpqt',
    Node: 'node-1',
    DesiredState: 'Running',
    CurrentState: 'Starting 1 second ago',
  },
  {
    ID: 'a1a1a1a1a1a1a1a1a1a1a1a1a',
    Name: 'shop_web.2',
    Node: 'node-2',
    DesiredState: 'Shutdown',
    CurrentState: 'Failed 6 minutes ago',
  },
  {
    ID: 'b2b2b2b2b2b2b2b2b2b2b2b2b',
    Name: 'shop_web.3',
    Node: '',
    DesiredState: 'Running',
    CurrentState: 'Pending 6 minutes ago',
  },
]
  .map((t) => JSON.stringify({ Image: 'shop:1', Error: '', Ports: '', ...t }))
  .join('\n');

describe('tasks and their containers', () => {
  const tasks = runningTasksOf(parseTasks(PS), ['shop_web', 'shop_worker', 'shop_agent']);

  it('keeps the tasks meant to run that have a node, by their service', () => {
    expect(tasks.map((t) => [t.name, t.service, t.node])).toEqual([
      ['shop_web.1', 'shop_web', 'node-1'],
      ['shop_web.2', 'shop_web', 'node-2'],
      ['shop_worker.1', 'shop_worker', 'node-1'],
      ['shop_agent.wb1daq0ntgi1irxg9lxk2qpqt', 'shop_agent', 'node-1'],
    ]);
  });

  it('picks the longest service name that prefixes a task (names may hold dots)', () => {
    const rows = parseTasks(
      JSON.stringify({
        ID: 't',
        Name: 'shop_web.v2.1',
        Node: 'n',
        DesiredState: 'Running',
        CurrentState: 'Running now',
        Error: '',
      }),
    );
    expect(runningTasksOf(rows, ['shop_web', 'shop_web.v2'])[0]?.service).toBe('shop_web.v2');
  });

  it('names containers <slot>.<task id>, as Swarm does, and tasks without their fleet', () => {
    expect(containerName(tasks[0]!)).toBe('shop_web.1.oeslbg9ybihq0cidy2a4xwom6');
    expect(containerName(tasks[3]!)).toBe(
      'shop_agent.wb1daq0ntgi1irxg9lxk2qpqt.p9x2c4m6n8b0v2c4x6z8l0k2j',
    );
    expect(taskLabel('shop_web.2', 'shop')).toBe('web.2');
    expect(taskLabel('shop_agent.wb1daq0ntgi1irxg9lxk2qpqt', 'shop')).toBe('agent');
    expect(taskLabel('shop_web', 'shop')).toBe('web');
  });

  it('reads memory limits from service inspect, only where one is set', () => {
    const inspect = JSON.stringify([
      {
        Spec: {
          Name: 'shop_web',
          TaskTemplate: { Resources: { Limits: { MemoryBytes: 20971520 } } },
        },
      },
      { Spec: { Name: 'shop_worker', TaskTemplate: { Resources: { Limits: {} } } } },
      { Spec: { Name: 'shop_agent', TaskTemplate: {} } },
    ]);
    expect(memoryLimits(inspect)).toEqual(new Map([['shop_web', 20971520]]));
    expect(memoryLimits('Error: no such service: shop_web')).toEqual(new Map());
  });

  it('reads where nodes are, a manager by its Swarm address when Status.Addr is 0.0.0.0', () => {
    const inspect = JSON.stringify([
      {
        ID: 'n1',
        Description: { Hostname: 'node-1' },
        Status: { Addr: '0.0.0.0' },
        ManagerStatus: { Addr: '10.0.0.1:2377' },
      },
      { ID: 'n2', Description: { Hostname: 'node-2' }, Status: { Addr: '10.0.0.2' } },
      {
        ID: 'n3',
        Description: { Hostname: 'node-3' },
        Status: { Addr: '0.0.0.0' },
        ManagerStatus: { Addr: '[2001:db8::3]:2377' },
      },
    ]);
    expect(parseNodes(inspect)).toEqual([
      { id: 'n1', hostname: 'node-1', addr: '10.0.0.1', manager: true },
      { id: 'n2', hostname: 'node-2', addr: '10.0.0.2', manager: false },
      { id: 'n3', hostname: 'node-3', addr: '2001:db8::3', manager: true },
    ]);
    expect(parseNodes('')).toEqual([]);
  });

  it('matches readings to tasks, and tells tasks a read node did not show', () => {
    const stats = new Map([['node-1', parseStats(STATS)]]);
    const { gauges, unread } = gaugeTasks(tasks, stats, new Map([['shop_web', 20 * 2 ** 20]]));
    expect(gauges.map((g) => [g.task, g.node, g.cpuPercent, g.memoryLimitBytes])).toEqual([
      ['shop_web.1', 'node-1', 0.5, 20 * 2 ** 20],
      ['shop_worker.1', 'node-1', 99.66, undefined],
    ]);
    // shop_web.2 is on node-2, which was not read: in neither list.
    expect(unread.map((t) => t.name)).toEqual(['shop_agent.wb1daq0ntgi1irxg9lxk2qpqt']);
  });
});

const gauge = (over: Partial<TaskGauge> & Pick<TaskGauge, 'task' | 'service'>): TaskGauge => ({
  node: 'node-1',
  cpuPercent: 0,
  memoryBytes: 0,
  memoryLimitBytes: undefined,
  netInBytes: 0,
  netOutBytes: 0,
  blockReadBytes: 0,
  blockWriteBytes: 0,
  ...over,
});

describe('sums and top consumers', () => {
  const MiB = 2 ** 20;
  const gauges = [
    gauge({
      service: 'shop_web',
      task: 'shop_web.1',
      cpuPercent: 1.5,
      memoryBytes: 10 * MiB,
      memoryLimitBytes: 64 * MiB,
      netInBytes: 1000,
      netOutBytes: 200,
      blockWriteBytes: 4096,
    }),
    gauge({
      service: 'shop_web',
      task: 'shop_web.2',
      node: 'node-2',
      cpuPercent: 2.5,
      memoryBytes: 30 * MiB,
      memoryLimitBytes: 64 * MiB,
      netInBytes: 500,
      netOutBytes: 100,
    }),
    gauge({
      service: 'shop_db',
      task: 'shop_db.1',
      node: 'node-2',
      cpuPercent: 40,
      memoryBytes: 300 * MiB,
      blockReadBytes: 8000,
    }),
    gauge({
      service: 'shop_cache',
      task: 'shop_cache.1',
      cpuPercent: undefined,
      memoryBytes: undefined,
      memoryLimitBytes: 32 * MiB,
    }),
  ];

  it('sums each service, with a limit only when every task has one', () => {
    expect(sumByService(gauges)).toEqual([
      {
        service: 'shop_cache',
        tasks: 1,
        nodes: ['node-1'],
        cpuPercent: 0,
        memoryBytes: 0,
        memoryLimitBytes: 32 * MiB,
        netInBytes: 0,
        netOutBytes: 0,
        blockReadBytes: 0,
        blockWriteBytes: 0,
      },
      {
        service: 'shop_db',
        tasks: 1,
        nodes: ['node-2'],
        cpuPercent: 40,
        memoryBytes: 300 * MiB,
        memoryLimitBytes: undefined,
        netInBytes: 0,
        netOutBytes: 0,
        blockReadBytes: 8000,
        blockWriteBytes: 0,
      },
      {
        service: 'shop_web',
        tasks: 2,
        nodes: ['node-1', 'node-2'],
        cpuPercent: 4,
        memoryBytes: 40 * MiB,
        memoryLimitBytes: 128 * MiB,
        netInBytes: 1500,
        netOutBytes: 300,
        blockReadBytes: 0,
        blockWriteBytes: 4096,
      },
    ]);
  });

  it('names the top consumers of CPU and of memory, none that use nothing', () => {
    const top = topConsumers(gauges, 2);
    expect(top.cpu.map((g) => g.task)).toEqual(['shop_db.1', 'shop_web.2']);
    expect(top.memory.map((g) => g.task)).toEqual(['shop_db.1', 'shop_web.2']);
    expect(topConsumers([gauges[3]!]).cpu).toEqual([]);
  });

  it('prints memory with its limit and percent, or says there is none', () => {
    expect(memoryPercent(gauges[1]!)).toBeCloseTo(46.875);
    expect(formatMemory(gauges[1]!)).toBe('30 MiB / 64 MiB (47%)');
    expect(formatMemory(gauges[2]!)).toBe('300 MiB (no limit)');
    expect(formatMemory(gauges[3]!)).toBe('--');
  });
});
