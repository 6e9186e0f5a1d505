// The HMAC keys that sign reply tokens, sealed at rest. The newest key signs;
// every stored key verifies, so tokens in mail already sent keep working after
// a rotation until the operator removes the old key.
import type { Keyring } from '../secrets/keyring.ts';
import { nextKeyId, ReplyTokens, type TokenKey } from '../match/tokens.ts';
import { randomBytes } from 'node:crypto';
import type { Sql } from './sql/sql.ts';

export interface TokenKeyInfo {
  kid: string;
  createdAt: string;
  signing: boolean;
}

export class TokenKeyStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  private async rows(): Promise<{ kid: string; secret: string; created_at: string }[]> {
    return (await this.sql
      .prepare(`SELECT kid, secret, created_at FROM token_keys ORDER BY created_at DESC, ${this.sql.dialect === 'sqlite' ? 'rowid' : 'seq'} DESC`)
      .all()) as {
      kid: string;
      secret: string;
      created_at: string;
    }[];
  }

  /** The keys, newest (signing) first, opened with the keyring. */
  async keys(keyring: Keyring): Promise<TokenKey[]> {
    return (await this.rows()).map((r) => ({ kid: r.kid, secret: Buffer.from(keyring.open(r.secret), 'base64') }));
  }

  async list(): Promise<TokenKeyInfo[]> {
    return (await this.rows()).map((r, i) => ({ kid: r.kid, createdAt: r.created_at, signing: i === 0 }));
  }

  /** Adds a new signing key; returns its id. */
  async add(keyring: Keyring, at: string): Promise<string> {
    const kid = nextKeyId((await this.rows()).map((r) => r.kid));
    await this.sql.prepare('INSERT INTO token_keys (kid, secret, created_at) VALUES (?, ?, ?)').run(kid, keyring.seal(randomBytes(32).toString('base64')), at);
    return kid;
  }

  /** A signing key exists (the first one is made on first use). */
  async ensure(keyring: Keyring, at: string): Promise<void> {
    if ((await this.rows()).length > 0) return;
    // Several senders (on several nodes) may make the first key at once: one wins, the others find it made.
    await this.sql
      .prepare('INSERT INTO token_keys (kid, secret, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
      .run(nextKeyId([]), keyring.seal(randomBytes(32).toString('base64')), at);
  }

  async remove(kid: string): Promise<boolean> {
    const rows = await this.rows();
    if (rows[0]?.kid === kid && rows.length === 1) throw new Error('that is the only reply-token key; add a new one first (mailroom keys rotate-tokens)');
    return (await this.sql.prepare('DELETE FROM token_keys WHERE kid = ?').run(kid)).changes > 0;
  }
}

/**
 * The reply-token keys as a long-running reader sees them: reloaded when the set
 * of keys changes (a `send` made the first one, or an operator rotated them).
 */
export class ReplyTokenSource {
  private readonly store: TokenKeyStore;
  private readonly keyring: () => Keyring | null;
  private readonly fingerprint: () => Promise<string>;
  private loadedFor = '';
  private tokens: ReplyTokens | null = null;

  constructor(sql: Sql, keyring: () => Keyring | null) {
    this.store = new TokenKeyStore(sql);
    this.keyring = keyring;
    // The ids in a fixed order, joined: the two dialects aggregate strings with different functions.
    const kids = sql.prepare('SELECT kid FROM token_keys ORDER BY kid').pluck<string>();
    this.fingerprint = async () => (await kids.all()).join(',');
  }

  async current(): Promise<ReplyTokens | null> {
    const fingerprint = await this.fingerprint();
    if (fingerprint !== this.loadedFor || !this.tokens) {
      const ring = fingerprint ? this.keyring() : null;
      this.tokens = ring ? new ReplyTokens(await this.store.keys(ring)) : null;
      this.loadedFor = fingerprint;
    }
    return this.tokens;
  }
}
