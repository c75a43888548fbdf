import { execa } from 'execa';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Testbed } from './testbed.js';
import { testKey } from './keys.js';

export const OTTO_BIN = resolve(import.meta.dirname, '../../bin/otto.js');
/** A fixed key so tests can read what they stored. */
export const TEST_KEY = testKey(7).toString('base64');

export interface SayResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Workspace {
  readonly dir: string;
  readonly config: string;
  say(text: string, opts?: { as?: string; input?: string }): Promise<SayResult>;
  otto(args: string[], input?: string): Promise<SayResult>;
  writeStack(fleet: string, compose: object | string): void;
}

export interface FleetSpec {
  /** The stack file's content; a fleet with `extra.git` has none. */
  readonly compose?: object | string;
  readonly cluster?: string;
  readonly converge_timeout?: number;
  readonly settle_seconds?: number;
  /** More fleet keys: approvals, on_failure, access, channels. */
  readonly extra?: Record<string, unknown>;
}

/** The SSH cluster of the test bed, as otto.yml writes it. */
export function sshCluster(bed: Testbed, overrides: Record<string, unknown> = {}) {
  return {
    managers: [
      {
        host: '127.0.0.1',
        port: bed.sshPort,
        user: bed.sshUser,
        private_key_file: bed.privateKeyFile,
        ...overrides,
      },
    ],
    docker_host: bed.dockerHost,
  };
}

/** A directory with an otto.yml, stack files and its own data_dir. */
export function workspace(
  bed: Testbed,
  fleets: Record<string, FleetSpec>,
  clusters: Record<string, unknown> = { swarm: sshCluster(bed) },
  top: Record<string, unknown> = {},
): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'otto-ws-'));
  mkdirSync(join(dir, 'stacks'));
  const writeStack = (fleet: string, compose: object | string) =>
    writeFileSync(
      join(dir, 'stacks', `${fleet}.yml`),
      typeof compose === 'string' ? compose : stringify(compose),
    );
  const cfg = {
    ...top,
    data_dir: 'data',
    clusters,
    fleets: Object.fromEntries(
      Object.entries(fleets).map(([name, f]) => {
        if (f.compose !== undefined) writeStack(name, f.compose);
        return [
          name,
          {
            cluster: f.cluster ?? Object.keys(clusters)[0],
            ...(f.compose !== undefined ? { compose_file: `stacks/${name}.yml` } : {}),
            converge_timeout: f.converge_timeout ?? 90,
            settle_seconds: f.settle_seconds ?? 1,
            ...f.extra,
          },
        ];
      }),
    ),
  };
  const config = join(dir, 'otto.yml');
  writeFileSync(config, stringify(cfg));
  const otto = async (args: string[], input?: string): Promise<SayResult> => {
    const r = await execa('node', [OTTO_BIN, ...args, '--config', config], {
      reject: false,
      input: input ?? '',
      env: { OTTO_SECRET_KEY: TEST_KEY },
      cwd: dir,
    });
    return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  return {
    dir,
    config,
    writeStack,
    otto,
    say: (text, opts = {}) => otto(['say', text, '--as', opts.as ?? 'console:tester'], opts.input),
  };
}

/** A small web service from the test image, optionally routed by Traefik. */
export function webService(image: string, extra: Record<string, unknown> = {}) {
  return {
    image,
    command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    deploy: { replicas: 2, update_config: { monitor: '1s' } },
    stop_grace_period: '1s',
    ...extra,
  };
}

/**
 * A service whose healthcheck never passes inside a long start period: its tasks
 * stay "starting", so a launch waits for convergence until it is stopped.
 */
export function slowStack(image: string) {
  return {
    services: {
      app: {
        image,
        command: ['sleep', '3600'],
        healthcheck: { test: ['CMD', 'false'], interval: '60s', start_period: '120s' },
      },
    },
  };
}
