// Sending accounts: a tenant's (or one of its users') own SMTP mailbox. The
// password or OAuth2 credentials are stored sealed (secrets/keyring.ts) and only
// opened by the relay when it connects; everything else here is safe to show.
import type { Keyring } from '../secrets/keyring.ts';
import type { Sql } from './sql/sql.ts';

export type AccountStatus = 'pending' | 'active' | 'failing';

export interface AccountSecret {
  password?: string;
  oauth2?: { clientId: string; clientSecret: string; refreshToken: string; tokenUrl: string };
  /** DKIM signing for the sending domain: the private key is a secret too. */
  dkimPrivateKey?: string;
}

/** Sealed account credentials opened and read: the one place their JSON is parsed. Throws SecretError when the key is gone. */
export function openAccountSecret(keyring: Keyring, sealed: string): AccountSecret {
  return JSON.parse(keyring.open(sealed)) as AccountSecret;
}

export interface NewAccount {
  tenantId: number;
  name: string;
  provider: string;
  host: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
  tlsCa: string | null;
  username: string;
  authMethod: 'password' | 'oauth2';
  /** Sealed AccountSecret JSON. */
  sealedSecret: string;
  fromAddress: string;
  fromName: string | null;
  sendingDomain: string;
  /** DKIM selector when messages are signed (the key is in the sealed secret). */
  dkimSelector: string | null;
  replyLocal: string;
  owner: string | null;
  isDefault: boolean;
  delayMs: number;
  perMinute: number;
  perDay: number;
  /** Where a copy of each sent message goes (default: nowhere). */
  sentCopy?: SentCopySettings;
  /** Sealed credentials for IMAP when they differ from the SMTP ones (a password, as AccountSecret JSON). */
  sealedImapSecret?: string | null;
  /** The operator set these servers: they may be on a private network (default: public ones only, unless relay.allowPrivateNetworks). */
  privateHostAllowed?: boolean;
}

/**
 * A copy of every sent message in the mailbox's Sent folder: `provider` when the
 * provider files it itself (Gmail, Microsoft 365), `imap` when mailroom appends
 * it. The user name defaults to the SMTP one, the folder to the one marked \Sent.
 */
export interface SentCopySettings {
  mode: 'off' | 'provider' | 'imap';
  host: string | null;
  port: number | null;
  security: 'tls' | 'starttls' | 'none' | null;
  username: string | null;
  folder: string | null;
}

export interface Account extends Omit<NewAccount, 'sealedSecret' | 'sentCopy' | 'sealedImapSecret' | 'privateHostAllowed'> {
  privateHostAllowed: boolean;
  sentCopy: SentCopySettings & {
    /** Whether IMAP has credentials of its own (else the SMTP ones). */
    ownCredentials: boolean;
    /** The last failure to file a copy, until one succeeds. */
    lastError: string | null;
  };
  id: number;
  tenant: string;
  status: AccountStatus;
  lastError: string | null;
  lastTestedAt: string | null;
  createdAt: string;
}

interface AccountRow {
  id: number;
  tenant_id: number;
  tenant: string;
  name: string;
  provider: string;
  host: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
  tls_ca: string | null;
  username: string;
  auth_method: 'password' | 'oauth2';
  from_address: string;
  from_name: string | null;
  sending_domain: string;
  dkim_selector: string | null;
  reply_local: string;
  owner: string | null;
  is_default: number;
  delay_ms: number;
  per_minute: number;
  per_day: number;
  sent_copy: SentCopySettings['mode'];
  imap_host: string | null;
  imap_port: number | null;
  imap_security: SentCopySettings['security'];
  imap_username: string | null;
  imap_secret: string | null;
  sent_folder: string | null;
  sent_copy_error: string | null;
  private_host_allowed: number;
  status: AccountStatus;
  last_error: string | null;
  last_tested_at: string | null;
  created_at: string;
}

const SELECT = 'SELECT a.*, t.slug AS tenant FROM accounts a JOIN tenants t ON t.id = a.tenant_id';

/** What an edit may change: where and as whom it connects, and what its mail says it is from. */
export type AccountSettings = Pick<
  NewAccount,
  'host' | 'port' | 'security' | 'tlsCa' | 'username' | 'fromAddress' | 'fromName' | 'sendingDomain' | 'replyLocal' | 'delayMs'
> & {
  /** A new sealed secret (a new password), or null to keep the one stored. */
  sealedSecret: string | null;
  privateHostAllowed: boolean;
};

