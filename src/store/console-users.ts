// People who sign in to the web console, and their sessions. Secrets are kept
// only as hashes: the password (scrypt, by the caller), the one-time setup
// link's token and the session id (SHA-256, by the caller).
import type { Sql } from './sql/sql.ts';

export type ConsoleRole = 'recruiter' | 'admin' | 'operator';

export interface ConsoleUser {
  id: number;
  /** Null for an operator, who sees every tenant. */
  tenantId: number | null;
  tenant: string | null;
  email: string;
  role: ConsoleRole;
  /** Whether the person has set a password (through the one-time link). */
  active: boolean;
  createdAt: string;
}

export interface ConsoleSession {
  userId: number;
  csrf: string;
  expiresAt: string;
}

interface Row {
  id: number;
  tenant_id: number | null;
  tenant: string | null;
  email: string;
  role: ConsoleRole;
  password_hash: string | null;
  created_at: string;
}

const SELECT = `SELECT u.id, u.tenant_id, t.slug AS tenant, u.email, u.role, u.password_hash, u.created_at FROM console_users u LEFT JOIN tenants t ON t.id = u.tenant_id`;

const toUser = (r: Row): ConsoleUser => ({
  id: r.id,
  tenantId: r.tenant_id,
  tenant: r.tenant,
  email: r.email,
  role: r.role,
  active: r.password_hash !== null,
  createdAt: r.created_at,
});

export class ConsoleUserStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async add(user: {
    tenantId: number | null;
    email: string;
    role: ConsoleRole;
    setupHash: string;
    setupExpiresAt: string;
    createdAt: string;
  }): Promise<ConsoleUser> {
    const id = (
      (await this.sql
        .prepare('INSERT INTO console_users (tenant_id, email, role, setup_hash, setup_expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
        .get(user.tenantId, user.email, user.role, user.setupHash, user.setupExpiresAt, user.createdAt)) as { id: number }
    ).id;
    return (await this.get(Number(id))) as ConsoleUser;
  }

  async get(id: number): Promise<ConsoleUser | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE u.id = ?`).get(id)) as Row | undefined;
    return row ? toUser(row) : null;
  }

  async byEmail(email: string): Promise<(ConsoleUser & { passwordHash: string | null }) | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE u.email = ?`).get(email)) as Row | undefined;
    return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
  }

  async list(tenantIds?: readonly number[]): Promise<ConsoleUser[]> {
    const rows = tenantIds
      ? ((await this.sql
          .prepare(`${SELECT} WHERE u.tenant_id IN (${this.sql.fn.jsonValues('integer')}) ORDER BY u.id`)
          .all(JSON.stringify(tenantIds))) as Row[])
      : ((await this.sql.prepare(`${SELECT} ORDER BY u.id`).all()) as Row[]);
    return rows.map(toUser);
  }

  async remove(id: number): Promise<boolean> {
    return (await this.sql.prepare('DELETE FROM console_users WHERE id = ?').run(id)).changes > 0;
  }

  /** The user a setup link's token (hash) belongs to, while it is valid. */
  async bySetupHash(setupHash: string, now: string): Promise<ConsoleUser | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE u.setup_hash = ? AND u.setup_expires_at > ?`).get(setupHash, now)) as Row | undefined;
    return row ? toUser(row) : null;
  }

  /** Sets the password and spends the setup link; every session of the user ends. */
  async setPassword(id: number, passwordHash: string): Promise<void> {
    await this.sql.prepare('UPDATE console_users SET password_hash = ?, setup_hash = NULL, setup_expires_at = NULL WHERE id = ?').run(passwordHash, id);
    await this.sql.prepare('DELETE FROM console_sessions WHERE user_id = ?').run(id);
  }

  /** A new setup link (a lost password): the old password stays until the link is used. */
  async renewSetup(id: number, setupHash: string, expiresAt: string): Promise<void> {
    await this.sql.prepare('UPDATE console_users SET setup_hash = ?, setup_expires_at = ? WHERE id = ?').run(setupHash, expiresAt, id);
  }

  /** Records a session; sessions that ran out go at the same time, so the table holds only live ones. */
  async createSession(idHash: string, userId: number, csrf: string, createdAt: string, expiresAt: string): Promise<void> {
    await this.sql.prepare('DELETE FROM console_sessions WHERE expires_at <= ?').run(createdAt);
    await this.sql
      .prepare('INSERT INTO console_sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(idHash, userId, csrf, createdAt, expiresAt);
  }

  async session(idHash: string, now: string): Promise<ConsoleSession | null> {
    const row = (await this.sql.prepare('SELECT user_id, csrf, expires_at FROM console_sessions WHERE id_hash = ? AND expires_at > ?').get(idHash, now)) as
      { user_id: number; csrf: string; expires_at: string } | undefined;
    return row ? { userId: row.user_id, csrf: row.csrf, expiresAt: row.expires_at } : null;
  }

  async endSession(idHash: string): Promise<void> {
    await this.sql.prepare('DELETE FROM console_sessions WHERE id_hash = ?').run(idHash);
  }

  /** Notes that the user opened the message (the queue shows it read from then on). */
  async markRead(userId: number, messageId: string, at: string): Promise<void> {
    await this.sql.prepare('INSERT INTO console_reads (user_id, message_id, read_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(userId, messageId, at);
  }

  /** Which of these messages the user has opened. */
  async readAmong(userId: number, messageIds: readonly string[]): Promise<Set<string>> {
    if (messageIds.length === 0) return new Set();
    const rows = (await this.sql
      .prepare(`SELECT message_id FROM console_reads WHERE user_id = ? AND message_id IN (${this.sql.fn.jsonValues('text')})`)
      .all(userId, JSON.stringify(messageIds))) as { message_id: string }[];
    return new Set(rows.map((r) => r.message_id));
  }
}
