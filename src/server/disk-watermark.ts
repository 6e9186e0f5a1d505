// The free-space floor of the data directory's filesystem (data.minFreeMb).
// Everything mailroom writes lands there (database and WAL, spool files,
// attachments), so new messages are refused with 452 before the disk is full
// rather than failing mid-write. statfs is cheap but not free: the answer is
// kept for a second, far shorter than any disk takes to fill.
import { statfsSync } from 'node:fs';

export interface DiskWatermark {
  /** True while free space is below the floor. */
  low(): boolean;
  /** Free bytes at the last look. */
  freeBytes(): number;
}

export function diskWatermark(dataDir: string, minFreeMb: number, nowMs: () => number = Date.now): DiskWatermark {
  let checkedAt = -Infinity;
  let free = Number.POSITIVE_INFINITY;
  const look = (): number => {
    const now = nowMs();
    if (now - checkedAt >= 1000) {
      checkedAt = now;
      try {
        const stats = statfsSync(dataDir);
        free = stats.bavail * stats.bsize;
      } catch {
        // Cannot look (the directory went away): writing will fail and say so; do not refuse on a guess.
        free = Number.POSITIVE_INFINITY;
      }
    }
    return free;
  };
  return {
    low: () => minFreeMb > 0 && look() < minFreeMb * 1024 * 1024,
    freeBytes: look,
  };
}
