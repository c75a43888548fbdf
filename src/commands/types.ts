import type { FleetConfig, Role } from '../config/config.js';
import type { Deployment } from '../store/db.js';
import type { Grant } from './access.js';
import type { Ops } from '../ops/ops.js';

export type Platform = 'console' | 'cli' | 'slack' | 'discord' | 'api';

/** One chat command, whatever platform it came from. */
export interface Command {
  readonly name: string;
  readonly args: readonly string[];
  readonly flags: Readonly<Record<string, string>>;
  /** The text as typed, for the audit trail. */
  readonly text: string;
  /** `console:alice`, `slack:U123`, `discord:4242`. */
  readonly actor: string;
  /** Groups or roles the platform says the actor holds: `slack-group:S1`, `discord-role:7`. */
  readonly groups: readonly string[];
  /** An API token's own role and fleets (`token:<name>`), as stored with it. */
  readonly grant?: Grant | undefined;
  /** `console`, `cli`, or a chat channel such as `slack:C0123`. */
  readonly channel: string;
  readonly platform: Platform;
}

/** A button is a shortcut for a text command, so every platform can press it. */
export interface Button {
  readonly label: string;
  readonly command: string;
  readonly style?: 'primary' | 'danger';
}

/**
 * ok: done; failed: the command ran and failed, or changed nothing; usage: it
 * could not be understood; refused: the actor or channel may not run it.
 */
export type Outcome = 'ok' | 'failed' | 'usage' | 'refused';

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
  /** The approval request this reply asks for: chat adapters remember its message. */
  readonly approval?: number;
}

export interface Context {
  readonly command: Command;
  readonly ops: Ops;
  /** Shows the reply so far: adapters edit one message in place, or print a line. */
  readonly progress: (reply: Reply) => void;
  /**
   * Shows lines as they arrive, below the reply (a chat thread, the terminal): a live
   * follow of transmissions. Absent where nothing can show them (the HTTP API).
   */
  readonly stream?: ((lines: readonly string[]) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Reads a value typed on Otto's machine; absent in chat. */
  readonly readSecret?: ((prompt: string) => Promise<string>) | undefined;
  /** Asks the person at Otto's terminal a yes/no question; absent in chat (buttons ask there). */
  readonly confirm?: ((question: string) => Promise<boolean>) | undefined;
  /** Told of each deployment a launch or return records, as soon as it is recorded. */
  readonly onDeployment?: ((deployment: Deployment) => void) | undefined;
  /** The actor's role, for `fleet` when given (fleet access overrides apply). */
  role(fleet?: FleetConfig): Role;
  /** Throws RefusedError unless the actor has `needed`; `action` reads "unlock shop". */
  authorize(needed: Role, action: string, fleet?: FleetConfig): void;
}

export type Handler = (ctx: Context) => Promise<Reply>;