export class AccountStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async add(account: NewAccount, at: string): Promise<Account> {
    const id = await this.sql.transaction(async () => {
      if (account.isDefault)
        await this.sql
          .prepare(`UPDATE accounts SET is_default = 0 WHERE tenant_id = ? AND ${this.sql.fn.same('owner', '?')}`)
          .run(account.tenantId, account.owner);
      return Number(
        (
          (await this.sql
            .prepare(
              `INSERT INTO accounts (tenant_id, name, provider, host, port, security, tls_ca, username, auth_method, secret, from_address, from_name,
             sending_domain, dkim_selector, reply_local, owner, is_default, delay_ms, per_minute, per_day, sent_copy, imap_host, imap_port,
             imap_security, imap_username, imap_secret, sent_folder, private_host_allowed, status, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?) RETURNING id`,
            )
            .get(
              account.tenantId,
              account.name,
              account.provider,
              account.host,
              account.port,
              account.security,
              account.tlsCa,
              account.username,
              account.authMethod,
              account.sealedSecret,
              account.fromAddress,
              account.fromName,
              account.sendingDomain,
              account.dkimSelector,
              account.replyLocal,
              account.owner,
              account.isDefault ? 1 : 0,
              account.delayMs,
              account.perMinute,
              account.perDay,
              account.sentCopy?.mode ?? 'off',
              account.sentCopy?.host ?? null,
              account.sentCopy?.port ?? null,
              account.sentCopy?.security ?? null,
              account.sentCopy?.username ?? null,
              account.sealedImapSecret ?? null,
              account.sentCopy?.folder ?? null,
              account.privateHostAllowed ? 1 : 0,
              at,
            )) as { id: number }
        ).id,
      );
    });
    return (await this.get(id)) as Account;
  }

  /** New connection and sender settings (an edit); the caller marks the account untested. */
  async updateSettings(id: number, settings: AccountSettings): Promise<void> {
    await this.sql
      .prepare(
        `UPDATE accounts SET host = ?, port = ?, security = ?, tls_ca = ?, username = ?, secret = COALESCE(?, secret), from_address = ?, from_name = ?,
         sending_domain = ?, reply_local = ?, delay_ms = ?, private_host_allowed = ? WHERE id = ?`,
      )
      .run(
        settings.host,
        settings.port,
        settings.security,
        settings.tlsCa,
        settings.username,
        settings.sealedSecret,
        settings.fromAddress,
        settings.fromName,
        settings.sendingDomain,
        settings.replyLocal,
        settings.delayMs,
        settings.privateHostAllowed ? 1 : 0,
        id,
      );
  }

  async get(id: number): Promise<Account | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE a.id = ?`).get(id)) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  /** Whether any tenant has a sending account (the relay thread then stays ready to send). */
  async any(): Promise<boolean> {
    return (await this.sql.prepare('SELECT 1 FROM accounts LIMIT 1').pluck().get()) !== undefined;
  }

  async list(tenantSlug?: string): Promise<Account[]> {
    const rows = tenantSlug
      ? ((await this.sql.prepare(`${SELECT} WHERE t.slug = ? ORDER BY a.id`).all(tenantSlug.toLowerCase())) as AccountRow[])
      : ((await this.sql.prepare(`${SELECT} ORDER BY a.id`).all()) as AccountRow[]);
    return rows.map(toAccount);
  }

  async sealedSecret(id: number): Promise<string | null> {
    return ((await this.sql.prepare('SELECT secret FROM accounts WHERE id = ?').get(id)) as { secret: string } | undefined)?.secret ?? null;
  }

  /** The sealed IMAP credentials, when the account has its own for IMAP. */
  async sealedImapSecret(id: number): Promise<string | null> {
    return ((await this.sql.prepare('SELECT imap_secret FROM accounts WHERE id = ?').pluck().get(id)) as string | null | undefined) ?? null;
  }

  /** The account's own IMAP credentials, opened (null: IMAP uses the SMTP ones). Throws SecretError like openSecret. */
  async openImapSecret(id: number, keyring: Keyring): Promise<AccountSecret | null> {
    const sealed = await this.sealedImapSecret(id);
    return sealed ? openAccountSecret(keyring, sealed) : null;
  }

  /** The last failure to file a sent copy (null: the last copy was filed). */
  async setSentCopyError(id: number, error: string | null): Promise<void> {
    await this.sql.prepare('UPDATE accounts SET sent_copy_error = ? WHERE id = ?').run(error, id);
  }

  /** The account's password or OAuth2 tokens. Throws SecretError when they cannot be opened (the key they were sealed with is gone). */
  async openSecret(id: number, keyring: Keyring): Promise<AccountSecret> {
    return openAccountSecret(keyring, (await this.sealedSecret(id)) ?? '');
  }

  async remove(id: number): Promise<boolean> {
    return (await this.sql.prepare('DELETE FROM accounts WHERE id = ?').run(id)).changes > 0;
  }

  /** Makes this account the default of its tenant (for its owner, or the tenant-wide one). */
  async setDefault(id: number): Promise<boolean> {
    return await this.sql.transaction(async () => {
      const account = await this.get(id);
      if (!account) return false;
      await this.sql
        .prepare(`UPDATE accounts SET is_default = CASE WHEN id = ? THEN 1 ELSE 0 END WHERE tenant_id = ? AND ${this.sql.fn.same('owner', '?')}`)
        .run(id, account.tenantId, account.owner);
      return true;
    });
  }

  /**
   * Records a test or send outcome. Call it through webhooks/announce.ts
   * (changeAccountStatus), which announces a change of status in the same transaction.
   */
  async setStatus(id: number, status: AccountStatus, error: string | null, at: string): Promise<void> {
    await this.sql.prepare('UPDATE accounts SET status = ?, last_error = ?, last_tested_at = ? WHERE id = ?').run(status, error, at, id);
  }

  /**
   * Which account sends for a tenant chain (the tenant, then its parents): the
   * user's own account, else the first default found walking up the chain.
   */
  async choose(chain: readonly number[], owner: string | null): Promise<Account | null> {
    if (owner) {
      const own = (await this.sql.prepare(`${SELECT} WHERE a.tenant_id = ? AND a.owner = ? ORDER BY a.is_default DESC, a.id LIMIT 1`).get(chain[0], owner)) as
        AccountRow | undefined;
      if (own) return toAccount(own);
    }
    for (const tenantId of chain) {
      const row = (await this.sql.prepare(`${SELECT} WHERE a.tenant_id = ? AND a.owner IS NULL AND a.is_default = 1 LIMIT 1`).get(tenantId)) as
        AccountRow | undefined;
      if (row) return toAccount(row);
    }
    return null;
  }

  /** Messages an account sent since a time, for pacing. */
  /** Messages the account sent since then, and those it is sending now whose slot was booked since then. */
  async sentSince(id: number, since: string): Promise<number> {
    return (
      (await this.sql
        .prepare(`SELECT COUNT(*) AS n FROM outbound_messages WHERE account_id = ? AND (sent_at >= ? OR (status = 'sending' AND reserved_at >= ?))`)
        .get(id, since, since)) as { n: number }
    ).n;
  }

  /**
   * The account's next sending slot for one message: the earliest time after
   * the delay since the last one and within the per-minute and per-day caps,
   * counted over every node (the account's row is locked meanwhile, so two
   * relays never take the same slot). Booked only when it is due now: a
   * relay books at the moment it sends, so a relay whose timer fired late
   * pushes the next one back instead of sending on its heels. A later slot is
   * returned unbooked; the caller waits for it and asks again.
   */
  async reserveSlot(account: Pick<Account, 'id' | 'delayMs' | 'perMinute' | 'perDay'>, outboundId: string, nowMs: number): Promise<number> {
    return this.sql.transaction(async () => {
      const row = await this.sql.prepare(`SELECT next_send_at FROM accounts WHERE id = ? ${this.sql.fn.lockRows}`).get(account.id);
      let slot = Math.max(nowMs, (row as { next_send_at: number } | undefined)?.next_send_at ?? 0);
      if (account.perMinute > 0 && (await this.sentSince(account.id, new Date(nowMs - 60_000).toISOString())) >= account.perMinute)
        slot = Math.max(slot, nowMs + 60_000);
      if (account.perDay > 0 && (await this.sentSince(account.id, new Date(nowMs - 86_400_000).toISOString())) >= account.perDay)
        slot = Math.max(slot, nowMs + 3_600_000);
      if (slot > nowMs) return slot;
      await this.sql.prepare('UPDATE accounts SET next_send_at = ? WHERE id = ?').run(slot + account.delayMs, account.id);
      await this.sql.prepare('UPDATE outbound_messages SET reserved_at = ? WHERE id = ?').run(new Date(slot).toISOString(), outboundId);
      return slot;
    });
  }

  /** No message of the account before then (the delay counts from when a send was done). */
  async holdUntil(id: number, atMs: number): Promise<void> {
    await this.sql.prepare(`UPDATE accounts SET next_send_at = ${this.sql.fn.greatest('next_send_at', '?')} WHERE id = ?`).run(atMs, id);
  }
}

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    tenant: row.tenant,
    name: row.name,
    provider: row.provider,
    host: row.host,
    port: row.port,
    security: row.security,
    tlsCa: row.tls_ca,
    username: row.username,
    authMethod: row.auth_method,
    fromAddress: row.from_address,
    fromName: row.from_name,
    sendingDomain: row.sending_domain,
    dkimSelector: row.dkim_selector,
    replyLocal: row.reply_local,
    owner: row.owner,
    isDefault: row.is_default === 1,
    delayMs: row.delay_ms,
    perMinute: row.per_minute,
    perDay: row.per_day,
    sentCopy: {
      mode: row.sent_copy,
      host: row.imap_host,
      port: row.imap_port,
      security: row.imap_security,
      username: row.imap_username,
      folder: row.sent_folder,
      ownCredentials: row.imap_secret !== null,
      lastError: row.sent_copy_error,
    },
    privateHostAllowed: Number(row.private_host_allowed) === 1,
    status: row.status,
    lastError: row.last_error,
    lastTestedAt: row.last_tested_at,
    createdAt: row.created_at,
  };
}
