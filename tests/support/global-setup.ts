import type { TestProject } from 'vitest/node';
import { execa } from 'execa';
import { startTestbed, stopTestbed, type Testbed } from './testbed.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testbed: Testbed | null;
  }
}

export const SKIP_VAR = 'OTTO_SKIP_SWARM_TESTS';

/** Builds the CLI and starts the Swarm test bed once for all suites. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await execa('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  if (process.env[SKIP_VAR] === '1') {
    const line = '!'.repeat(78);
    console.warn(
      `\n${line}\n!!! ${SKIP_VAR}=1: the real-Swarm end-to-end suites are SKIPPED.\n!!! Launch, SSH and failure paths are NOT tested in this run. CI never sets this.\n${line}\n`,
    );
    project.provide('testbed', null);
    return async () => {};
  }
  const bed = await startTestbed((m) => console.error(m));
  project.provide('testbed', bed);
  return async () => {
    await stopTestbed(bed);
  };
}
