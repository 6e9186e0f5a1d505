// A private Postfix instance for the intake benchmark: the trusted durable MTA
// to compare with. Its own config and queue in a temp dir, smtpd on a loopback
// port, relaying only for the benchmark's domain into the discard transport,
// no DNS, run in the foreground as our child. Postfix's master must start as
// root; without root or without Postfix (apt: postfix) the comparison is
// skipped with a note.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export interface PostfixInstance {
  port: number;
  stop(): Promise<void>;
}

const POSTFIX = '/usr/sbin/postfix';

/** Why the comparison cannot run here, or null when it can. */
export function postfixUnavailable(): string | null {
  if (!existsSync(POSTFIX) || !existsSync('/etc/postfix/master.cf')) return 'Postfix is not installed (apt install postfix)';
  if (process.getuid?.() !== 0) return 'Postfix needs root to start its master process';
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startPostfix(dir: string, relayDomain: string): Promise<PostfixInstance> {
  const base = join(dir, 'postfix');
  const conf = join(base, 'conf');
  for (const sub of ['conf', 'queue', 'data']) mkdirSync(join(base, sub), { recursive: true });
  // Postfix's own user must reach its queue and own its data directory.
  chmodSync(dir, 0o755);
  chmodSync(base, 0o755);
  execFileSync('chown', ['postfix', join(base, 'data')]);
  const port = await freePort();
  const main = [
    'compatibility_level = 3.6',
    `queue_directory = ${join(base, 'queue')}`,
    `data_directory = ${join(base, 'data')}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'myhostname = postfix-bench.localhost',
    'mydestination =',
    'mynetworks = 127.0.0.0/8',
    `relay_domains = ${relayDomain}`,
    'default_transport = discard',
    'relay_transport = discard',
    'smtpd_relay_restrictions = reject_unauth_destination',
    'smtpd_recipient_restrictions = reject_unauth_destination',
    'smtpd_peername_lookup = no',
    'smtpd_client_connection_count_limit = 0',
    'smtpd_client_connection_rate_limit = 0',
    'default_process_limit = 200',
    'message_size_limit = 36700160',
    'alias_maps =',
    'alias_database =',
    'maillog_file = /dev/stdout',
  ].join('\n');
  writeFileSync(join(conf, 'main.cf'), `${main}\n`);
  // The distribution's master.cf, with smtpd on our port and out of the chroot.
  writeFileSync(
    join(conf, 'master.cf'),
    readFileSync('/etc/postfix/master.cf', 'utf8').replace(/^smtp\s+inet\s+.*$/m, `127.0.0.1:${port} inet n - n - - smtpd`),
  );
  const log = openSync(join(base, 'postfix.log'), 'w');
  const child = spawn(POSTFIX, ['-c', conf, 'start-fg'], { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = Date.now();
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() - started > 20_000) throw new Error(`the private Postfix did not start (log: ${join(base, 'postfix.log')})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode === null) {
        try {
          execFileSync(POSTFIX, ['-c', conf, 'stop'], { stdio: 'ignore' });
        } catch {
          child.kill('SIGTERM');
        }
        await exited;
      }
    },
  };
}
