// Runs the install scripts of the packages package.json's `allowScripts` allows, and
// no other: npm ignores that list, so installs run with --ignore-scripts and this
// rebuilds the allowed ones (`npm rebuild <name>…` runs their install scripts).
// Used by the Dockerfile; a package missing from node_modules is skipped, so the
// list may name dev-only tools.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const { allowScripts = {} } = JSON.parse(readFileSync('package.json', 'utf8'));
const allowed = Object.entries(allowScripts)
  .filter(([name, ok]) => ok === true && existsSync(`node_modules/${name}/package.json`))
  .map(([name]) => name);
if (allowed.length === 0) {
  console.log('allowed-scripts: no package may run install scripts');
} else {
  console.log(`allowed-scripts: running the install scripts of ${allowed.join(', ')}`);
  execFileSync('npm', ['rebuild', '--ignore-scripts=false', ...allowed], { stdio: 'inherit' });
}
