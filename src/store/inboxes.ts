// Company mailboxes read over IMAP (inbox intake): their settings with the
// sealed login, how far each folder was read (UIDVALIDITY, last UID), and one
// row per message read, so a message is stored once however often it is seen.
import type { Sql } from './sql/sql.ts';

export type InboxSecurity = 'tls' | 'starttls' | 'none';
export type InboxStatus = 'pending' | 'active' | 'failing';

export interface Inbox {
  id: number;
  tenantId: number;
  tenant: string;
  address: string;
  host: string;
  port: number;
  security: InboxSecurity;
  username: string;
  folder: string;
  /** What is done to a message once stored: `leave`, `seen` (flag \Seen), or `move:<folder>`. */
  afterImport: string;
  /** Messages older than this day are not read on the first connection (ISO date), or null: all. */
  since: string | null;
  /** Whose Authentication-Results are believed (the provider's authserv-id), or null: none. */
  authservId: string | null;
  uidValidity: number | null;
  lastUid: number;
  status: InboxStatus;
  lastError: string | null;
  lastImportAt: string | null;
  createdAt: string;
  /** The operator set this server: it may be on a private network (else public only, unless relay.allowPrivateNetworks). */
  privateHostAllowed: boolean;
}

export type NewInbox = Pick<
  Inbox,
  'tenantId' | 'address' | 'host' | 'port' | 'security' | 'username' | 'folder' | 'afterImport' | 'since' | 'authservId' | 'createdAt'
> & {
  /** The login (password or OAuth2 grant), sealed by the keyring. */
  sealedSecret: string;
  privateHostAllowed?: boolean;
};

/** What an edit may change: where and as whom it connects, what it reads and what it does after. */
export type InboxSettings = Pick<Inbox, 'host' | 'port' | 'security' | 'username' | 'folder' | 'afterImport' | 'authservId' | 'privateHostAllowed'> & {
  /** A new sealed login, or null to keep the one stored. */
  sealedSecret: string | null;
};

/** One message read from a folder: where it was and what it is. */
export interface InboxImport {
  uid: number;
  /** Our message id (the ULID of the stored message). */
  messageId: string;
  /** Its Message-ID header (angle brackets included), or null. */
  headerId: string | null;
  sha256: string;
}

interface Row {
  id: number;
  tenant_id: number;
  tenant: string;
  address: string;
  host: string;
  port: number;
  security: InboxSecurity;
  username: string;
  folder: string;
  after_import: string;
  since: string | null;
  authserv_id: string | null;
  uid_validity: number | null;
  last_uid: number;
  status: InboxStatus;
  last_error: string | null;
  last_import_at: string | null;
  created_at: string;
  private_host_allowed: number;
}

const SELECT = `SELECT i.id, i.tenant_id, t.slug AS tenant, i.address, i.host, i.port, i.security, i.username, i.folder, i.after_import, i.since,
  i.authserv_id, i.uid_validity, i.last_uid, i.status, i.last_error, i.last_import_at, i.created_at, i.private_host_allowed FROM inboxes i JOIN tenants t ON t.id = i.tenant_id`;

const toInbox = (r: Row): Inbox => ({
  id: r.id,
  tenantId: r.tenant_id,
  tenant: r.tenant,
  address: r.address,
  host: r.host,
  port: r.port,
  security: r.security,
  username: r.username,
  folder: r.folder,
  afterImport: r.after_import,
  since: r.since,
  authservId: r.authserv_id,
  uidValidity: r.uid_validity,
  lastUid: r.last_uid,
  status: r.status,
  lastError: r.last_error,
  lastImportAt: r.last_import_at,
  createdAt: r.created_at,
  privateHostAllowed: Number(r.private_host_allowed) === 1,
});

export class InboxStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async add(inbox: NewInbox): Promise<Inbox> {
    const id = (
      (await this.sql
        .prepare(
          `INSERT INTO inboxes (tenant_id, address, host, port, security, username, secret, folder, after_import, since, authserv_id, created_at,
         private_host_allowed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(
          inbox.tenantId,
          inbox.address,
          inbox.host,
          inbox.port,
          inbox.security,
          inbox.username,
          inbox.sealedSecret,
          inbox.folder,
          inbox.afterImport,
          inbox.since,
          inbox.authservId,
          inbox.createdAt,
          inbox.privateHostAllowed ? 1 : 0,
        )) as { id: number }
    ).id;
    return (await this.get(Number(id))) as Inbox;
  }

  async get(id: number): Promise<Inbox | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE i.id = ?`).get(id)) as Row | undefined;
    return row ? toInbox(row) : null;
  }

