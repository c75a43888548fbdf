import { z } from 'zod';
import { quoteWord } from '../commands/parse.js';

/** Discord's option types used here: subcommand, string, integer. */
const SUB = 1;
const STRING = 3;
const INTEGER = 4;

const fleet = (required = true) => ({
  type: STRING,
  name: 'fleet',
  description: 'The fleet (stack) in otto.yml',
  required,
  autocomplete: true,
  max_length: 63,
});

const request = {
  type: INTEGER,
  name: 'request',
  description: 'The request number',
  required: true,
  min_value: 1,
};

/** Discord's interaction context GUILD and installation type GUILD_INSTALL. */
const GUILD = 0;

/**
 * The one `/otto` command with its subcommands, as `otto discord register` sends it
 * (Discord's application command JSON). It is offered in servers only, never in
 * direct messages: `contexts` and `integration_types`, and the older `dm_permission`.
 */
export const OTTO_COMMAND = {
  name: 'otto',
  description: 'Talk to Otto at Mission Control',
  type: 1,
  contexts: [GUILD],
  integration_types: [GUILD],
  dm_permission: false,
  options: [
    {
      type: SUB,
      name: 'launch',
      description: 'Deploy a fleet and watch it reach orbit',
      options: [fleet()],
    },
    {
      type: SUB,
      name: 'rollback',
      description: 'Return a fleet to an earlier version (asks for approval)',
      options: [
        fleet(),
        {
          type: INTEGER,
          name: 'version',
          description: 'The version to return to (default: the last good one)',
          min_value: 1,
        },
      ],
    },
    {
      type: SUB,
      name: 'status',
      description: 'Services, replicas and health',
      options: [fleet(false)],
    },
    {
      type: SUB,
      name: 'logs',
      description: "A fleet's recent log lines",
      options: [
        fleet(),
        {
          type: STRING,
          name: 'service',
          description: 'One service of the fleet',
          autocomplete: true,
          max_length: 63,
        },
        {
          type: INTEGER,
          name: 'tail',
          description: 'Lines per service (default 50)',
          min_value: 1,
          max_value: 1000,
        },
      ],
    },
    { type: SUB, name: 'history', description: 'Past launches and rollbacks', options: [fleet()] },
    {
      type: SUB,
      name: 'diff',
      description: 'What the next launch would change',
      options: [fleet()],
    },
    {
      type: SUB,
      name: 'lock',
      description: 'Freeze launches and rollbacks of a fleet',
      options: [
        fleet(),
        { type: STRING, name: 'reason', description: 'Why, for the others', max_length: 200 },
      ],
    },
    { type: SUB, name: 'unlock', description: 'Lift a lock', options: [fleet()] },
    {
      type: SUB,
      name: 'approve',
      description: 'Approve a request by its number',
      options: [request],
    },
    {
      type: SUB,
      name: 'deny',
      description: 'Deny (or withdraw) a request by its number',
      options: [request, { type: STRING, name: 'reason', description: 'Why', max_length: 200 }],
    },
    {
      type: SUB,
      name: 'silence',
      description: "Mute a fleet's (or a service's) alerts for a while",
      options: [
        fleet(),
        {
          type: STRING,
          name: 'duration',
          description: 'How long: 30m, 1h, 1d; or off to lift it',
          required: true,
          max_length: 10,
        },
        {
          type: STRING,
          name: 'service',
          description: 'Only this service',
          autocomplete: true,
          max_length: 63,
        },
      ],
    },
    { type: SUB, name: 'alerts', description: 'Open incidents' },
    { type: SUB, name: 'fleets', description: 'Configured fleets and their last launch' },
    { type: SUB, name: 'help', description: 'What Otto can do' },
  ],
} as const;

const SUBCOMMANDS = OTTO_COMMAND.options.map((o) => o.name) as [string, ...string[]];

/** A subcommand and its option values as an interaction carries them. */
export const subcommandInput = z.object({
  name: z.enum(SUBCOMMANDS),
  options: z
    .array(
      z.object({
        name: z.string().max(32),
        value: z.union([z.string().max(200), z.number().int().min(0).max(1_000_000)]),
      }),
    )
    .max(10)
    .default([]),
});

/** The text command a subcommand stands for: `logs shop web --tail 20`. */
export function toText(input: z.infer<typeof subcommandInput>): string {
  const opt = (name: string) => {
    const v = input.options.find((o) => o.name === name)?.value;
    return v === undefined ? undefined : String(v);
  };
  const words = [input.name];
  const add = (name: string) => {
    const v = opt(name);
    if (v !== undefined && v !== '') words.push(quoteWord(v));
  };
  switch (input.name) {
    case 'approve':
    case 'deny':
      add('request');
      add('reason');
      break;
    case 'silence':
      add('fleet');
      add('service');
      add('duration');
      break;
    case 'logs': {
      add('fleet');
      add('service');
      const tail = opt('tail');
      if (tail) words.push('--tail', tail);
      break;
    }
    default:
      add('fleet');
      add('version');
      add('reason');
  }
  return words.join(' ');
}
