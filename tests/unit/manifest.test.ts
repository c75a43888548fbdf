import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Manifest {
  display_information: { name: string };
  features: {
    bot_user: { display_name: string };
    slash_commands: { command: string; usage_hint?: string; description: string }[];
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
}

describe('manifest.yml, the Slack app manifest', () => {
  const manifest = parse(
    readFileSync(join(import.meta.dirname, '../../manifest.yml'), 'utf8'),
  ) as Manifest;

  it('has the /otto command with a usage hint, interactivity and Socket Mode on', () => {
    expect(manifest.display_information.name).toBe('Otto');
    const [otto, ...others] = manifest.features.slash_commands;
    expect(others).toEqual([]);
    expect(otto?.command).toBe('/otto');
    expect(otto?.usage_hint).toMatch(/launch myapp/);
    expect(otto?.description.length).toBeLessThanOrEqual(100);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it('asks for the bot scopes Otto uses, and no more', () => {
    // commands: /otto; chat:write: post and edit its messages; usergroups:read: slack-group: roles.
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([
      'chat:write',
      'commands',
      'usergroups:read',
    ]);
  });
});
