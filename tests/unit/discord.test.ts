import { describe, expect, it } from 'vitest';
import { subcommandInput, toText } from '../../src/adapters/discord/commands.js';
import { ButtonCommands } from '../../src/adapters/discord/button-commands.js';
import { toDiscord } from '../../src/adapters/discord/render.js';
import { redactDiscordToken } from '../../src/adapters/discord/discord.js';
import { parseText, quoteWord } from '../../src/commands/parse.js';

const text = (name: string, options: Record<string, string | number> = {}) =>
  toText(
    subcommandInput.parse({
      name,
      options: Object.entries(options).map(([n, value]) => ({ name: n, value })),
    }),
  );

describe('Discord subcommands as text commands', () => {
  it('turns each subcommand and its options into the console words', () => {
    expect(text('launch', { fleet: 'shop' })).toBe('launch shop');
    expect(text('rollback', { fleet: 'shop', version: 12 })).toBe('rollback shop 12');
    expect(text('rollback', { fleet: 'shop' })).toBe('rollback shop');
    expect(text('status')).toBe('status');
    expect(text('logs', { fleet: 'shop', service: 'web', tail: 20 })).toBe(
      'logs shop web --tail 20',
    );
    expect(text('logs', { fleet: 'shop', tail: 20 })).toBe('logs shop --tail 20');
    expect(text('approve', { request: 42 })).toBe('approve 42');
    expect(text('deny', { request: 42, reason: 'not now' })).toBe('deny 42 "not now"');
    expect(text('fleets')).toBe('fleets');
  });

  it('keeps a free-text reason one argument, whatever quotes it holds', () => {
    const t = text('lock', { fleet: 'shop', reason: `db "migration" it's late` });
    expect(parseText(t)).toEqual({
      name: 'lock',
      args: ['shop', `db 'migration' it's late`],
      flags: {},
    });
    expect(quoteWord('plain')).toBe('plain');
    expect(quoteWord('--tail')).toBe('"--tail"');
  });

  it('refuses a subcommand Otto does not know', () => {
    expect(subcommandInput.safeParse({ name: 'rm', options: [] }).success).toBe(false);
  });
});

describe('Discord messages', () => {
  it('draws text, fields, fix and buttons, and pings nobody', () => {
    const m = toDiscord({
      outcome: 'failed',
      text: 'Launch of shop v2 failed, asked by discord:300000000000000001',
      fields: [{ label: 'web', value: '🔴 0/2 failing' }],
      fix: 'Check logs shop web.',
      buttons: [
        { label: 'Logs', command: 'logs shop web' },
        { label: 'Roll back', command: 'rollback shop', style: 'danger' },
      ],
    });
    expect(m.content).toBe(
      'Launch of shop v2 failed, asked by <@300000000000000001>\n**web**: 🔴 0/2 failing\n→ Check logs shop web.',
    );
    expect(m.components).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 2, label: 'Logs', custom_id: 'otto:logs shop web' },
          { type: 2, style: 4, label: 'Roll back', custom_id: 'otto:rollback shop' },
        ],
      },
    ]);
    expect(m.allowed_mentions).toEqual({ parse: [] });
    expect(m.files).toEqual([]);
  });

  it('puts short output in a code block and long output, whole, in an attached file', () => {
    const short = toDiscord({ outcome: 'ok', text: 'logs', block: ['a', 'b'] });
    expect(short.content).toBe('logs\n```\na\nb\n```');
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i}`);
    const long = toDiscord({ outcome: 'ok', text: 'logs', block: lines });
    expect(long.content).toBe(
      'logs\n📎 400 lines of output are in the attached file otto-output.txt.',
    );
    expect(long.files).toHaveLength(1);
    expect(long.files[0]!.data.toString()).toBe(`${lines.join('\n')}\n`);
  });

  it('splits buttons into rows of five and leaves out commands too long for a custom id', () => {
    const buttons = Array.from({ length: 7 }, (_, i) => ({
      label: `B${i}`,
      command: `status f${i}`,
    }));
    buttons.push({ label: 'Long', command: `lock shop ${'x'.repeat(120)}` });
    const m = toDiscord({ outcome: 'ok', text: 't', buttons });
    expect(m.components.map((r) => r.components.length)).toEqual([5, 2]);
  });

  it('gives a command too long for a custom id a short one, and keeps the command', () => {
    // outpost add's Trust and set up: the fingerprint alone is 50 characters.
    const trust = `outpost add prod worker-3.example.com --user deploy --port 22 --role worker --fingerprint SHA256:${'A'.repeat(43)}`;
    const kept = new ButtonCommands();
    const draw = () =>
      toDiscord(
        {
          outcome: 'ok',
          text: 'host key',
          buttons: [
            { label: 'Trust and set up', command: trust, style: 'primary' },
            { label: 'Cancel', command: 'outpost cancel prod worker-3.example.com' },
          ],
        },
        { keep: (c) => kept.keep(c) },
      ).components[0]!.components;
    const [button, cancel] = draw();
    expect(button!.custom_id).toMatch(/^otto#[\w-]{24}$/);
    expect(kept.get(button!.custom_id.slice('otto#'.length))).toBe(trust);
    expect(cancel!.custom_id).toBe('otto:outpost cancel prod worker-3.example.com');
    // Drawn again (an edit), the same id.
    expect(draw()[0]!.custom_id).toBe(button!.custom_id);
    // Without a place to keep it, it is left out, as before.
    expect(
      toDiscord({ outcome: 'ok', text: 't', buttons: [{ label: 'T', command: trust }] }).components,
    ).toEqual([]);
  });

  it('keeps at most so many long commands, forgetting the oldest', () => {
    const kept = new ButtonCommands(2);
    const [a, b, c] = ['a', 'b', 'c'].map((x) => kept.keep(`lock shop ${x.repeat(120)}`));
    expect(kept.get(a!)).toBeUndefined();
    expect(kept.get(b!)).toBe(`lock shop ${'b'.repeat(120)}`);
    expect(kept.get(c!)).toBe(`lock shop ${'c'.repeat(120)}`);
  });

  it('draws configured channels as channels and everyone else as people', () => {
    const m = toDiscord(
      {
        outcome: 'refused',
        text: 'heard only in discord:100000000000000099, asked by discord:300000000000000001',
      },
      { channels: new Set(['100000000000000099']) },
    );
    expect(m.content).toBe(
      '⛔ heard only in <#100000000000000099>, asked by <@300000000000000001>',
    );
  });

  it('never logs the bot token', () => {
    expect(redactDiscordToken('401 for MTAw.abc.def', 'MTAw.abc.def')).toBe('401 for [token]');
  });
});
