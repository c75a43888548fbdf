import { dirname } from 'node:path';
import { parseDocument } from 'yaml';
import { buildConfig, envValue, type OttoConfig } from '../config/config.js';
import { ConfigError } from '../errors.js';
import { TOKEN_VARIABLES } from './answers.js';

/**
 * Stand-ins for the token variables otto.yml names, shaped as Otto's schema wants
 * them (`xoxb-…`, `xapp-…`, 20 characters or more), for a check on a machine where
 * the tokens are not exported (yet): the file is checked, not the tokens.
 */
export const TOKEN_PLACEHOLDERS: Readonly<Record<string, string>> = {
  [TOKEN_VARIABLES.slackBot]: 'xoxb-otto-init-placeholder',
  [TOKEN_VARIABLES.slackApp]: 'xapp-otto-init-placeholder',
  [TOKEN_VARIABLES.discord]: 'otto-init-placeholder-for-the-bot-token',
};

/**
 * Loads otto.yml's text as Otto does at start (YAML, `${NAME}` from `env`, the whole
 * schema), with a placeholder for each token variable `env` does not set. Throws
 * Otto's own ConfigError naming the key path. With `env` = `{}` it checks the file
 * alone; with the real environment, a token exported in the wrong form is caught too
 * (the message names the key, never the value).
 *
 * @example checkOttoYml(ottoYml(answers), '/srv/otto/otto.yml', {})
 */
export function checkOttoYml(text: string, path: string, env: NodeJS.ProcessEnv): OttoConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new ConfigError(`${path} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const withPlaceholders: NodeJS.ProcessEnv = { ...env };
  for (const [name, placeholder] of Object.entries(TOKEN_PLACEHOLDERS))
    if (envValue(env, name) === undefined) withPlaceholders[name] = placeholder;
  return buildConfig(doc.toJS({ maxAliasCount: 100 }), dirname(path), path, withPlaceholders);
}
