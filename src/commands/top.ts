import { OttoError } from '../errors.js';
import type { Context, Reply } from './types.js';

/** `top <fleet> [service]`: being built (issue 17). */
export async function topCommand(_ctx: Context): Promise<Reply> {
  throw new OttoError('top is not built yet.');
}
