// Sign-ins with Google or Microsoft waiting for the provider to send the
// browser back. In the database, not in a node's memory, so the callback can
// reach any node (and a restart loses nothing). The state is stored as its
// hash, as a session id is; a row is taken (deleted and read in one statement)
// when the callback comes, so two callbacks with one state finish it once.
import type { Sql } from './sql/sql.ts';

export interface StoredSignIn {
  tenantId: number;
  provider: string;
  /** Who started it: `session:<hash of the console session>` or `token:<API token id>`. */
  startedBy: string;
  /** What the account is to be (name, owner, server...) and, for the platform, where to send the browser after. */
  request: Record<string, unknown>;
  verifier: string;
  redirectUri: string;
  expiresAt: string;
}

interface Row {
  tenant_id: number;
  provider: string;
  started_by: string;
  request: string;
  verifier: string;
  redirect_uri: string;
  expires_at: string;
}

const toSignIn = (r: Row): StoredSignIn => ({
  tenantId: Number(r.tenant_id),
  provider: r.provider,
  startedBy: r.started_by,
  request: JSON.parse(r.request) as Record<string, unknown>,
  verifier: r.verifier,
  redirectUri: r.redirect_uri,
  expiresAt: r.expires_at,
});

const COLUMNS = 'tenant_id, provider, started_by, request, verifier, redirect_uri, expires_at';

export class OAuthSignInStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** Records a sign-in under its state's hash; those past their time go at the same moment, so the table holds only live ones. */
  async add(stateHash: string, signIn: StoredSignIn, createdAt: string): Promise<void> {
    await this.sql.prepare('DELETE FROM oauth_sign_ins WHERE expires_at <= ?').run(createdAt);
    await this.sql
      .prepare(`INSERT INTO oauth_sign_ins (state_hash, ${COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        stateHash,
        signIn.tenantId,
        signIn.provider,
        signIn.startedBy,
        JSON.stringify(signIn.request),
        signIn.verifier,
        signIn.redirectUri,
        signIn.expiresAt,
        createdAt,
      );
  }

  /** The live sign-in of a state, left in place (to see who may finish it). */
  async peek(stateHash: string, now: string): Promise<StoredSignIn | null> {
    const row = (await this.sql.prepare(`SELECT ${COLUMNS} FROM oauth_sign_ins WHERE state_hash = ? AND expires_at > ?`).get(stateHash, now)) as
      Row | undefined;
    return row ? toSignIn(row) : null;
  }

  /** Takes the sign-in of a state: only one caller gets it, and only while it is live. */
  async take(stateHash: string, now: string): Promise<StoredSignIn | null> {
    const row = (await this.sql.prepare(`DELETE FROM oauth_sign_ins WHERE state_hash = ? RETURNING ${COLUMNS}`).get(stateHash)) as Row | undefined;
    return row && row.expires_at > now ? toSignIn(row) : null;
  }
}
