import { describe, expect, it } from 'vitest';
import {
  judgeService,
  UNSURE_WINDOW_MS,
  parseTasks,
  type ServiceState,
  type TaskRow,
} from '../../src/swarm/converge.js';
import { slotProblems } from '../../src/swarm/status.js';
import { classifyTaskError, deployFailure, dockerError } from '../../src/swarm/failure.js';

function service(image: string, extra: Partial<ServiceState> = {}): ServiceState {
  return {
    ID: 'id',
    Spec: {
      Name: 'a_web',
      Mode: { Replicated: { Replicas: 2 } },
      TaskTemplate: { ContainerSpec: { Image: image } },
    },
    ...extra,
  };
}

function task(id: string, desired: string, current: string, error = ''): TaskRow {
  return {
    ID: id,
    Name: `a_web.${id}`,
    Image: 'x',
    Node: 'n1',
    DesiredState: desired,
    CurrentState: current,
    Error: error,
  };
}

const none = new Set<string>();

describe('judgeService', () => {
  it('is converged when the desired replicas run', () => {
    const j = judgeService(
      'web',
      'x',
      service('v1'),
      undefined,
      [task('1', 'Running', 'Running 2 seconds ago'), task('2', 'Running', 'Running 1 second ago')],
      none,
      0,
    );
    expect(j).toMatchObject({
      converged: true,
      progress: { running: 2, desired: 2, state: 'running' },
    });
  });

  it('waits for the update to complete when the task spec changed, even if old tasks still run', () => {
    const tasks = [
      task('1', 'Running', 'Running 1 minute ago'),
      task('2', 'Running', 'Running 1 minute ago'),
    ];
    const old = new Set(['1', '2']);
    const j = judgeService('web', 'x', service('v2'), service('v1'), tasks, old, 0);
    expect(j).toMatchObject({ converged: false, progress: { state: 'updating' } });
    const done = judgeService(
      'web',
      'x',
      service('v2', { UpdateStatus: { State: 'completed' } }),
      service('v1'),
      tasks,
      old,
      0,
    );
    expect(done.converged).toBe(true);
  });

  it('leaves a service read after its deploy to Swarm: its running update, else nothing changed after the window', () => {
    const tasks = [
      task('1', 'Running', 'Running 1 hour ago'),
      task('2', 'Running', 'Running 1 hour ago'),
    ];
    const old = new Set(['1', '2']);
    const judge = (s: ServiceState, waited: number) =>
      judgeService('web', 'x', s, s, tasks, old, 0, waited);
    // No update running yet: its old tasks may still be replaced, for a while.
    const quiet = service('v1');
    expect(judge(quiet, 1_000)).toMatchObject({
      converged: false,
      progress: { state: 'updating' },
    });
    expect(judge(quiet, UNSURE_WINDOW_MS).converged).toBe(true);
    // An old update's "completed" is not this deploy's.
    const stale = service('v1', { UpdateStatus: { State: 'completed' } });
    expect(judge(stale, 1_000).converged).toBe(false);
    expect(judge(stale, UNSURE_WINDOW_MS).converged).toBe(true);
    // An update running: waited for, however long, between its batches too.
    const rolling = service('v1', { UpdateStatus: { State: 'updating' } });
    expect(judge(rolling, 60_000)).toMatchObject({
      converged: false,
      progress: { state: 'updating' },
    });
    // Every task that runs is new: done, whatever Swarm says yet.
    const fresh = [
      task('3', 'Running', 'Running 1 second ago'),
      task('4', 'Running', 'Running 1 second ago'),
    ];
    expect(judgeService('web', 'x', rolling, rolling, fresh, old, 0, 1_000).converged).toBe(true);
  });

  it("calls an update done once every task that runs was made by this launch, before Swarm's monitor window ends", () => {
    const v2 = service('v2', { UpdateStatus: { State: 'updating' } });
    const old = new Set(['1', '2']);
    const half = [
      task('1', 'Shutdown', 'Shutdown 1 second ago'),
      task('3', 'Running', 'Running 1 second ago'),
      task('2', 'Running', 'Running 1 minute ago'),
    ];
    expect(judgeService('web', 'x', v2, service('v1'), half, old, 0).converged).toBe(false);
    const all = [
      task('1', 'Shutdown', 'Shutdown 2 seconds ago'),
      task('2', 'Shutdown', 'Shutdown 1 second ago'),
      task('3', 'Running', 'Running 2 seconds ago'),
      task('4', 'Running', 'Running 1 second ago'),
    ];
    expect(judgeService('web', 'x', v2, service('v1'), all, old, 0)).toMatchObject({
      converged: true,
      progress: { state: 'running', running: 2, desired: 2 },
    });
    // A new task that failed on the way: Swarm's monitor decides (it may roll back).
    const shaky = [...all, task('5', 'Shutdown', 'Failed 1 second ago', 'task: non-zero exit (1)')];
    expect(judgeService('web', 'x', v2, service('v1'), shaky, old, 0).converged).toBe(false);
    const verdict = service('v2', { UpdateStatus: { State: 'completed' } });
    expect(judgeService('web', 'x', verdict, service('v1'), shaky, old, 0).converged).toBe(true);
  });

  it('fails when Swarm pauses or rolls back the update', () => {
    const paused = judgeService(
      'web',
      'x',
      service('v2', { UpdateStatus: { State: 'paused', Message: 'update paused due to failure' } }),
      service('v1'),
      [],
      none,
      0,
    );
    expect(paused.failure).toMatchObject({ kind: 'update_paused' });
    const rolled = judgeService(
      'web',
      'x',
      service('v2', { UpdateStatus: { State: 'rollback_completed' } }),
      service('v1'),
      [],
      none,
      0,
    );
    expect(rolled.failure).toMatchObject({ kind: 'rolled_back' });
  });

  it('needs two failed new tasks before calling a crash loop, and ignores old ones', () => {
    const one = [
      task('1', 'Shutdown', 'Failed 2 seconds ago', 'task: non-zero exit (3)'),
      task('2', 'Running', 'Starting 1 second ago'),
    ];
    expect(
      judgeService('web', 'x', service('v1'), undefined, one, none, 0).failure,
    ).toBeUndefined();
    const two = [...one, task('3', 'Shutdown', 'Failed 8 seconds ago', 'task: non-zero exit (3)')];
    expect(judgeService('web', 'x', service('v1'), undefined, two, none, 0).failure).toMatchObject({
      kind: 'exit_code',
      message: 'Service web exits with code 3.',
    });
    expect(
      judgeService('web', 'x', service('v1'), undefined, two, new Set(['1', '3']), 0).failure,
    ).toBeUndefined();
  });

  it('calls a pending task with no suitable node after two polls', () => {
    const pending = [
      task(
        '1',
        'Running',
        'Pending 3 seconds ago',
        'no suitable node (scheduling constraints not satisfied on 1 node)',
      ),
    ];
    expect(
      judgeService('web', 'x', service('v1'), undefined, pending, none, 1).failure,
    ).toBeUndefined();
    expect(
      judgeService('web', 'x', service('v1'), undefined, pending, none, 2).failure,
    ).toMatchObject({ kind: 'no_node' });
  });

  it('is pending while the service does not exist yet', () => {
    expect(judgeService('web', 'x', undefined, undefined, [], none, 0)).toMatchObject({
      converged: false,
      progress: { state: 'pending' },
    });
  });
});

