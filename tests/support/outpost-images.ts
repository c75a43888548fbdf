/**
 * What the outpost tests need on bare nodes that no registry can give here: a local
 * stand-in for the ingress's Traefik image, and the path of the Docker socket that
 * the ingress service bind-mounts.
 */
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The image name the outpost tests configure as `clusters.<name>.ingress.image`. */
export const INGRESS_STANDIN = 'otto-test/traefik-standin:v3';

/**
 * The stand-in's entry point: `sh -c 'exec sleep …' traefik <Traefik's arguments>`,
 * so the service's arguments (`command:` in the stack, ContainerSpec.Args) land in
 * `$0`/`$@` of a shell that ignores them and stays up.
 */
export const STANDIN_ENTRYPOINT = ['/bin/sh', '-c', 'exec sleep 2147483647', 'traefik'];

/**
 * Imports a busybox image named `image` (default {@link INGRESS_STANDIN}) into every
 * engine of `dockerHosts`, with {@link STANDIN_ENTRYPOINT}: it accepts any Traefik
 * command line and runs until stopped. Made under `dir` (a fresh folder in it).
 */
export async function makeIngressStandin(
  dir: string,
  dockerHosts: readonly string[],
  image: string = INGRESS_STANDIN,
): Promise<string> {
  const root = mkdtempSync(join(dir, 'standin-'));
  mkdirSync(join(root, 'bin'));
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(root, 'bin', applet));
  const change = `ENTRYPOINT ${JSON.stringify(STANDIN_ENTRYPOINT)}`;
  for (const host of dockerHosts) {
    const tar = execa('tar', ['-C', root, '-c', '.']);
    const imp = execa('docker', ['-H', host, 'import', '--change', change, '-', image]);
    tar.stdout?.pipe(imp.stdin!);
    await Promise.all([tar, imp]);
  }
  rmSync(root, { recursive: true, force: true });
  return image;
}

/**
 * The ingress bind-mounts `/var/run/docker.sock` (Traefik's Swarm provider reads it).
 * On a server that runs Docker it exists; the test nodes share this machine's
 * filesystem, which has no engine of its own there, and Swarm refuses a task whose
 * bind source is missing. So, when it is missing, an empty file stands in for it
 * (the stand-in never opens it). Returns the undo: removes the file only if it was
 * made here.
 */
export async function ensureDockerSocketPath(
  path = '/var/run/docker.sock',
): Promise<() => Promise<void>> {
  if (existsSync(path)) return async () => {};
  await writeFile(path, '', { flag: 'wx', mode: 0o600 });
  return async () => rmSync(path, { force: true });
}
