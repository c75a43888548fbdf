import { z } from 'zod';
import { COMMANDS, type ArgSpec, type CommandSpec, type FlagSpec } from '../../commands/catalog.js';
import { quoteWord } from '../../commands/parse.js';

/** Discord's option types used here: subcommand, string, integer, boolean. */
const SUB = 1;
const STRING = 3;
const INTEGER = 4;
const BOOLEAN = 5;

/** The catalog's slash commands: not those that read a secret typed locally, nor buttons only. */
export function chatCommands(): [string, CommandSpec][] {
  return Object.entries(COMMANDS).filter(([, spec]) => !spec.local && !spec.buttonOnly);
}

/** Discord's interaction context GUILD and installation type GUILD_INSTALL. */
const GUILD = 0;

/** What Discord shows for a command: its summary, capitalized, within Discord's 100 characters. */
const describe = (text: string) => (text[0]?.toUpperCase() + text.slice(1)).slice(0, 100);

/** One catalog argument as a Discord option. */
function argOption(a: ArgSpec) {
  const base = { name: a.name, description: a.about, ...(a.required ? { required: true } : {}) };
  switch (a.type) {
    case 'fleet':
    case 'service':
      return { ...base, type: STRING, autocomplete: true, max_length: 63 };
    case 'integer':
    case 'request':
      return { ...base, type: INTEGER, min_value: 1, ...(a.max ? { max_value: a.max } : {}) };
    case 'word':
    case 'words':
      return { ...base, type: STRING, max_length: a.max ?? 200 };
  }
}

function flagOption(f: FlagSpec) {
  switch (f.type) {
    case 'integer':
      return {
        type: INTEGER,
        name: f.name,
        description: f.about,
        min_value: f.min ?? 1,
        ...(f.max ? { max_value: f.max } : {}),
      };
    case 'switch':
      return { type: BOOLEAN, name: f.name, description: f.about };
    case 'word':
      return { type: STRING, name: f.name, description: f.about, max_length: f.max ?? 100 };
  }
}

/**
 * The one `/otto` command with a subcommand per catalog command, as `otto discord
 * register` sends it (Discord's application command JSON), generated from the
 * catalog: every argument and --option is an option. Discord wants required
 * options first; `toText` puts them back in the text command's order. It is
 * offered in servers only, never in direct messages: `contexts` and
 * `integration_types`, and the older `dm_permission`.
 */
/** One catalog command as a Discord subcommand named `name`. */
function subcommand(name: string, spec: CommandSpec) {
  const options = [
    ...spec.args.filter((a) => a.required).map(argOption),
    ...spec.args.filter((a) => !a.required).map(argOption),
    ...spec.flags.map(flagOption),
  ];
  return {
    type: SUB,
    name,
    description: describe(spec.summary),
    ...(options.length ? { options } : {}),
  };
}

/** Discord's subcommand group: `/otto outpost add` for the catalog's `outpost add`. */
const GROUP = 2;

/**
 * The catalog's chat commands as Discord options: a one-word command is a
 * subcommand (`/otto launch`); two-word commands sharing their first word are a
 * subcommand group (`/otto outpost add`), since Discord names hold no spaces.
 */
function commandOptions() {
  const out: (ReturnType<typeof subcommand> | ReturnType<typeof group>)[] = [];
  const groups = new Map<string, ReturnType<typeof group>>();
  function group(name: string) {
    return {
      type: GROUP,
      name,
      description: describe(
        `${name}: ${chatCommands()
          .filter(([n]) => n.startsWith(`${name} `))
          .map(([n]) => n.slice(name.length + 1))
          .join(', ')}`,
      ),
      options: [] as ReturnType<typeof subcommand>[],
    };
  }
  for (const [name, spec] of chatCommands()) {
    const [first, second] = name.split(' ');
    if (second === undefined) {
      out.push(subcommand(name, spec));
      continue;
    }
    let g = groups.get(first!);
    if (!g) {
      g = group(first!);
      groups.set(first!, g);
      out.push(g);
    }
    g.options.push(subcommand(second, spec));
  }
  return out;
}

/**
 * The one `/otto` command with a subcommand per catalog command, as `otto discord
 * register` sends it (Discord's application command JSON), generated from the
 * catalog: every argument and --option is an option. Discord wants required
 * options first; `toText` puts them back in the text command's order. It is
 * offered in servers only, never in direct messages: `contexts` and
 * `integration_types`, and the older `dm_permission`.
 */
export const OTTO_COMMAND = {
  name: 'otto',
  description: 'Talk to Otto at Mission Control',
  type: 1,
  contexts: [GUILD],
  integration_types: [GUILD],
  dm_permission: false,
  options: commandOptions(),
};

/**
 * The subcommand an interaction names, as `{ name, options }`: a group's
 * (`outpost` → `add`) becomes the catalog's two-word name (`outpost add`).
 */
export function subcommandOf(data: unknown): unknown {
  const d = data as { type?: number; name?: unknown; options?: unknown[] } | undefined;
  if (d?.type !== GROUP || !Array.isArray(d.options)) return data;
  const sub = d.options[0] as { name?: unknown; options?: unknown } | undefined;
  return { name: `${String(d.name)} ${String(sub?.name)}`, options: sub?.options ?? [] };
}

const SUBCOMMANDS = chatCommands().map(([name]) => name) as [string, ...string[]];

/** A subcommand and its option values as an interaction carries them. */
export const subcommandInput = z.object({
  name: z.enum(SUBCOMMANDS),
  options: z
    .array(
      z.object({
        name: z.string().max(32),
        value: z.union([z.string().max(200), z.number().int().min(0).max(1_000_000), z.boolean()]),
      }),
    )
    .max(10)
    .default([]),
});

/**
 * The text command a subcommand stands for, in the catalog's order: `logs shop web
 * --tail 20`, `launch shop --dry-run`.
 */
export function toText(input: z.infer<typeof subcommandInput>): string {
  const spec = COMMANDS[input.name];
  const value = (name: string) => {
    const v = input.options.find((o) => o.name === name)?.value;
    return v === undefined || v === '' ? undefined : String(v);
  };
  const words = [input.name];
  for (const a of spec?.args ?? []) {
    const v = value(a.name);
    if (v !== undefined) words.push(quoteWord(v));
  }
  for (const f of spec?.flags ?? []) {
    const v = value(f.name);
    // A switch is on or off: `--dry-run` alone, or nothing.
    if (f.type === 'switch') {
      if (v === 'true') words.push(`--${f.name}`);
    } else if (v !== undefined) words.push(`--${f.name}`, quoteWord(v));
  }
  return words.join(' ');
}