describe('classifyTaskError', () => {
  it('reads the reasons seed 001 lists', () => {
    expect(classifyTaskError('web', 'ghcr.io/a:1', 'No such image: ghcr.io/a:1', [])?.kind).toBe(
      'image_pull',
    );
    expect(classifyTaskError('web', 'a', 'pull access denied for a', [])?.message).toBe(
      'Failed to pull image a for web: pull access denied for a',
    );
    expect(
      classifyTaskError(
        'web',
        'a',
        'no suitable node (scheduling constraints not satisfied on 3 nodes)',
        ['node.role==manager'],
      )?.message,
    ).toContain('no nodes match constraints (constraints: node.role==manager)');
    expect(
      classifyTaskError(
        'web',
        'a',
        'task: non-zero exit (137): dockerexec: unhealthy container',
        [],
      )?.kind,
    ).toBe('unhealthy');
    expect(classifyTaskError('web', 'a', 'task: non-zero exit (42)', [])?.message).toBe(
      'Service web exits with code 42.',
    );
    expect(classifyTaskError('web', 'a', 'task: non-zero exit (137)', [])?.message).toContain(
      'most likely out of memory (OOM)',
    );
    expect(classifyTaskError('web', 'a', '', [])).toBeUndefined();
  });
});

describe('deployFailure', () => {
  it('says how to make the missing traefik-public network', () => {
    const f = deployFailure(
      'network "traefik-public" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed\n',
    );
    expect(f.message).toContain(
      'docker network create --driver overlay --attachable traefik-public',
    );
  });

  it('says to set up the ingress with outpost add, or that the cluster has it turned off', () => {
    const stderr =
      'network "traefik-public" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed\n';
    expect(deployFailure(stderr, { name: 'prod', ingress: { enabled: true } }).message).toContain(
      'Set up the ingress with otto outpost add prod <manager host>',
    );
    expect(deployFailure(stderr, { name: 'prod', ingress: { enabled: false } }).message).toContain(
      'Turn the ingress on (remove clusters.prod.ingress.enabled: false from otto.yml)',
    );
  });

  it('passes on what Docker said otherwise', () => {
    expect(
      deployFailure('Error response from daemon: rpc error: invalid mount config\n').message,
    ).toBe('Docker refused the stack: Error response from daemon: rpc error: invalid mount config');
  });
});

