/**
 * Otto's image, built from the repository's Dockerfile for real, without a registry:
 *
 * - The base is Debian bookworm minbase made with debootstrap from Debian's packages
 *   (cached as a tar, like the bare nodes' root filesystem) and `docker import`ed as
 *   {@link BASE_IMAGE}; the Dockerfile gets it as `--build-arg BASE_IMAGE`, so its
 *   `node-dist` stage fetches node from the npm registry, as it would for any base
 *   without node.
 * - The build runs on an engine of its own in this machine's network namespace
 *   (bridge, iptables and masquerading off; every build step on the host network), so
 *   its steps reach Debian's mirror and the npm registry as this machine does, while
 *   the test bed's engine stays in its namespace with no route out. Its data root is
 *   kept under /var/cache/otto-test, so a second build on one machine reuses layers
 *   as Docker's cache allows; a fresh machine builds every step.
 * - This machine's extra CAs (a TLS-inspecting egress proxy) go in as
 *   `--build-arg EXTRA_CA_CERTS`, the option the Dockerfile offers for that case.
 * - The image is then saved from the build engine and loaded into the test bed's.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebootstrapTar } from './rootfs-node.js';
import { engineUp } from './nodes.js';
import { stopDockerd, type Testbed } from './testbed.js';

/** The base image's tar: bookworm minbase, nothing else. */
const BASE_CACHE =
  process.env['OTTO_IMAGE_BASE_CACHE'] ?? '/var/cache/otto-test/bookworm-minbase.tar';
export const BASE_IMAGE = 'otto-test/bookworm:minbase';
/** The name Otto's image gets in the test bed. */
export const OTTO_IMAGE = 'otto-test/otto:latest';

const BUILD_ROOT = '/var/cache/otto-test/build-engine';
const BUILD_RUN = '/run/otto-build';
const BUILD_HOST = `unix://${BUILD_RUN}/docker.sock`;

/** PEM of this machine's own CAs (none on most machines). */
function extraCaCerts(): string {
  const dir = '/usr/local/share/ca-certificates';
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.crt'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8').trim())
    .join('\n');
}

/** The build engine, started when its socket does not answer. */
async function startBuildEngine(log: (m: string) => void): Promise<void> {
  const up = await execa('docker', ['-H', BUILD_HOST, 'info'], { reject: false });
  if (up.exitCode === 0) return;
  mkdirSync(BUILD_ROOT, { recursive: true });
  mkdirSync(BUILD_RUN, { recursive: true });
  log(`image: starting the build engine (${BUILD_HOST}, data in ${BUILD_ROOT})`);
  const d = execa(
    '/usr/sbin/dockerd',
    [
      '--data-root',
      BUILD_ROOT,
      '--exec-root',
      join(BUILD_RUN, 'exec'),
      '-H',
      BUILD_HOST,
      '--pidfile',
      join(BUILD_RUN, 'docker.pid'),
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
    ],
    {
      detached: true,
      reject: false,
      stdin: 'ignore',
      stdout: { file: join(BUILD_RUN, 'dockerd.log') },
      stderr: { file: join(BUILD_RUN, 'dockerd.err.log') },
    },
  );
  d.unref();
  await engineUp(BUILD_HOST);
}

/** Runs `tar`/`docker save` → `docker import`/`docker load` as one pipe. */
async function pipe(from: readonly string[], to: readonly string[]): Promise<void> {
  // Nothing buffered: `docker save` is hundreds of megabytes.
  const a = execa(from[0]!, from.slice(1), { buffer: false, stderr: 'inherit' });
  const b = execa(to[0]!, to.slice(1), { buffer: false, stdout: 'ignore', stderr: 'inherit' });
  a.stdout!.pipe(b.stdin!);
  await Promise.all([a, b]);
}

/**
 * Builds the Dockerfile of the repository in `context` (the current folder) and loads
 * the image into the test bed's engine as {@link OTTO_IMAGE}. Returns the build's
 * output (for the test's messages). A few minutes on a fresh machine.
 */
export async function buildOttoImage(
  bed: Pick<Testbed, 'dockerHost'>,
  log: (m: string) => void = console.error,
  context = process.cwd(),
): Promise<string> {
  const tar = await ensureDebootstrapTar(BASE_CACHE, [], log);
  await startBuildEngine(log);
  try {
    const has = await execa('docker', ['-H', BUILD_HOST, 'image', 'inspect', BASE_IMAGE], {
      reject: false,
    });
    if (has.exitCode !== 0)
      await pipe(['cat', tar], ['docker', '-H', BUILD_HOST, 'import', '-', BASE_IMAGE]);
    log('image: docker build (the legacy builder: this engine has no BuildKit)...');
    const built = await execa(
      'docker',
      [
        '-H',
        BUILD_HOST,
        'build',
        '--network',
        'host',
        '--build-arg',
        `BASE_IMAGE=${BASE_IMAGE}`,
        '--build-arg',
        `EXTRA_CA_CERTS=${extraCaCerts()}`,
        '-t',
        OTTO_IMAGE,
        context,
      ],
      { env: { DOCKER_BUILDKIT: '0' }, reject: false, all: true, timeout: 30 * 60_000 },
    );
    if (built.exitCode !== 0)
      throw new Error(
        `docker build failed (exit ${built.exitCode}):\n${String(built.all).split('\n').slice(-40).join('\n')}`,
      );
    await pipe(
      ['docker', '-H', BUILD_HOST, 'save', OTTO_IMAGE],
      ['docker', '-H', bed.dockerHost, 'load', '-q'],
    );
    return String(built.all);
  } finally {
    // Dangling layers of earlier builds go; the cache of this one stays.
    await execa('docker', ['-H', BUILD_HOST, 'image', 'prune', '-f'], { reject: false });
    await stopDockerd(join(BUILD_RUN, 'docker.pid'));
  }
}
