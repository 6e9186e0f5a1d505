// A real PostgreSQL for the tests and benchmarks: Debian's `postgresql`
// package, a private cluster made with initdb in a directory of the caller's
// and started on loopback (a free port, its socket in that directory). As root
// it runs as the `postgres` user, since PostgreSQL refuses to run as root.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, userIds } from './local-host.ts';

/** The newest installed server's binaries (/usr/lib/postgresql/<version>/bin), or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** Why PostgreSQL cannot run here, or null when it can. */
export function postgresUnavailable(): string | null {
  if (!postgresBinDir()) return 'PostgreSQL is not installed (apt install postgresql)';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0)
    return 'running as root, and there is no postgres user to run PostgreSQL as';
  return null;
}

export interface PostgresCluster {
  port: number;
  /** A URL for a database of the cluster (the superuser is `mailroom`, trusted on loopback). */
  url(database: string): string;
  /** Makes a new empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (a fast shutdown); the data stays. */
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same port. */
  start(): Promise<void>;
}

export interface StartOptions {
  /** fsync at commits (true for benchmarks, whose figures must be real; tests may skip it: a test never loses power). */
  fsync?: boolean;
  maxConnections?: number;
  /** More server settings (`-c name=value`), e.g. shared_preload_libraries. */
  settings?: [string, string][];
}

/** initdb in `dir`, then start the server; resolves once it accepts connections. */
export async function startPostgres(dir: string, options: StartOptions = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const unavailable = postgresUnavailable();
  if (!bin || unavailable) throw new Error(`cannot start PostgreSQL: ${unavailable}`);
  // As root, both run as the postgres user (spawned with its uid, so a signal reaches the server itself).
  const owner = process.getuid?.() === 0 ? userIds('postgres') : null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'mailroom', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
    encoding: 'utf8',
    cwd: dir,
    ...(owner ?? {}),
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const settings = [
    ['listen_addresses', '127.0.0.1'],
    ['port', String(port)],
    ['unix_socket_directories', dir],
    ['fsync', options.fsync ? 'on' : 'off'],
    ['max_connections', String(options.maxConnections ?? 200)],
    ['shared_buffers', '128MB'],
    ...(options.settings ?? []),
  ];
  const url = (database: string): string => `postgres://mailroom@127.0.0.1:${port}/${database}`;
  const launch = async (): Promise<{ child: ChildProcess; exited: Promise<void> }> => {
    const child: ChildProcess = spawn(join(bin, 'postgres'), ['-D', data, ...settings.flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: dir,
      ...(owner ?? {}),
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url('postgres') });
      try {
        await client.connect();
        await client.end();
        return { child, exited };
      } catch (err) {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${stderr}`, { cause: err });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  let running: { child: ChildProcess; exited: Promise<void> } | null = await launch();
  // A test run that ends without stopping it must not leave a server behind.
  const killOnExit = (): void => void running?.child.kill('SIGKILL');
  process.on('exit', killOnExit);
  return {
    port,
    url,
    async createDatabase(name: string): Promise<string> {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop(): Promise<void> {
      const current = running;
      running = null;
      if (!current) return;
      if (current.child.exitCode === null) current.child.kill('SIGINT'); // fast shutdown
      await current.exited;
    },
    async start(): Promise<void> {
      if (!running) running = await launch();
    },
  };
}
