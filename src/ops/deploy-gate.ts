import type { RunResult, Transport } from '../transport/transport.js';

/** A `docker stack deploy` started before its compose is sent (see {@link gatedDeploy}). */
export interface GatedDeploy {
  /** Sends the compose: the deploy goes on. Its result, as the transport gives it. */
  send(text: string): Promise<RunResult>;
  /** Ends it with nothing sent, and waits until it has ended. Nothing after a send. */
  cancel(): Promise<void>;
}

/** Deploys of a cluster waiting for their compose: at most one at a time. */
const waiting = new WeakSet<Transport>();

/**
 * Starts a deploy whose input comes later, so its SSH session and the docker CLI's
 * start-up overlap what Otto does first (the read of the fleet, the record). This is
 * safe because `docker stack deploy -c -` reads all of its input before its first
 * call to the engine: nothing in the Swarm changes before `send`. `cancel` sends TERM
 * and an empty input, which the CLI refuses without a call.
 *
 * A waiting deploy holds one of the SSH connection's channels while the reads it waits
 * for need others, so only one deploy per cluster waits at a time; `undefined` when one
 * already does (that launch deploys once it is ready, as before).
 */
export function gatedDeploy(
  transport: Transport,
  run: (stdin: Promise<string>) => Promise<RunResult>,
): GatedDeploy | undefined {
  if (waiting.has(transport)) return undefined;
  waiting.add(transport);
  let resolve!: (text: string) => void;
  let reject!: (reason: Error) => void;
  const input = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Handled here: a cancel before the transport reads the input is no unhandled rejection.
  input.catch(() => {});
  void input.finally(() => waiting.delete(transport)).catch(() => {});
  const result = run(input);
  result.catch(() => {});
  return {
    send(text) {
      resolve(text);
      return result;
    },
    async cancel() {
      reject(new Error('the launch ended before its compose was sent'));
      await result.catch(() => {});
    },
  };
}
