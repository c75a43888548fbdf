import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/adapters/text.js';
import { parseText, tokenize } from '../../src/commands/parse.js';

describe('parseText', () => {
  it('splits name, args and flags', () => {
    expect(parseText('/otto logs myapp web --tail 20 --since=10m')).toEqual({
      name: 'logs',
      args: ['myapp', 'web'],
      flags: { tail: '20', since: '10m' },
    });
  });

  it('keeps quoted parts together', () => {
    expect(tokenize(`lock myapp "db migration" 'x y'`)).toEqual([
      'lock',
      'myapp',
      'db migration',
      'x y',
    ]);
  });

  it('reads a flag without a value as true, for the command to judge', () => {
    expect(parseText('launch myapp --force --tail').flags).toEqual({ force: 'true', tail: 'true' });
  });
});

describe('renderText', () => {
  it('draws fields, blocks, the fix and buttons as text commands', () => {
    const text = renderText({
      outcome: 'failed',
      text: 'Launch of a v2 failed',
      fields: [{ label: 'web', value: '🔴 0/1 failing' }],
      block: ['boom'],
      fix: 'Check the logs.',
      buttons: [{ label: 'Logs', command: 'logs a web' }],
    });
    expect(text).toBe(
      'Launch of a v2 failed\n  web: 🔴 0/1 failing\n    boom\n→ Check the logs.\n[Logs: logs a web]',
    );
  });
});
