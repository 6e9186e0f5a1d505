// A real IMAP server for the tests and benchmarks: Dovecot from Debian
// (dovecot-imapd), started on loopback with its own configuration, users and
// mail in a directory of the caller's. Plain-text login without TLS is allowed:
// it listens on 127.0.0.1 only.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort, userIds } from './local-host.ts';
import { join } from 'node:path';

export const DOVECOT = '/usr/sbin/dovecot';

/** Why Dovecot cannot run here, or null when it can. */
export function dovecotUnavailable(): string | null {
  if (!existsSync(DOVECOT)) return 'Dovecot is not installed (apt install dovecot-imapd)';
  if (process.getuid?.() !== 0) return 'the test Dovecot is started as root (it drops to the dovecot user)';
  return null;
}

export interface Dovecot {
  port: number;
  dir: string;
  /** Adds a user (password in the clear: loopback only). */
  addUser(user: string, password: string): void;
  /**
   * Puts messages straight into a user's folder as Maildir files (new/), as a
   * local delivery agent would: Dovecot sees them at its next look, and a
   * session in IDLE hears of them. Much faster than APPEND for thousands.
   */
  deliver(user: string, folder: string, messages: readonly string[]): void;
  /** The messages of a user's mailbox folder, as files (Maildir), with their flags. */
  messages(user: string, folder: string): { raw: string; flags: string }[];
  stop(): Promise<void>;
}

/**
 * Starts Dovecot. `specialUse: false` leaves the Sent folder without its
 * \Sent attribute (a server that does not announce SPECIAL-USE).
 */
export interface DovecotOptions {
  specialUse?: boolean;
  sentName?: string;
  /** Also take XOAUTH2 logins, asking this introspection endpoint (RFC 7662) whose token it is. */
  oauth2IntrospectionUrl?: string;
}

export async function startDovecot(dir: string, options: DovecotOptions = {}): Promise<Dovecot> {
  const port = await freePort();
  const mail = userIds('dovecot');
  // Dovecot's auth and mail processes run as the dovecot user: they must reach the directory (and so must its parents).
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (const sub of ['run', 'home', 'state']) mkdirSync(join(dir, sub), { recursive: true });
  chownSync(join(dir, 'home'), mail.uid, mail.gid);
  const users = join(dir, 'users');
  writeFileSync(users, '');
  const sent = options.sentName ?? 'Sent';
  const specialUse = options.specialUse === false ? '' : 'special_use = \\Sent';
  const oauth2 = options.oauth2IntrospectionUrl ? `passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = ${dir}/oauth2.conf\n}\n` : '';
  if (options.oauth2IntrospectionUrl) {
    writeFileSync(
      join(dir, 'oauth2.conf'),
      `introspection_mode = post\nintrospection_url = ${options.oauth2IntrospectionUrl}\nusername_attribute = email\nactive_attribute = active\nactive_value = true\nforce_introspection = yes\n`,
    );
  }
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = mailroom-test-${port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login${oauth2 ? ' xoauth2 oauthbearer' : ''}
first_valid_uid = ${mail.uid}
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${users}
}
${oauth2}userdb {
  driver = static
  args = uid=${mail.uid} gid=${mail.gid} home=${dir}/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox "${sent}" {
    auto = subscribe
    ${specialUse}
  }
  mailbox Drafts {
    auto = subscribe
    special_use = \\Drafts
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
`,
  );
  const child = spawn(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '';
      child.kill('SIGKILL');
      throw new Error(`Dovecot did not start: ${output}${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const folderPath = (user: string, folder: string): string =>
    folder === 'INBOX' ? join(dir, 'home', user, 'Maildir') : join(dir, 'home', user, 'Maildir', `.${folder.replace(/\//g, '.')}`);
  return {
    port,
    dir,
    addUser(user, password) {
      writeFileSync(users, `${readFileSync(users, 'utf8')}${user}:{PLAIN}${password}\n`);
    },
    deliver(user, folder, messages) {
      const base = folderPath(user, folder);
      for (const sub of ['', 'cur', 'new', 'tmp']) {
        mkdirSync(join(base, sub), { recursive: true });
        chownSync(join(base, sub), mail.uid, mail.gid);
      }
      for (const sub of [join(dir, 'home', user), join(dir, 'home', user, 'Maildir')]) chownSync(sub, mail.uid, mail.gid);
      const stamp = Date.now();
      messages.forEach((raw, i) => {
        // Maildir names are unique per delivery: time, a sequence, the host.
        const name = `${Math.floor(stamp / 1000)}.M${stamp % 1000}Q${i}.mailroom-test`;
        writeFileSync(join(base, 'tmp', name), raw);
        chownSync(join(base, 'tmp', name), mail.uid, mail.gid);
        renameSync(join(base, 'tmp', name), join(base, 'new', name));
      });
    },
    messages(user, folder) {
      const base = folderPath(user, folder);
      const found: { raw: string; flags: string }[] = [];
      for (const sub of ['cur', 'new']) {
        const path = join(base, sub);
        if (!existsSync(path)) continue;
        for (const name of spawnSync('ls', [path]).stdout.toString().split('\n').filter(Boolean)) {
          found.push({ raw: readFileSync(join(path, name), 'utf8'), flags: name.includes(':2,') ? (name.split(':2,')[1] ?? '') : '' });
        }
      }
      return found;
    },
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
