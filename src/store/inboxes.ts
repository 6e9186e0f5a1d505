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
  /** The node reading the inbox now (its lease), and until when (ms); null: none. */
  reader: string | null;
  readerUntil: number | null;
  /** After a UIDVALIDITY change, the UIDs below this were in the folder already: a re-read, recognised by content. */
  rereadBelow: number;
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
  reader_node: string | null;
  reader_until: number | null;
  reread_below: number;
  private_host_allowed: number;
}

const SELECT = `SELECT i.id, i.tenant_id, t.slug AS tenant, i.address, i.host, i.port, i.security, i.username, i.folder, i.after_import, i.since,
  i.authserv_id, i.uid_validity, i.last_uid, i.status, i.last_error, i.last_import_at, i.created_at,
  i.reader_node, i.reader_until, i.reread_below, i.private_host_allowed FROM inboxes i JOIN tenants t ON t.id = i.tenant_id`;

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
  reader: r.reader_node,
  readerUntil: r.reader_until,
  rereadBelow: r.reread_below,
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

  /**
   * Takes or renews the inbox's reader lease for `node` until nowMs + leaseMs:
   * one node reads an inbox at a time. True when `node` holds it now (it was
   * free, ran out, or was this node's already).
   */
  async claimReader(id: number, node: string, nowMs: number, leaseMs: number): Promise<boolean> {
    const { changes } = await this.sql
      .prepare('UPDATE inboxes SET reader_node = ?, reader_until = ? WHERE id = ? AND (reader_node IS NULL OR reader_node = ? OR reader_until <= ?)')
      .run(node, nowMs + leaseMs, id, node, nowMs);
    return changes > 0;
  }

  /** Gives the lease up (the node stops reading), so another node takes the inbox over at once. */
  async releaseReader(id: number, node: string): Promise<void> {
    await this.sql.prepare('UPDATE inboxes SET reader_node = NULL, reader_until = NULL WHERE id = ? AND reader_node = ?').run(id, node);
  }

  /** Frees every reader lease. Only for a server that holds the instance lock (SQLite): no other node reads. */
  async releaseAllReaders(): Promise<number> {
    return (await this.sql.prepare('UPDATE inboxes SET reader_node = NULL, reader_until = NULL WHERE reader_node IS NOT NULL').run()).changes;
  }

  /**
   * Whether `node` still holds the lease; call it in the transaction that stores
   * what it read. On PostgreSQL the update locks the inbox row, so importers of
   * one inbox take turns, and one whose lease was taken over stores nothing.
   */
  async stillReader(id: number, node: string, uidValidity: number): Promise<boolean> {
    const { changes } = await this.sql
      .prepare('UPDATE inboxes SET reader_node = reader_node WHERE id = ? AND reader_node = ? AND uid_validity = ?')
      .run(id, node, uidValidity);
    return changes > 0;
  }

  /**
   * The folder has a new UIDVALIDITY (or was never read): read it again from its
   * first UID. `rereadBelow`: the folder's UIDNEXT now, when it was read before
   * under another UIDVALIDITY (the messages below it may be ones stored already), else 0.
   */
  async startFolder(id: number, uidValidity: number, rereadBelow: number): Promise<void> {
    await this.sql.prepare('UPDATE inboxes SET uid_validity = ?, last_uid = 0, reread_below = ? WHERE id = ?').run(uidValidity, rereadBelow, id);
  }

  /**
   * The stored message this one is, when the folder is being re-read after a
   * UIDVALIDITY change: read before under another UIDVALIDITY, by its bytes, else
   * by its Message-ID. Only then: a new UID is a new message, whatever Message-ID it carries.
   */
  async readBefore(id: number, uidValidity: number, sha256: string, headerId: string | null): Promise<string | null> {
    const byHash = (await this.sql
      .prepare('SELECT message_id FROM inbox_imports WHERE inbox_id = ? AND uid_validity <> ? AND sha256 = ? LIMIT 1')
      .pluck()
      .get(id, uidValidity, sha256)) as string | undefined;
    if (byHash || !headerId) return byHash ?? null;
    return (
      ((await this.sql
        .prepare('SELECT message_id FROM inbox_imports WHERE inbox_id = ? AND uid_validity <> ? AND header_id = ? LIMIT 1')
        .pluck()
        .get(id, uidValidity, headerId)) as string | undefined) ?? null
    );
  }

  /**
   * Records one message read; call it in the transaction that stores it, before
   * storing it. False when its UID was recorded already (by this node before a
   * crash, or by another): then nothing is to be stored. The primary key decides,
   * so two transactions racing for one UID cannot both see it as new.
   */
  async recordImport(id: number, uidValidity: number, i: InboxImport): Promise<boolean> {
    const { changes } = await this.sql
      .prepare('INSERT INTO inbox_imports (inbox_id, uid_validity, uid, message_id, header_id, sha256) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(id, uidValidity, i.uid, i.messageId, i.headerId, i.sha256);
    return changes > 0;
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
