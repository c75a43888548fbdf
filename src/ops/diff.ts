import { createTwoFilesPatch } from 'diff';
import type { FleetConfig } from '../config.js';
import { parseCompose, renderCompose } from './compose.js';
import { maskSecrets, type SecretStore } from './secrets.js';

export interface ComposeSide {
  /** `v3 (running)`, `stacks/shop.yml`. */
  readonly label: string;
  readonly text: string;
}

/** Diff lines shown at most; the rest is counted. */
export const MAX_DIFF_LINES = 200;

/**
 * A unified diff of two compose texts as Docker would receive them (secrets
 * filled in, Traefik labels added), with every secret value masked. A secret that
 * is not set shows as `<NAME not set>`. Returns no lines when nothing changes.
 */
export async function composeDiff(
  deps: { readonly secrets: SecretStore },
  fleet: FleetConfig,
  from: ComposeSide,
  to: ComposeSide,
): Promise<string[]> {
  const secrets = await deps.secrets.values(fleet.name);
  const render = (side: ComposeSide) => {
    const parsed = parseCompose(side.text, side.label);
    const values = new Map(secrets);
    for (const name of parsed.required)
      if (!values.has(name)) values.set(name, `<${name} not set>`);
    // renderCompose doubles `$` for the remote docker CLI; show what the services get.
    const text = renderCompose(parsed, fleet.name, values).replace(/\$\$/g, '$');
    return maskSecrets(text, secrets.values());
  };
  const a = render(from);
  const b = render(to);
  if (a === b) return [];
  const patch = createTwoFilesPatch(from.label, to.label, a, b, '', '', { context: 3 });
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('===') && l !== '\\ No newline at end of file')
    .filter((l, i, all) => i < all.length - 1 || l !== '');
}
