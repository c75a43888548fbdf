#!/usr/bin/env -S node --max-semi-space-size=1
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

// V8 keeps the code it compiled for Otto in the user's own cache folder (never a
// shared /tmp one), so the next command starts sooner: about 40 ms of the 200 a
// `otto say` takes. NODE_DISABLE_COMPILE_CACHE=1 turns it off; a folder Otto can't
// write only means no cache.
try {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  enableCompileCache(process.env.OTTO_COMPILE_CACHE || join(base, 'otto', 'compile'));
} catch {
  // no cache: Otto starts as before
}
const { main } = await import('../dist/otto.mjs');

process.exit(await main(process.argv.slice(2)));
