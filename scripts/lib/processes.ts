// Child processes for benchmarks: start a server, learn its port from its log,
// read its peak RSS, stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

export interface MailroomServer {
  /** The process; its port is the SMTP listener's. */
  server: ServerChild;
  httpPort: number;
}

/**
 * `mailroom serve` from src/ on a prepared data dir, as a benchmark drives it:
 * ports picked free, DNS from `zone` (never the real one), its log to a file,
 * and the per-client and per-token rates lifted, since all the load comes from
 * one address (and one token), far past any real client. `env` adds to that.
 */
export async function startMailroomServe(dataDir: string, zone: Record<string, unknown>, env: Record<string, string> = {}): Promise<MailroomServer> {
  const zoneFile = join(dataDir, 'zone.json');
  writeFileSync(zoneFile, JSON.stringify(zone));
  const logFile = join(dataDir, 'mailroom.log');
  const server = await startChild(
    ['--max-semi-space-size=2', 'bin/mailroom.js', 'serve'],
    {
      ...process.env,
      MALLOC_ARENA_MAX: '2',
      MAILROOM_DNS_ZONE_FILE: zoneFile,
      MAILROOM_DATA_DIR: dataDir,
      MAILROOM_SMTP_PORT: '0',
      MAILROOM_HTTP_PORT: '0',
      MAILROOM_LOG_LEVEL: 'info',
      MAILROOM_SMTP_MAX_CONNECTIONS_PER_IP: '1000',
      MAILROOM_SMTP_MAX_MESSAGES_PER_CLIENT_PER_MINUTE: '100000000',
      MAILROOM_SMTP_MAX_RECIPIENTS_PER_CLIENT_PER_MINUTE: '100000000',
      MAILROOM_HTTP_RATE_LIMIT_PER_MINUTE: '100000000',
      ...env,
    },
    logFile,
    (e) => (e.msg === 'mailroom listening for SMTP' ? (e.port as number) : undefined),
  );
  // The HTTP API's line follows the SMTP one.
  for (let i = 0; i < 100; i++) {
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (line.includes('HTTP API listening')) return { server, httpPort: (JSON.parse(line) as { port: number }).port };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.stop();
  throw new Error(`the HTTP API did not start (log: ${logFile})`);
}