  /** Every inbox, or those of these tenants. */
  async list(tenantIds?: readonly number[]): Promise<Inbox[]> {
    const rows = tenantIds
      ? ((await this.sql
          .prepare(`${SELECT} WHERE i.tenant_id IN (${this.sql.fn.jsonValues('integer')}) ORDER BY i.id`)
          .all(JSON.stringify(tenantIds))) as Row[])
      : ((await this.sql.prepare(`${SELECT} ORDER BY i.id`).all()) as Row[]);
    return rows.map(toInbox);
  }

  /** The sealed login. */
  async sealedSecret(id: number): Promise<string | null> {
    return ((await this.sql.prepare('SELECT secret FROM inboxes WHERE id = ?').pluck().get(id)) as string | undefined) ?? null;
  }

  /** New connection settings (an edit): the inbox is untested again (pending) until its next read. */
  async updateSettings(id: number, s: InboxSettings): Promise<void> {
    await this.sql
      .prepare(
        `UPDATE inboxes SET host = ?, port = ?, security = ?, username = ?, secret = COALESCE(?, secret), folder = ?, after_import = ?, authserv_id = ?,
         private_host_allowed = ?, status = 'pending', last_error = NULL WHERE id = ?`,
      )
      .run(s.host, s.port, s.security, s.username, s.sealedSecret, s.folder, s.afterImport, s.authservId, s.privateHostAllowed ? 1 : 0, id);
  }

  async remove(id: number): Promise<boolean> {
    return (await this.sql.prepare('DELETE FROM inboxes WHERE id = ?').run(id)).changes > 0;
  }

  async setStatus(id: number, status: InboxStatus, error: string | null): Promise<void> {
    await this.sql.prepare('UPDATE inboxes SET status = ?, last_error = ? WHERE id = ?').run(status, error, id);
  }

  /** The folder has a new UIDVALIDITY (or was never read): read it again from its first UID. */
  async startFolder(id: number, uidValidity: number): Promise<void> {
    await this.sql.prepare('UPDATE inboxes SET uid_validity = ?, last_uid = 0 WHERE id = ?').run(uidValidity, id);
  }

  /** The stored message this one is (by its bytes, else by its Message-ID), if it was read before. */
  async seenBefore(id: number, sha256: string, headerId: string | null): Promise<string | null> {
    const byHash = (await this.sql.prepare('SELECT message_id FROM inbox_imports WHERE inbox_id = ? AND sha256 = ? LIMIT 1').pluck().get(id, sha256)) as
      string | undefined;
    if (byHash || !headerId) return byHash ?? null;
    return (
      ((await this.sql.prepare('SELECT message_id FROM inbox_imports WHERE inbox_id = ? AND header_id = ? LIMIT 1').pluck().get(id, headerId)) as
        string | undefined) ?? null
    );
  }

  /** Whether this UID of this UIDVALIDITY was read already. */
  async hasUid(id: number, uidValidity: number, uid: number): Promise<boolean> {
    return (await this.sql.prepare('SELECT 1 FROM inbox_imports WHERE inbox_id = ? AND uid_validity = ? AND uid = ?').get(id, uidValidity, uid)) !== undefined;
  }

  /** Records messages read; call it in the transaction that stores them. */
  async recordImports(id: number, uidValidity: number, imports: readonly InboxImport[]): Promise<void> {
    const insert = this.sql.prepare(
      'INSERT INTO inbox_imports (inbox_id, uid_validity, uid, message_id, header_id, sha256) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    for (const i of imports) await insert.run(id, uidValidity, i.uid, i.messageId, i.headerId, i.sha256);
  }

  /** The folder was read up to `lastUid` (never backwards); call it in the same transaction. */
  async advance(id: number, uidValidity: number, lastUid: number, at: string): Promise<void> {
    await this.sql
      .prepare(
        `UPDATE inboxes SET last_uid = ${this.sql.fn.greatest('last_uid', '?')}, last_import_at = ?, status = 'active', last_error = NULL WHERE id = ? AND uid_validity = ?`,
      )
      .run(lastUid, at, id, uidValidity);
  }

  /** How many messages were read from an inbox. */
  async importedCount(id: number): Promise<number> {
    return (await this.sql.prepare('SELECT COUNT(*) FROM inbox_imports WHERE inbox_id = ?').pluck().get(id)) as number;
  }
}
