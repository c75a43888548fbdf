import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * The rooms of src/, lowest first. Data flows one way: a room may import the rooms
 * below it (and the ground floor: errors.ts, config/), never one above. DESIGN.md
 * draws it; this makes `npm run lint` refuse an import that runs back up.
 */
export const ROOMS = [
  'transport',
  'store',
  'swarm',
  'ops',
  'commands',
  'watch',
  'adapters',
  // otto init: a terminal front of its own, beside the adapters; only cli.ts imports it.
  'init',
];

/** `no-restricted-imports` for the files of one room: every room above it is refused. */
function roomRule(room, above) {
  return {
    files: [`src/${room}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `(^|/)(${above.join('|')})/`,
              message: `src/${room}/ sits below ${above.map((r) => `${r}/`).join(', ')}: data flows down only (see DESIGN.md, "Rooms").`,
            },
            {
              regex: '(^|/)cli(\\.js)?$',
              message: 'cli.ts is the top: nothing imports it.',
            },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.otto/', 'bench/*.json', 'tests/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The ground floor imports no room at all.
  roomRule('config', ROOMS),
  ...ROOMS.slice(0, -1).map((room, i) => roomRule(room, ROOMS.slice(i + 1))),
  {
    files: ['src/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.(?!/user-text\\.js$)',
              message:
                'errors.ts is the ground floor: it imports nothing of Otto but user-text.ts.',
            },
          ],
        },
      ],
    },
  },
);
