import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Otto's example fleet, in Otto's own folder: one small web page. */
export const EXAMPLE_COMPOSE = 'examples/hello/compose.yml';
/** The example fleet's name. */
export const EXAMPLE_FLEET = 'hello';
/** The Slack app manifest, in Otto's own folder. */
export const SLACK_MANIFEST = 'manifest.yml';

/**
 * Otto's own folder (where package.json says `"name": "otto"`), found upwards from
 * this module: the checkout for src/ and dist/ alike. The working folder when none is found.
 */
export function ottoHome(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'otto')
          return dir;
      } catch {
        // not a package.json Otto can read: keep looking
      }
    }
    if (dirname(dir) === dir) return process.cwd();
  }
}

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
