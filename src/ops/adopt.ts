import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OttoError } from '../errors.js';
import { composeFromServices } from '../swarm/stack-compose.js';
import { composeText } from '../swarm/stack-compose-text.js';
import { readStackSpecs } from '../swarm/stack-inspect.js';
import type { Ops } from './ops.js';

/** `adopt --write` found the file there already: Otto never overwrites one. */
export class FileExistsError extends OttoError {
  override readonly code = 'file_exists';
}

export interface AdoptAsk {
  readonly stack: string;
  readonly cluster: string;
  /** The fleet the file is for: the stack's name, or the closest fleet name Otto takes. */
  readonly fleet: string;
  /** An absolute folder to write `<stack>.yml` into; nothing is written without it. */
  readonly writeDir?: string | undefined;
  readonly now?: Date;
  readonly signal?: AbortSignal | undefined;
}

export interface AdoptResult {
  /** The rebuilt compose file, comments included. */
  readonly compose: string;
  /** The stack's services, by their compose names. */
  readonly services: readonly string[];
  /** Where it was written (`writeDir/<stack>.yml`), when it was. */
  readonly file?: string;
}

/**
 * Rebuilds the compose file of a stack Otto didn't launch from what runs (three docker
 * calls, all reads), and writes it to `writeDir/<stack>.yml` when asked: a new file
 * only, never otto.yml, never over an existing file.
 */
export async function adoptStack(ops: Pick<Ops, 'transport'>, ask: AdoptAsk): Promise<AdoptResult> {
  const { stack, cluster, fleet } = ask;
  const specs = await readStackSpecs(ops.transport(cluster), stack, ask.signal);
  if (specs.services.length === 0)
    throw new OttoError(
      `Stack ${stack} has no services on cluster ${cluster} any more: it was removed while Otto read it.`,
      'Type status to see what runs now.',
    );
  const rebuilt = composeFromServices(stack, specs.services, specs.networks, {
    keepVolumeNames: fleet !== stack,
  });
  const when = (ask.now ?? new Date()).toISOString().replace('T', ' ').slice(0, 16);
  const header = [
    ` Compose file of fleet ${fleet}, rebuilt by Otto from stack ${stack} as it runs on`,
    ` cluster ${cluster} (docker service inspect, ${when} UTC). Docker keeps no copy of the file`,
    ' a stack was deployed from: comments, anchors, variables and build: are gone, and values',
    ` are written as Docker stored them. Review it, then try: launch ${fleet} --dry-run`,
  ].join('\n');
  const compose = composeText(rebuilt, header);
  const services = Object.keys(rebuilt.data['services'] ?? {});
  if (!ask.writeDir) return { compose, services };
  const file = join(ask.writeDir, `${stack}.yml`);
  try {
    mkdirSync(ask.writeDir, { recursive: true });
    // 'wx': fails if the file exists, in the same step that creates it.
    writeFileSync(file, compose, { flag: 'wx', mode: 0o644 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new FileExistsError(
        `${file} already exists, so Otto wrote nothing: it never overwrites a file.`,
        `Compare it with what adopt ${stack} prints, or move it away and run adopt ${stack} --write again.`,
      );
    throw new OttoError(
      `Otto could not write ${file}: ${(e as Error).message}. Nothing was written.`,
      'Pick a folder Otto may write to, with --write DIR.',
    );
  }
  return { compose, services, file };
}
