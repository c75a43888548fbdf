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

/** A row written by a process that has died, on this machine. Other hosts' rows are left alone. */
export function ownerIsDead(row: { pid: number; hostname: string }): boolean {
  return row.hostname === HOSTNAME && row.pid !== process.pid && !processAlive(row.pid);
}
