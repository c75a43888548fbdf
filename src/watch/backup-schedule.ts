import cron from 'node-cron';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { OttoConfig } from '../config/config.js';
import { backupDatabase, scheduledBackups, scheduledName } from '../store/backup.js';

/**
 * `backup: { schedule, dir, keep }` in `otto start`: an online backup of the database
 * at each tick of the cron schedule, as `dir/otto-YYYYMMDD-HHMMSS.db` (UTC, 0600),
 * keeping the newest `keep`. A failed backup logs one line and Otto goes on; the
 * next tick tries again.
 */
export function startBackupSchedule(
  config: Pick<OttoConfig, 'backup' | 'dataDir'>,
  dbFile: string,
  log: (line: string) => void,
): { stop(): void; runOnce(): Promise<void> } | undefined {
  const b = config.backup;
  if (!b) return undefined;
  const runOnce = async () => {
    try {
      mkdirSync(b.dir, { recursive: true, mode: 0o700 });
      const copy = await backupDatabase(dbFile, join(b.dir, scheduledName(new Date())));
      for (const old of scheduledBackups(b.dir).slice(b.keep))
        rmSync(join(b.dir, old), { force: true });
      log(`💾 Backup written: ${copy.file} (${copy.bytes} bytes, schema ${copy.schema}).`);
    } catch (e) {
      log(
        `⚠️  The scheduled backup into ${b.dir} failed: ${e instanceof Error ? e.message : String(e)}. Otto keeps running; the next one is at the next tick of "${b.schedule}".`,
      );
    }
  };
  const task = cron.schedule(b.schedule, () => void runOnce(), { noOverlap: true });
  return { stop: () => void task.stop(), runOnce };
}
