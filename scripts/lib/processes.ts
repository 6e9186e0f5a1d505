// Child processes for benchmarks: start a server, learn its port from its log,
// read its peak RSS, stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface ServerChild {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a server process with its stdout going to a file (as a real deployment's
 * log would), so this process, which is also the load client, spends nothing on
 * reading the server's log. The port comes from the first log line that has one.
 */
export function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  portFrom: (entry: Record<string, unknown>) => number | undefined,
): Promise<ServerChild> {
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', out, 'inherit'] });
  closeSync(out);
  const stop = (): Promise<void> =>
    new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const started = Date.now();
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    const poll = setInterval(() => {
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const port = portFrom(entry);
        if (port) {
          clearInterval(poll);
          return resolve({ child, port, stop });
        }
      }
      if (Date.now() - started > 20_000) {
        clearInterval(poll);
        reject(new Error(`${args.join(' ')} did not start in 20 s (log: ${logFile})`));
      }
    }, 50);
  });
}

/** Peak resident set size (VmHWM) of a process, in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Current resident set size (VmRSS) of a process, in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU time (user + system, all threads) a process has used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
