import { readFile } from 'node:fs/promises';
import type { FleetConfig } from '../config.js';
import { ComposeError } from '../errors.js';
import { parseCompose, type ParsedCompose } from './compose.js';

/** Reads a fleet's compose file as it is on disk now. */
export async function readFleetCompose(fleet: FleetConfig): Promise<string> {
  try {
    return await readFile(fleet.composeFile, 'utf8');
  } catch {
    throw new ComposeError(
      `Otto can't read the compose file of fleet ${fleet.name} (${fleet.composeFile}).`,
      'Check compose_file in otto.yml.',
    );
  }
}

/** The compose service names of a fleet (`web`, `db`), from its file. */
export async function fleetServices(fleet: FleetConfig): Promise<string[]> {
  const parsed: ParsedCompose = parseCompose(await readFleetCompose(fleet), fleet.composeFile);
  return [...parsed.services.keys()];
}
