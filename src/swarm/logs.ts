import { clipLine, type SecretMask } from '../store/secret-mask.js';
import { serviceLogs, serviceName, type LogsOptions } from './argv.js';
import type { Transport } from '../transport/transport.js';

export interface LogsResult {
  readonly lines: readonly string[];
  /** Set when Docker said some tasks' logs could not be read (a node is down). */
  readonly incomplete: string | undefined;
  readonly missing: readonly string[];
}

/**
 * `docker service logs` can wait for ever on a node that is cut off: give up after
 * this long and show what arrived.
 */
export const LOGS_TIMEOUT_MS = 10_000;

/** A line a task wrote: `myapp_web.1@node-1    | hello`. */
const TASK_LINE = /^\S+\.\d+@\S+\s+\|/;
const INCOMPLETE =
  /incomplete log stream|node .*(is )?(down|unavailable)|not available on node|error from daemon in stream/i;

/**
 * Docker says `... incomplete log stream. some logs could not be retrieved for the
 * following reasons: node abc123 is not available, task xyz has not been scheduled`.
 * Keep just the reasons, in Otto's words.
 */
export function explainIncomplete(line: string): string {
  const reasons = /following reasons:\s*(.*)$/i.exec(line.trim())?.[1];
  if (!reasons) return line.trim();
  return reasons
    .split(/,\s*/)
    .map((r) => r.replace(/^node (\S+) is not available$/i, 'node $1 is down'))
    .join(', ');
}

/**
 * Reads `docker service logs` of some services of a fleet. Secret values are
 * masked on the whole output before it is split into lines (so a value printed
 * across several lines is found too), then long lines are clipped.
 */
export async function fleetLogs(
  transport: Transport,
  fleet: string,
  services: readonly string[],
  opts: LogsOptions,
  mask: SecretMask,
): Promise<LogsResult> {
  const results = await Promise.all(
    services.map(async (svc) => ({
      svc,
      res: await transport.run(serviceLogs(serviceName(fleet, svc), opts), {
        timeoutMs: LOGS_TIMEOUT_MS,
        partialOnTimeout: true,
      }),
    })),
  );
  const lines: string[] = [];
  const missing: string[] = [];
  let incomplete: string | undefined;
  for (const { svc, res } of results) {
    if (res.exitCode !== 0 && /no such (task or )?service|not found/i.test(res.stderr)) {
      missing.push(svc);
      continue;
    }
    const prefix = services.length > 1 ? `${svc} | ` : '';
    const fromTasks = (l: string) => TASK_LINE.test(l);
    const errLines = mask
      .mask(res.stderr)
      .split('\n')
      .filter((l) => l.trim());
    for (const line of [...mask.mask(res.stdout).split('\n'), ...errLines.filter(fromTasks)]) {
      if (line.trim()) lines.push(clipLine(prefix + line));
    }
    const problems = errLines.filter((l) => !fromTasks(l));
    if (res.timedOut) {
      problems.unshift(
        `docker service logs of ${svc} did not finish within ${LOGS_TIMEOUT_MS / 1000} s: a node that ran its tasks may be unreachable`,
      );
    }
    const problem =
      problems.find((l) => INCOMPLETE.test(l)) ?? (res.exitCode !== 0 ? problems[0] : undefined);
    if (problem) incomplete = clipLine(explainIncomplete(problem));
  }
  return { lines, incomplete, missing };
}
