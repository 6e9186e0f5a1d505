// What the real peers the tests and benchmarks start (Dovecot, PostgreSQL) need
// from this machine: a free port on loopback, and a system user's ids.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nobody listens on now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A system user's uid and gid (the user a server drops to, or is started as). */
export function userIds(user: string): { uid: number; gid: number } {
  const uid = spawnSync('id', ['-u', user]).stdout.toString().trim();
  const gid = spawnSync('id', ['-g', user]).stdout.toString().trim();
  return { uid: Number(uid), gid: Number(gid) };
}
