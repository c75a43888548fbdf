import type { RunOptions, RunResult, Transport } from '../../src/transport/transport.js';

/** What an answer sees of a call's options: its input as text, once it came. */
export type AnsweredOptions = Omit<RunOptions, 'stdin'> & { readonly stdin?: string };

/** A canned answer, or one computed from the call. */
export type Answer = RunResult | ((argv: readonly string[], options: AnsweredOptions) => RunResult);

/** One call the recorder saw. */
export interface Call {
  readonly argv: readonly string[];
  readonly stdin: string | undefined;
  /** The argv words the caller named secret (see RunOptions.redact). */
  readonly redact?: readonly string[] | undefined;
}

export const ok = (stdout = ''): RunResult => ({ exitCode: 0, stdout, stderr: '' });
export const failed = (stderr: string, exitCode = 1): RunResult => ({
  exitCode,
  stdout: '',
  stderr,
});

/** `docker service ps --no-trunc …` → `service ps`; `docker login …` → `login`. */
export function verbOf(argv: readonly string[]): string {
  const words = argv[0] === 'docker' ? argv.slice(1) : argv;
  const two = words.slice(0, 2).filter((w) => !w.startsWith('-'));
  return ['service', 'stack', 'node', 'swarm', 'secret', 'config'].includes(two[0] ?? '')
    ? two.join(' ')
    : (two[0] ?? '');
}

/**
 * The test double of a manager, in the style of kamal's CLI tests: answers each docker
 * call by its verb (`service ps`, `stack deploy`, `login`) and records every argv
 * with its stdin, so a test can assert the exact sequence of commands a flow sent.
 * An unanswered verb succeeds with no output, or goes to `inner` when one is given.
 *
 * @example
 * const manager = new RecordingTransport({ 'service ls': ok('{"Name":"shop_web"}') });
 * // ... run a flow against it, then:
 * expect(manager.argvs()).toEqual([['docker', 'service', 'ls', '--format', '{{json .}}']]);
 */
export class RecordingTransport implements Transport {
  readonly target = 'recording';
  readonly calls: Call[] = [];
  private readonly answers = new Map<string, Answer>();

  /** `inner`: a real transport that answers every verb not given here (calls are still recorded). */
  constructor(
    answers: Readonly<Record<string, Answer>> = {},
    private readonly inner?: Transport,
  ) {
    for (const [verb, answer] of Object.entries(answers)) this.answers.set(verb, answer);
  }

  /** Sets (or replaces) the answer to a verb. */
  on(verb: string, answer: Answer): this {
    this.answers.set(verb, answer);
    return this;
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const call: { -readonly [K in keyof Call]: Call[K] } = {
      argv: [...argv],
      stdin: undefined,
      ...(options.redact ? { redact: options.redact } : {}),
    };
    // Recorded when sent, in order; an input that comes later is filled in when it comes.
    this.calls.push(call);
    let stdin: string | undefined;
    try {
      stdin = await options.stdin;
    } catch {
      // Ended before its input came: the docker CLI reads an empty file and refuses it.
      return failed('top-level object must be a mapping');
    }
    call.stdin = stdin;
    const answered: AnsweredOptions = { ...options, stdin };
    const answer = this.answers.get(verbOf(argv));
    if (answer === undefined) return this.inner ? this.inner.run(argv, answered) : ok();
    return typeof answer === 'function' ? answer(argv, answered) : answer;
  }

  /** Every argv sent, in order. */
  argvs(): string[][] {
    return this.calls.map((c) => [...c.argv]);
  }

  /** The verbs sent, in order: a short transcript. */
  verbs(): string[] {
    return this.calls.map((c) => verbOf(c.argv));
  }

  async close(): Promise<void> {
    await this.inner?.close();
  }
}
