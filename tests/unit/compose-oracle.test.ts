import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCompose, renderCompose } from '../../src/swarm/compose.js';
import { dockerStackConfig, oracleAvailable } from '../support/docker-oracle.js';

/**
 * Fidelity against Docker itself: for each file, what `docker stack config` makes
 * of the file as the user wrote it (variables from the environment) must equal
 * what it makes of the file Otto renders (variables from the fleet's secrets).
 * The docker CLI runs without an engine here.
 */
const FIXTURES = join(import.meta.dirname, '../fixtures/compose');

const secrets: Record<string, string> = {
  HTTPS_PORT: '443',
  USERNAME: 'admin',
  HASHED_PASSWORD: '$apr1$ruca84Hq$mbjdMZBAG.KWn7vfN/SNK/',
  DOMAIN: 'traefik.example.com',
  EMAIL: 'ops@example.com',
  DB_PASSWORD: 'p$ss "word"\nline 2',
  TLS: 'on',
  RO: 'yes',
  REPLICAS: '03',
  MAX_FAIL: '0.25',
  TOKEN_MODE: '0440',
  DB_PASSWD: 'db-pa$$',
  SECRET_KEY: 'k',
  POSTGRES_PASSWORD: 'pg',
  VOTE_PORT: '8080',
  NUMERIC: '0440',
  YES: 'yes',
};

/** Values as yaml.v3 reads them, plain and quoted, in the places Docker keeps as strings. */
const SCALARS = [
  '0440',
  '022',
  '1_000',
  '0b101',
  '0o17',
  '0x1F',
  '+12',
  '-0',
  '08',
  '09.5',
  '1e6',
  '1.0',
  '.5',
  '1.50',
  'yes',
  'on',
  'No',
  '~',
  'null',
  'NULL',
  'true',
  'True',
  '2001-12-14',
  '1:20',
  '12345678901234567890',
  '99999999999999999999999',
  '9007199254740993',
  '0.1',
  '1e21',
  '1e-7',
  "'quoted 0440'",
  '"$$5"',
  "''",
  '"<<"',
];

/** Docker refuses booleans in environment and labels; the rest it turns into strings there. */
const PLAIN = SCALARS.filter((v) => !/^true$/i.test(v));

const scalarFile = () =>
  [
    'services:',
    '  web:',
    '    image: nginx:1',
    '    environment:',
    ...PLAIN.map((v, i) => `      V${i}: ${v}`),
    '      FROM_SECRET: ${NUMERIC}',
    '      YES_SECRET: ${YES}',
    '    deploy:',
    '      labels:',
    ...PLAIN.map((v, i) => `        l${i}: ${v}`),
    '',
  ].join('\n');

/** Strings that only stay strings, and stay whole, when written with care. */
const TRICKY = [
  'Host(`a.example.com`) || Host(`b.example.com`)',
  'a: b',
  'a:b',
  '#x',
  'x #y',
  'x#y',
  '- x',
  '-x',
  '? x',
  ':x',
  'x:',
  'x ',
  ' x',
  '[x]',
  '{x}',
  '*x',
  '&x',
  '!x',
  '|x',
  '>x',
  '%x',
  '@x',
  '`x',
  "'x'",
  '"x"',
  'é',
  '••••••(TOKEN)',
  'tab\there',
  'line\nbreak',
  'nel\u0085x',
  'del\u007fx',
  'ls\u2028x',
  'bom\ufeffx',
  '...',
  '---',
  'a,b',
  'x: y: z',
  'C:\\path',
  '~x',
  'null ',
  '0440 ',
  'emoji 🦦',
];

/** A YAML double-quoted scalar: JSON's, with the characters YAML wants escaped escaped. */
const quoted = (v: string) =>
  JSON.stringify(v).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

const trickyFile = () =>
  [
    'services:',
    '  web:',
    '    image: nginx:1',
    '    command:',
    ...TRICKY.map((v) => `      - ${quoted(v)}`),
    '    environment:',
    ...TRICKY.map((v, i) => `      ${quoted(`K${i}${v}`)}: ${quoted(v)}`),
    '',
  ].join('\n');

describe('Otto renders what docker stack deploy reads', () => {
  beforeAll(async () => {
    const missing = await oracleAvailable();
    if (missing) throw new Error(`${missing}: the fidelity tests need the docker CLI (20.10+).`);
  });

  const cases: [string, string][] = [
    ...readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.yml'))
      .map((f): [string, string] => [f, readFileSync(join(FIXTURES, f), 'utf8')]),
    ['YAML scalars as yaml.v3 reads them', scalarFile()],
    ['strings with YAML indicators, spaces and unprintable characters', trickyFile()],
  ];

  it.each(cases)('%s', async (_name, text) => {
    // Bare environment names (`- NAME`, `NAME: ~`) read the environment too: give them values.
    const parsed = parseCompose(text, 'x.yml');
    const env = { ...secrets };
    for (const name of parsed.required) env[name] ??= `value of ${name}`;
    const docker = await dockerStackConfig(text, env);
    if (!docker.ok) throw new Error(docker.error);
    const rendered = renderCompose(parsed, 'f', new Map(Object.entries(env)));
    const otto = await dockerStackConfig(rendered.text);
    if (!otto.ok) throw new Error(`${otto.error}\n${rendered.text}`);
    expect(otto.config).toEqual(docker.config);
  });
});
