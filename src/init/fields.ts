import { z } from 'zod';
import { CLUSTER_NAME, FINGERPRINT, FLEET_NAME, SNOWFLAKE } from '../config/config.js';

/**
 * The answers `otto init` takes, one zod check each: the same check for a flag and
 * for a line typed at a question, so both refuse the same mistakes with the same
 * words. No message repeats the value: a token typed in the wrong place stays out
 * of the terminal's scrollback and of CI logs.
 */

/** A Slack token, or a Discord bot token's three dot-separated base64 parts: never an id. */
const TOKEN_LIKE = /^(?:xox[a-z]-|xapp-)|^[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}$/;

/** The chat platforms `otto init` can connect. */
export const CHATS = ['none', 'slack', 'discord'] as const;
export type Chat = (typeof CHATS)[number];

export const FIELDS = {
  host: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$/,
      'a host is a name or an IP address, such as 203.0.113.10 or manager.example.com',
    ),
  user: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'a user is a login name such as deploy'),
  port: z
    .string()
    .regex(/^\d{1,5}$/, 'a port is a number from 1 to 65535, such as 22')
    .transform(Number)
    .refine((p) => p >= 1 && p <= 65_535, 'a port is a number from 1 to 65535, such as 22'),
  fingerprint: z
    .string()
    .regex(
      FINGERPRINT,
      'a host key fingerprint looks like SHA256: and 43 characters (ssh-keygen -lf prints it)',
    ),
  clusterName: z
    .string()
    .regex(CLUSTER_NAME, 'a cluster name uses a-z, 0-9, - and _, such as prod'),
  fleetName: z
    .string()
    .regex(FLEET_NAME, 'a fleet name uses a-z, 0-9 and -, starting with a letter or digit'),
  dockerHost: z
    .string()
    .regex(
      /^(unix|tcp|ssh|npipe):\/\/\S+$/,
      'a Docker host is a URL such as unix:///var/run/docker.sock',
    ),
  chat: z.enum(CHATS, { error: 'the chat is none, slack or discord' }),
  applicationId: z.string().superRefine((id, ctx) => {
    if (TOKEN_LIKE.test(id))
      ctx.addIssue({
        code: 'custom',
        message:
          "that looks like a token, not an application id. Otto never writes a token into otto.yml: the application id is the number on your app's General Information page",
      });
    else if (!SNOWFLAKE.test(id))
      ctx.addIssue({
        code: 'custom',
        message:
          "an application id is digits only, such as 123456789012345678 (your app's General Information page)",
      });
  }),
} as const;

export type Field = keyof typeof FIELDS;

/** A checked value, or the sentence that says what is wrong (without the value). */
export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/**
 * Checks one answer.
 * @example checkField('port', '2222') // { ok: true, value: 2222 }
 * @example checkField('applicationId', 'xoxb-1') // { ok: false, message: 'that looks like a token, …' }
 */
export function checkField<F extends Field>(
  field: F,
  value: string,
): Checked<z.output<(typeof FIELDS)[F]>> {
  const r = FIELDS[field].safeParse(value);
  if (r.success) return { ok: true, value: r.data as z.output<(typeof FIELDS)[F]> };
  return { ok: false, message: r.error.issues[0]?.message ?? 'not a valid answer' };
}
