import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
