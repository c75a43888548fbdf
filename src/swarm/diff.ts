import { createTwoFilesPatch } from 'diff';
import type { FleetConfig } from '../config/config.js';
import { parseCompose, renderCompose, type RenderOptions } from './compose.js';
import { MASK, type SecretMask } from '../store/secret-mask.js';
import type { SecretStore } from '../store/secrets.js';

export interface ComposeSide {
  /** `v3 (running)`, `stacks/shop.yml`. */
  readonly label: string;
  readonly text: string;
  /** How to render this side: a recorded version's pinned images, for example. */
  readonly options?: RenderOptions;
}

/** Diff lines shown at most; the rest is counted. */
export const MAX_DIFF_LINES = 200;

/** What a set secret reads as in a diff: `••••••(API_KEY)`, so a changed reference still shows. */
export const secretPlaceholder = (name: string) => `${MASK}(${name})`;

/**
 * A compose text as Docker would receive it (Traefik labels added, `${VAR}` filled
 * in), for people to read. Secrets are masked on the data, before it is
 * serialized: a set secret is filled in as `••••••(NAME)`, never with its value, so
 * a multi-line or escaped value can't leak through YAML's block or quoted forms;
 * a literal copy of a secret value in the file is masked too. A secret that is not
 * set shows as `<NAME not set>`.
 */
export async function displayCompose(
  deps: { readonly secrets: SecretStore },
  fleet: FleetConfig,
  side: ComposeSide,
  options: RenderOptions = {},
): Promise<string> {
  const mask = await deps.secrets.mask(fleet.secretsOf ?? fleet.name, fleet.cluster);
  const names = new Set(
    (await deps.secrets.names(fleet.secretsOf ?? fleet.name)).map((s) => s.name),
  );
  return displayWith(names, mask, fleet, side, options);
}

function displayWith(
  names: ReadonlySet<string>,
  mask: SecretMask,
  fleet: FleetConfig,
  side: ComposeSide,
  options: RenderOptions,
): string {
  const parsed = parseCompose(side.text, side.label);
  const values = new Map<string, string>();
  for (const name of names) values.set(name, secretPlaceholder(name));
  const masked = { ...parsed, data: mask.maskDeep(parsed.data) };
  // renderCompose doubles `$` for the remote docker CLI; show what the services get.
  return renderCompose(masked, fleet.name, values, { ...options, display: true }).text.replace(
    /\$\$/g,
    '$',
  );
}

/**
 * A unified diff of two compose texts as Docker would receive them, masked as
 * {@link displayCompose} masks them. Returns no lines when nothing changes.
 */
export async function composeDiff(
  deps: { readonly secrets: SecretStore },
  fleet: FleetConfig,
  from: ComposeSide,
  to: ComposeSide,
): Promise<string[]> {
  const mask = await deps.secrets.mask(fleet.secretsOf ?? fleet.name, fleet.cluster);
  const names = new Set(
    (await deps.secrets.names(fleet.secretsOf ?? fleet.name)).map((s) => s.name),
  );
  const a = displayWith(names, mask, fleet, from, from.options ?? {});
  const b = displayWith(names, mask, fleet, to, to.options ?? {});
  if (a === b) return [];
  const patch = createTwoFilesPatch(from.label, to.label, a, b, '', '', { context: 3 });
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('===') && l !== '\\ No newline at end of file')
    .filter((l, i, all) => i < all.length - 1 || l !== '');
}
