import { homedir } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Whether `path` is `dir` itself or inside it. */
function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * A path as otto.yml writes it: relative to otto.yml's folder when the file is under
 * it, or when both are in the `project` folder (where otto init runs: they move
 * together); else `~/…` under the home folder; else absolute.
 * @example pathForYml('/srv/otto/stacks/shop.yml', '/srv/otto') // 'stacks/shop.yml'
 * @example pathForYml('/srv/stacks/shop.yml', '/srv/ops', '/home/ann', '/srv') // '../stacks/shop.yml'
 * @example pathForYml('/home/ann/.ssh/id_ed25519', '/srv/otto', '/home/ann') // '~/.ssh/id_ed25519'
 */
export function pathForYml(
  absolute: string,
  ymlDir: string,
  home: string = homedir(),
  project: string = ymlDir,
): string {
  if (inside(absolute, ymlDir) || (inside(absolute, project) && inside(ymlDir, project)))
    return relative(ymlDir, absolute).split(sep).join('/');
  if (home !== '/' && inside(absolute, home) && absolute !== home)
    return `~/${relative(home, absolute).split(sep).join('/')}`;
  return resolve(absolute);
}

/** A path typed by a person (`~/…` or relative to the working folder), made absolute. */
export function typedPath(path: string, cwd: string, home: string = homedir()): string {
  if (path === '~' || path.startsWith('~/')) return resolve(home, path.slice(2));
  return resolve(cwd, path);
}
