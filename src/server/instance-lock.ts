// One `mailroom serve` per data directory. The embedded store has a single
// worker, so a job still 'running' when a new server takes the lock was left by a
// process that died, and can be taken up at once instead of after its lease.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class InstanceLockError extends Error {
  override name = 'InstanceLockError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface InstanceLock {
  release(): void;
}

export function acquireInstanceLock(dataDir: string): InstanceLock {
  const path = join(resolve(dataDir), 'serve.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new InstanceLockError(`another mailroom server (pid ${pid}) is running on ${resolve(dataDir)}; stop it first or use another data.dir`);
      }
      rmSync(path, { force: true }); // left by a process that died
    }
  }
  throw new InstanceLockError(`could not take the lock ${path}`);
}