describe("Docker's notices are not Otto's words", () => {
  it('keeps only the error of a failed deploy', () => {
    const stderr = [
      'Ignoring unsupported options: build, restart',
      '',
      'Since --detach=false was not specified, tasks will be created in the background.',
      'In a future release, --detach=false will become the default.',
      'Creating network shop_default',
      'Creating service shop_web',
      'failed to create service shop_web: Error response from daemon: rpc error: code = InvalidArgument desc = ContainerSpec: "bad:tag:x" is not a valid repository/tag',
      '',
    ].join('\n');
    expect(deployFailure(stderr).message).toBe(
      'Docker refused the stack: failed to create service shop_web: Error response from daemon: rpc error: code = InvalidArgument desc = ContainerSpec: "bad:tag:x" is not a valid repository/tag',
    );
    expect(
      dockerError(
        "WARNING: Some services (web) use the 'build' key, which will be ignored.\nreal error",
      ),
    ).toBe('real error');
  });
});

describe('docker service ps rows', () => {
  const ps = [
    '{"CurrentState":"Ready 3 seconds ago","DesiredState":"Ready","Error":"","ID":"c","Image":"x","Name":"crashy_app.1","Node":"vm","Ports":""}',
    '{"CurrentState":"Failed 4 seconds ago","DesiredState":"Shutdown","Error":"\\"task: non-zero exit (3)\\"","ID":"b","Image":"x","Name":"crashy_app.1","Node":"vm","Ports":""}',
    '{"CurrentState":"Running 1 minute ago","DesiredState":"Running","Error":"","ID":"a","Image":"x","Name":"crashy_app.2","Node":"vm","Ports":""}',
  ].join('\n');

  it('drops the quotes Docker puts around Error', () => {
    expect(parseTasks(ps)[1]?.Error).toBe('task: non-zero exit (3)');
  });

  it('explains each slot that is not running with its last failure', () => {
    expect(slotProblems(parseTasks(ps), 'crashy')).toEqual([
      'app.1 on vm: Ready 3 seconds ago, last failure: task: non-zero exit (3)',
    ]);
  });
});
