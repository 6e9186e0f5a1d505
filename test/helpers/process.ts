// Runs mailroom as a separate process (the real `bin/mailroom.js`), for the CLI
// tests and the crash test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BIN = new URL('../../bin/mailroom.js', import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Spawned servers answer DNS from an empty zone file: tests never touch real DNS. */
function noDns(env: Record<string, string>): Record<string, string> {
  if (env.MAILROOM_DNS_ZONE_FILE || !env.MAILROOM_DATA_DIR) return env;
  mkdirSync(env.MAILROOM_DATA_DIR, { recursive: true });
  const path = join(env.MAILROOM_DATA_DIR, 'zone.json');
  writeFileSync(path, '{}');
  return { ...env, MAILROOM_DNS_ZONE_FILE: path };
}

export function runCli(args: string[], env: Record<string, string>, input?: string): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...env }, encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** runCli without blocking this process: for tests whose other end (a provider) runs in it. */
export function runCliAsync(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input ?? '');
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** The environment without any MAILROOM_ variables of the developer's shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAILROOM_')));
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** The HTTP API's port (0 when disabled). */
  httpPort: number;
  logLines: string[];
  exited: Promise<number | null>;
}

/** Starts `mailroom serve` and resolves once its log says which port it listens on. */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...cleanEnv(), MAILROOM_SMTP_PORT: '0', MAILROOM_HTTP_PORT: '0', ...noDns(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let smtpPort = 0;
  let httpPort = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logLines.push(line);
      const entry = JSON.parse(line) as { msg?: string; port?: number };
      if (entry.msg === 'mailroom listening for SMTP' && entry.port) smtpPort = entry.port;
      // The HTTP API (when enabled) is announced right after SMTP.
      const ready = entry.msg === 'mailroom HTTP API listening' || (entry.msg === 'mailroom listening for SMTP' && env.MAILROOM_HTTP_ENABLED === 'false');
      if (entry.msg === 'mailroom HTTP API listening' && entry.port) httpPort = entry.port;
      if (ready && smtpPort) {
        clearTimeout(timer);
        resolve({ child, port: smtpPort, httpPort, logLines, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${stderr}`));
    });
  });
}
