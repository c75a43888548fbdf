import { createInterface, type Interface } from 'node:readline';
import { OttoError } from '../errors.js';
import type { Checked } from './fields.js';

/** One numbered choice of a question. */
export interface Choice<T extends string> {
  readonly value: T;
  readonly label: string;
}

/**
 * Asks a person, one question at a time. Enter takes the default, shown in brackets;
 * an answer that `check` refuses is told why and asked again.
 */
export interface Prompter {
  text<T = string>(
    question: string,
    options?: { readonly default?: string; readonly check?: (answer: string) => Checked<T> },
  ): Promise<T>;
  choose<T extends string>(
    question: string,
    choices: readonly Choice<T>[],
    defaultValue: T,
  ): Promise<T>;
  confirm(question: string, defaultYes: boolean): Promise<boolean>;
  /** True once the person pressed Ctrl-C, even between questions. */
  stopped(): boolean;
  close(): void;
}

/** Ctrl-C or Ctrl-D at a question. */
export class InitStoppedError extends OttoError {
  override readonly code = 'init_stopped';
  constructor() {
    super('Stopped: nothing was written.', 'Run otto init again when ready.');
  }
}

/** How a line the person typed reads against the choices: a number or the value's word. */
export function pickChoice<T extends string>(
  answer: string,
  choices: readonly Choice<T>[],
  defaultValue: T,
): T | undefined {
  const a = answer.trim().toLowerCase();
  if (a === '') return defaultValue;
  const n = Number(a);
  if (Number.isInteger(n) && n >= 1 && n <= choices.length) return choices[n - 1]!.value;
  return choices.find((c) => c.value === a)?.value;
}

/** Reads yes or no: `y`, `yes`, `n`, `no`, or Enter for the default. Undefined otherwise. */
export function pickYesNo(answer: string, defaultYes: boolean): boolean | undefined {
  const a = answer.trim().toLowerCase();
  if (a === '') return defaultYes;
  if (a === 'y' || a === 'yes') return true;
  if (a === 'n' || a === 'no') return false;
  return undefined;
}

/**
 * Questions on `output` (stderr, so stdout stays the result), answers from `input`,
 * through one readline interface for the whole session. Lines typed ahead wait in a
 * queue for the next question, so none is lost; Ctrl-C or the end of input stops.
 */
export function terminalPrompter(
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): Prompter {
  const terminal = output.isTTY === true;
  const rl: Interface = createInterface({ input, output, terminal });
  const typed: string[] = [];
  let waiting: { resolve(line: string): void; reject(e: Error): void } | undefined;
  /** No more answers: the input ended (Ctrl-D), or Ctrl-C. */
  let ended = false;
  /** Ctrl-C: stop now, even between questions. */
  let interrupted = false;
  const stop = () => {
    ended = true;
    waiting?.reject(new InitStoppedError());
    waiting = undefined;
  };
  rl.on('line', (line: string) => {
    const w = waiting;
    waiting = undefined;
    if (w) w.resolve(line);
    else typed.push(line);
  });
  rl.on('SIGINT', () => {
    output.write('\n');
    interrupted = true;
    stop();
  });
  let closed = false;
  rl.on('close', () => {
    closed = true;
    stop();
  });

  const ask = (query: string): Promise<string> => {
    if (interrupted) return Promise.reject(new InitStoppedError());
    // Answers typed ahead of an input that has ended are still read (a closed readline can't prompt).
    if (closed) output.write(query);
    else {
      rl.setPrompt(query);
      rl.prompt();
    }
    // A terminal echoes the answer and its Enter; elsewhere the next line starts here.
    const answered = (line: string) => {
      if (!terminal) output.write('\n');
      return line;
    };
    const next = typed.shift();
    if (next !== undefined) return Promise.resolve(answered(next));
    if (ended) return Promise.reject(new InitStoppedError());
    return new Promise<string>((resolve, reject) => (waiting = { resolve, reject })).then(answered);
  };
  const say = (line: string) => output.write(`${line}\n`);

  return {
    async text<T = string>(
      question: string,
      options: { default?: string; check?: (answer: string) => Checked<T> } = {},
    ): Promise<T> {
      const suffix = options.default !== undefined ? ` [${options.default}]` : '';
      for (;;) {
        const line = (await ask(`${question}${suffix}: `)).trim();
        const answer = line === '' ? (options.default ?? '') : line;
        if (answer === '') {
          say('  An answer is needed here.');
          continue;
        }
        if (!options.check) return answer as T;
        const c = options.check(answer);
        if (c.ok) return c.value;
        say(`  ${c.message.charAt(0).toUpperCase()}${c.message.slice(1)}. Try again.`);
      }
    },
    async choose<T extends string>(
      question: string,
      choices: readonly Choice<T>[],
      defaultValue: T,
    ): Promise<T> {
      const index = choices.findIndex((c) => c.value === defaultValue) + 1;
      const menu = choices.map((c, i) => `  ${i + 1}) ${c.label}`).join('\n');
      say(`${question}\n${menu}`);
      for (;;) {
        const picked = pickChoice(
          await ask(`Choose 1-${choices.length} [${index}]: `),
          choices,
          defaultValue,
        );
        if (picked !== undefined) return picked;
        say(`  Type a number from 1 to ${choices.length}, or Enter for ${index}.`);
      }
    },
    async confirm(question: string, defaultYes: boolean): Promise<boolean> {
      for (;;) {
        const yes = pickYesNo(
          await ask(`${question} ${defaultYes ? '[Y/n]' : '[y/N]'}: `),
          defaultYes,
        );
        if (yes !== undefined) return yes;
        say('  Type y or n.');
      }
    },
    stopped: () => interrupted,
    close() {
      if (!closed) rl.close();
    },
  };
}
