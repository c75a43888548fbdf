import type { Ops } from '../ops/ops.js';

export type Platform = 'console' | 'cli' | 'slack' | 'discord';

/** One chat command, whatever platform it came from. */
export interface Command {
  readonly name: string;
  readonly args: readonly string[];
  readonly flags: Readonly<Record<string, string>>;
  /** The text as typed, for the audit trail. */
  readonly text: string;
  /** `console:alice`, `slack:U123`, `discord:4242`. */
  readonly actor: string;
  readonly channel: string;
  readonly platform: Platform;
}

/** A button is a shortcut for a text command, so every platform can press it. */
export interface Button {
  readonly label: string;
  readonly command: string;
  readonly style?: 'primary' | 'danger';
}

/** ok: done; failed: the command ran and failed or was refused; usage: it could not be understood. */
export type Outcome = 'ok' | 'failed' | 'usage';

/** A neutral reply: adapters draw it as Block Kit, Discord components or plain text. */
export interface Reply {
  readonly outcome: Outcome;
  readonly text: string;
  readonly fields?: readonly { readonly label: string; readonly value: string }[];
  /** Preformatted lines (logs, diffs), drawn as a code block. */
  readonly block?: readonly string[];
  /** What to do next, when something went wrong. */
  readonly fix?: string | undefined;
  readonly buttons?: readonly Button[];
}

export interface Context {
  readonly command: Command;
  readonly ops: Ops;
  /** Shows the reply so far: adapters edit one message in place, or print a line. */
  readonly progress: (reply: Reply) => void;
  readonly signal?: AbortSignal | undefined;
}

export type Handler = (ctx: Context) => Promise<Reply>;
