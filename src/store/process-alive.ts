import { hostname } from 'node:os';

export const HOSTNAME = hostname();

/** True when a process with this pid runs on this machine (EPERM: it runs, as someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process that wrote a row. */
export interface Owner {
  readonly pid: number;
  readonly hostname: string;
}

/**
 * A row written by a process that has died: on this machine, one whose pid is gone;
 * on any machine, `gone`, an Otto known to be dead (its lease expired). Other hosts'
 * rows are otherwise left alone.
 */
export function ownerIsDead(row: Owner, gone?: Owner): boolean {
  if (gone && row.hostname === gone.hostname && row.pid === gone.pid) return true;
  return row.hostname === HOSTNAME && row.pid !== process.pid && !processAlive(row.pid);
}
