// Numbered schema migrations, applied in order at start inside one transaction
// each; PRAGMA user_version records the last one applied. Never edit a released
// migration: add the next number.
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, routes, messages, jobs',
    sql: `
      CREATE TABLE tenants (
        id          INTEGER PRIMARY KEY,
        slug        TEXT NOT NULL UNIQUE,
        name        TEXT NOT NULL,
        parent_id   INTEGER REFERENCES tenants(id),
        created_at  TEXT NOT NULL
      );
      CREATE INDEX tenants_parent ON tenants(parent_id);

      -- The company's own domains (acme.com): where its people and its candidates'
      -- replies come from. Not addresses we receive for.
      CREATE TABLE tenant_domains (
        tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        domain      TEXT NOT NULL,
        PRIMARY KEY (tenant_id, domain)
      );

      -- What we accept mail for: a whole reply domain (any local part, local+token)
      -- or one forwarding address. 'value' is lower-case; each is owned by one tenant.
      CREATE TABLE routes (
        id          INTEGER PRIMARY KEY,
        tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL CHECK (kind IN ('reply_domain', 'forward_address')),
        value       TEXT NOT NULL UNIQUE,
        domain      TEXT NOT NULL,
        created_at  TEXT NOT NULL
      );
      CREATE INDEX routes_tenant ON routes(tenant_id);
      CREATE INDEX routes_domain ON routes(domain);

      -- One row per accepted DATA. id is a ULID, so ORDER BY id is arrival order.
      CREATE TABLE messages (
        id            TEXT PRIMARY KEY,
        tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
        status        TEXT NOT NULL,
        received_at   TEXT NOT NULL,
        size          INTEGER NOT NULL,
        envelope      TEXT NOT NULL,
        message_id    TEXT,
        from_header   TEXT,
        subject       TEXT,
        error         TEXT,
        processed_at  TEXT
      );
      CREATE INDEX messages_tenant ON messages(tenant_id, id);
      CREATE INDEX messages_status ON messages(status, id);

      -- Raw bytes apart from the row, so listing never reads them: small messages
      -- inline, large ones in a spool file (path relative to the data dir) that
      -- was fsynced before this row was committed.
      CREATE TABLE message_raw (
        message_id  TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        raw         BLOB,
        path        TEXT UNIQUE,
        CHECK ((raw IS NULL) <> (path IS NULL))
      );

      -- The durable job queue. A claimed job is 'running' with run_after set to the
      -- end of its lease, so an expired lease makes it due again by the same index.
      CREATE TABLE jobs (
        id          INTEGER PRIMARY KEY,
        message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        attempts    INTEGER NOT NULL DEFAULT 0,
        run_after   INTEGER NOT NULL,
        lease_token TEXT,
        last_error  TEXT,
        updated_at  INTEGER NOT NULL,
        UNIQUE (message_id, kind)
      );
      CREATE INDEX jobs_due ON jobs(run_after) WHERE state IN ('queued', 'running');
    `,
  },
  {
    version: 2,
    name: 'authentication verdicts',
    sql: `
      -- SPF, DKIM, DMARC, ARC verdicts and the Authentication-Results value (JSON).
      ALTER TABLE messages ADD COLUMN auth TEXT;
    `,
  },
  {
    version: 3,
    name: 'parsed and classified messages',
    sql: `
      -- The attachment list (JSON), small enough for listings.
      ALTER TABLE messages ADD COLUMN attachments TEXT;
      -- What kind of message it is, and the details (bounce, verification code) as JSON.
      ALTER TABLE messages ADD COLUMN kind TEXT;
      ALTER TABLE messages ADD COLUMN classification TEXT;
      CREATE INDEX messages_kind ON messages(kind, id);
      -- The whole ParsedMessage (bodies included), read by later stages and show.
      CREATE TABLE message_parsed (
        message_id  TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        data        TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'candidates',
    sql: `
      -- A tenant's candidates, identified by the ATS's own id.
      CREATE TABLE candidates (
        id           INTEGER PRIMARY KEY,
        tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        external_id  TEXT NOT NULL,
        name         TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        UNIQUE (tenant_id, external_id)
      );
      -- Any number of addresses per candidate; two candidates may share one.
      -- Lower-case, domain in ASCII (punycode): lookups are exact and indexed.
      CREATE TABLE candidate_emails (
        candidate_id INTEGER NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
        tenant_id    INTEGER NOT NULL,
        email        TEXT NOT NULL,
        PRIMARY KEY (candidate_id, email)
      );
      CREATE INDEX candidate_emails_lookup ON candidate_emails(tenant_id, email);
    `,
  },
  {
    version: 5,
    name: 'matching decisions',
    sql: `
      -- The candidate a message was assigned to, and the decision as JSON
      -- (method, reason, suggestions, evidence).
      ALTER TABLE messages ADD COLUMN candidate_id INTEGER REFERENCES candidates(id) ON DELETE SET NULL;
      ALTER TABLE messages ADD COLUMN decision TEXT;
      CREATE INDEX messages_candidate ON messages(candidate_id);
    `,
  },
  {
    version: 6,
    name: 'thread lookups',
    sql: `
      -- In-Reply-To/References of a new message against Message-IDs of messages
      -- the tenant received before.
      CREATE INDEX messages_thread ON messages(tenant_id, message_id);
    `,
  },
];

export function migrate(db: Database, list: readonly Migration[] = migrations): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const applied: number[] = [];
  for (const migration of list) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
    applied.push(migration.version);
  }
  return applied;
}
