import type { FleetConfig } from '../config/config.js';
import { parseCompose, renderCompose } from './compose.js';
import type { SecretStore } from '../store/secrets.js';

/**
 * Checks that compose text would launch today: it parses and every secret it
 * uses is set. Throws ComposeError or MissingSecretsError; changes nothing.
 */
export async function checkCompose(
  deps: { readonly secrets: SecretStore },
  fleet: FleetConfig,
  text: string,
  label: string,
): Promise<void> {
  renderCompose(
    parseCompose(text, label),
    fleet.name,
    await deps.secrets.values(fleet.secretsOf ?? fleet.name),
  );
}
