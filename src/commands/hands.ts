import { OttoError } from '../errors.js';
import type { Context, Reply } from './types.js';

/** `restart <fleet> <service>`: being built (issue 17). */
export async function restartCommand(_ctx: Context): Promise<Reply> {
  throw new OttoError('restart is not built yet.');
}

/** `scale <fleet> <service>=<n>`: being built (issue 17). */
export async function scaleCommand(_ctx: Context): Promise<Reply> {
  throw new OttoError('scale is not built yet.');
}
