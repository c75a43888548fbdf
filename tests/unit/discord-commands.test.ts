import { describe, expect, it } from 'vitest';
import {
  chatCommands,
  OTTO_COMMAND,
  subcommandInput,
  subcommandOf,
  toText,
} from '../../src/adapters/discord/commands.js';
import { argCounts, COMMANDS, type ArgSpec, type FlagSpec } from '../../src/commands/catalog.js';
import { parseText } from '../../src/commands/parse.js';

// The catalog declares each command's arguments and options once; Discord's /otto
// and its option-to-text mapping are generated from it. Every command, with every
// option, must come back out of Discord as the text command the catalog describes.

const sample = (x: ArgSpec | FlagSpec): string | number | boolean => {
  switch (x.type) {
    case 'switch':
      return true;
    case 'integer':
    case 'request':
      return 7;
    case 'words':
      return 'not during "the" sale';
    case 'fleet':
      return 'shop';
    case 'service':
      return 'web';
    case 'word':
      return x.name === 'since' ? '10m' : '1h';
  }
};

/** As dispatch reads a two-word command: `outpost add prod h` is `outpost add` with `prod h`. */
function asDispatched(p: ReturnType<typeof parseText>, name: string): ReturnType<typeof parseText> {
  return name.includes(' ') ? { ...p, name: `${p.name} ${p.args[0]}`, args: p.args.slice(1) } : p;
}

describe('the Discord command, generated from the catalog', () => {
  it('has a subcommand for every command, with every argument and option', () => {
    // A two-word command is a subcommand of a group: /otto outpost add.
    type Sub = { name: string; description: string; options?: unknown[] };
    const subs: Sub[] = OTTO_COMMAND.options.flatMap((o) =>
      o.type === 2
        ? (o.options as Sub[]).map((s) => ({ ...s, name: `${o.name} ${s.name}` }))
        : [o as Sub],
    );
    for (const o of OTTO_COMMAND.options) {
      expect(o.name, o.name).toMatch(/^[-_a-z0-9]{1,32}$/);
      expect(o.description.length, o.name).toBeLessThanOrEqual(100);
    }
    // Every command but buttons and those that read a secret typed on Otto's machine.
    expect(subs.map((s) => s.name).sort()).toEqual(
      Object.keys(COMMANDS)
        .filter((n) => !COMMANDS[n]?.local && !COMMANDS[n]?.buttonOnly)
        .sort(),
    );
    expect(chatCommands().length).toBeGreaterThanOrEqual(15);
    for (const [name, spec] of chatCommands()) {
      const sub = subs.find((s) => s.name === name)!;
      const options = (sub.options ?? []) as { name: string; required?: boolean }[];
      expect(options.map((o) => o.name).sort(), name).toEqual(
        [...spec.args.map((a) => a.name), ...spec.flags.map((f) => f.name)].sort(),
      );
      // Discord refuses a required option after an optional one.
      const firstOptional = options.findIndex((o) => !o.required);
      if (firstOptional >= 0)
        expect(
          options.slice(firstOptional).some((o) => o.required),
          name,
        ).toBe(false);
      expect(sub.description.length, name).toBeLessThanOrEqual(100);
    }
  });

  it('reads a subcommand of a group as the two-word command', () => {
    const data = {
      type: 2,
      name: 'outpost',
      options: [{ type: 1, name: 'list', options: [{ name: 'cluster', value: 'prod' }] }],
    };
    expect(toText(subcommandInput.parse(subcommandOf(data)))).toBe('outpost list prod');
    expect(subcommandOf({ type: 1, name: 'help' })).toEqual({ type: 1, name: 'help' });
  });

  it('draws a switch as a boolean option: on is the bare --flag, off is nothing', () => {
    const sub = OTTO_COMMAND.options.find((s) => s.name === 'launch')!;
    expect(sub.options).toContainEqual({
      type: 5,
      name: 'dry-run',
      description: COMMANDS['launch']!.flags[0]!.about,
    });
    const text = (on: boolean) =>
      toText(
        subcommandInput.parse({
          name: 'launch',
          options: [
            { name: 'fleet', value: 'shop' },
            { name: 'dry-run', value: on },
          ],
        }),
      );
    expect(text(true)).toBe('launch shop --dry-run');
    expect(text(false)).toBe('launch shop');
  });

  it('turns every command with every option into the text command the parser takes', () => {
    for (const [name, spec] of chatCommands()) {
      const all = [...spec.args, ...spec.flags].map((x) => ({ name: x.name, value: sample(x) }));
      const input = subcommandInput.parse({ name, options: all });
      const parsed = asDispatched(parseText(toText(input)), name);
      expect(parsed.name, name).toBe(name);
      // Each argument arrives as one word, in the catalog's order, and each option as --name.
      expect(parsed.args, name).toEqual(spec.args.map((a) => String(sample(a)).replace(/"/g, "'")));
      expect(parsed.flags, name).toEqual(
        Object.fromEntries(spec.flags.map((f) => [f.name, String(sample(f))])),
      );
      const { min, max } = argCounts(spec);
      expect(parsed.args.length, name).toBeGreaterThanOrEqual(min);
      expect(parsed.args.length, name).toBeLessThanOrEqual(max);
      // With only the required options, it is still a well-formed command.
      const required = spec.args
        .filter((a) => a.required)
        .map((a) => ({ name: a.name, value: sample(a) }));
      const bare = asDispatched(
        parseText(toText(subcommandInput.parse({ name, options: required }))),
        name,
      );
      expect(bare.args.length, name).toBe(min);
    }
  });
});
