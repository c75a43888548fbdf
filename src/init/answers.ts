/** What `otto init` learned, in the form otto.yml writes it (paths as written there). */

export type ClusterAnswer =
  | {
      readonly kind: 'local';
      readonly name: string;
      readonly dockerHost?: string | undefined;
    }
  | {
      readonly kind: 'ssh';
      readonly name: string;
      readonly host: string;
      readonly port: number;
      readonly user: string;
      /** As otto.yml writes it: relative to its folder, `~/…`, or absolute. */
      readonly privateKeyFile: string;
      /** The `SHA256:…` fingerprint the person trusted: pinned as `host_key`. */
      readonly hostKey: string;
      readonly dockerHost?: string | undefined;
    };

export interface FleetAnswer {
  readonly name: string;
  /** As otto.yml writes it: relative to its folder when the file is under it. */
  readonly composeFile: string;
  /** Otto's own example (`examples/hello/compose.yml`) rather than the person's file. */
  readonly example: boolean;
}

export type ChatAnswer =
  | { readonly kind: 'none' }
  | { readonly kind: 'slack' }
  | { readonly kind: 'discord'; readonly applicationId: string };

export interface InitAnswers {
  readonly cluster: ClusterAnswer;
  readonly fleet: FleetAnswer;
  readonly chat: ChatAnswer;
}

/** The environment variables otto.yml names for tokens: never their values. */
export const TOKEN_VARIABLES = {
  slackBot: 'SLACK_BOT_TOKEN',
  slackApp: 'SLACK_APP_TOKEN',
  discord: 'DISCORD_TOKEN',
} as const;

/** The variables a person must export before `otto start`, for a chat. */
export function tokenVariables(chat: ChatAnswer): string[] {
  if (chat.kind === 'slack') return [TOKEN_VARIABLES.slackBot, TOKEN_VARIABLES.slackApp];
  if (chat.kind === 'discord') return [TOKEN_VARIABLES.discord];
  return [];
}
