// Numbered schema migrations, applied in order at start inside one transaction
// each; PRAGMA user_version records the last one applied. Never edit a released
// migration: add the next number.
import type { Database } from 'better-sqlite3';
import type { Migration } from '../sql/sql.ts';

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
  {
    version: 7,
    name: 'conversations, reply tokens, sending accounts, outbound messages',
    sql: `
      -- Messages on a candidate, grouped: one thread of outreach and replies.
      CREATE TABLE conversations (
        id               INTEGER PRIMARY KEY,
        tenant_id        INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        candidate_id     INTEGER REFERENCES candidates(id) ON DELETE SET NULL,
        subject          TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        last_message_at  TEXT NOT NULL
      );
      CREATE INDEX conversations_candidate ON conversations(candidate_id, subject);
      ALTER TABLE messages ADD COLUMN conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL;
      CREATE INDEX messages_conversation ON messages(conversation_id);

      -- HMAC keys that sign reply tokens; 'kid' is one base32 character carried in
      -- every token so keys can rotate. The secret is sealed with the secret key.
      CREATE TABLE token_keys (
        kid         TEXT PRIMARY KEY,
        secret      TEXT NOT NULL,
        created_at  TEXT NOT NULL
      );

      -- Sending accounts: a customer's own SMTP server and mailbox. 'secret' is the
      -- sealed password or OAuth2 credentials, never stored in the clear.
      CREATE TABLE accounts (
        id              INTEGER PRIMARY KEY,
        tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name            TEXT NOT NULL,
        provider        TEXT NOT NULL,
        host            TEXT NOT NULL,
        port            INTEGER NOT NULL,
        security        TEXT NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
        tls_ca          TEXT,
        username        TEXT NOT NULL,
        auth_method     TEXT NOT NULL CHECK (auth_method IN ('password', 'oauth2')),
        secret          TEXT NOT NULL,
        from_address    TEXT NOT NULL,
        from_name       TEXT,
        sending_domain  TEXT NOT NULL,
        dkim_selector   TEXT,
        reply_local     TEXT NOT NULL,
        owner           TEXT,
        is_default      INTEGER NOT NULL DEFAULT 0,
        delay_ms        INTEGER NOT NULL,
        per_minute      INTEGER NOT NULL,
        per_day         INTEGER NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('pending', 'active', 'failing')),
        last_error      TEXT,
        last_tested_at  TEXT,
        created_at      TEXT NOT NULL,
        UNIQUE (tenant_id, name)
      );

      -- The outbound queue. message_id is ours (no angle brackets), recorded so
      -- that replies match by In-Reply-To/References and bounces find what they
      -- report on. A claimed row is 'sending' with next_attempt_at as its lease.
      CREATE TABLE outbound_messages (
        id               TEXT PRIMARY KEY,
        tenant_id        INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        account_id       INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
        candidate_id     INTEGER REFERENCES candidates(id) ON DELETE SET NULL,
        conversation_id  INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
        purpose          TEXT NOT NULL CHECK (purpose IN ('send', 'test')),
        message_id       TEXT NOT NULL,
        recipient        TEXT NOT NULL,
        reply_to         TEXT,
        subject          TEXT NOT NULL,
        text_body        TEXT,
        html_body        TEXT,
        in_reply_to      TEXT,
        refs             TEXT,
        status           TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'deferred', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        last_reply       TEXT,
        bounced          TEXT,
        created_at       TEXT NOT NULL,
        sent_at          TEXT
      );
      CREATE UNIQUE INDEX outbound_by_message_id ON outbound_messages(tenant_id, message_id);
      CREATE INDEX outbound_by_recipient ON outbound_messages(tenant_id, recipient);
      CREATE INDEX outbound_due ON outbound_messages(next_attempt_at) WHERE status IN ('queued', 'sending', 'deferred');
      CREATE INDEX outbound_status ON outbound_messages(status, id);
      -- Pacing: what an account sent in the last minute and day.
      CREATE INDEX outbound_by_account ON outbound_messages(account_id, sent_at);
      ALTER TABLE messages ADD COLUMN outbound_id TEXT REFERENCES outbound_messages(id) ON DELETE SET NULL;

      -- A hard bounce marks the candidate's address: sending to it again is futile.
      ALTER TABLE candidate_emails ADD COLUMN bouncing_at TEXT;
      ALTER TABLE candidate_emails ADD COLUMN bounce_reason TEXT;
    `,
  },
  {
    version: 8,
    name: 'events outbox and webhooks',
    sql: `
      -- The outbox: every event is written in the transaction of the change it
      -- describes, so none is lost and none describes a change that did not
      -- happen. 'subject' (message, outbound message or account) orders delivery.
      CREATE TABLE events (
        id          TEXT PRIMARY KEY,
        tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        type        TEXT NOT NULL,
        subject     TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        payload     TEXT NOT NULL
      );
      CREATE INDEX events_tenant ON events(tenant_id, created_at);

      -- Endpoints. Secrets are sealed; during a rotation the previous one keeps
      -- signing too until previous_until.
      CREATE TABLE webhooks (
        id               INTEGER PRIMARY KEY,
        tenant_id        INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        url              TEXT NOT NULL,
        events           TEXT,
        secret           TEXT NOT NULL,
        previous_secret  TEXT,
        previous_until   TEXT,
        status           TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
        disabled_reason  TEXT,
        failing_since    TEXT,
        last_success_at  TEXT,
        created_at       TEXT NOT NULL
      );
      CREATE INDEX webhooks_tenant ON webhooks(tenant_id);

      -- One row per event and endpoint: at-least-once delivery with retries.
      CREATE TABLE webhook_deliveries (
        event_id         TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        last_status      INTEGER,
        last_error       TEXT,
        delivered_at     TEXT,
        PRIMARY KEY (event_id, webhook_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
      CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(webhook_id, state);
    `,
  },
  {
    version: 9,
    name: 'API tokens',
    sql: `
      -- Bearer tokens of the HTTP API, one tenant each (and its subcompanies).
      -- Only a SHA-256 of the token is kept: tokens are random and long, so a
      -- fast hash is enough, and the database alone cannot be used to call the API.
      CREATE TABLE api_tokens (
        id            INTEGER PRIMARY KEY,
        tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        token_hash    TEXT NOT NULL UNIQUE,
        prefix        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        last_used_at  TEXT,
        revoked_at    TEXT
      );
    `,
  },
  {
    version: 10,
    name: 'company inboxes',
    sql: `
      -- The company inboxes that forward to the tenant's forwarding addresses
      -- (jobs@acme.com -> acme-jobs@in.example), as a JSON array: what
      -- \`tenants check --send-tests\` sends its forwarding test to.
      ALTER TABLE tenants ADD COLUMN inboxes TEXT;
    `,
  },
  {
    version: 11,
    name: 'route generation',
    sql: `
      -- Bumped by every change to routes, whoever makes it (a CLI process, the API):
      -- the listener keeps its RCPT answers in memory and asks only this one row
      -- whether they still hold.
      CREATE TABLE route_generation (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        value  INTEGER NOT NULL
      );
      INSERT INTO route_generation (id, value) VALUES (1, 0);
      CREATE TRIGGER routes_inserted AFTER INSERT ON routes BEGIN UPDATE route_generation SET value = value + 1 WHERE id = 1; END;
      CREATE TRIGGER routes_updated AFTER UPDATE ON routes BEGIN UPDATE route_generation SET value = value + 1 WHERE id = 1; END;
      CREATE TRIGGER routes_deleted AFTER DELETE ON routes BEGIN UPDATE route_generation SET value = value + 1 WHERE id = 1; END;
    `,
  },
  {
    version: 12,
    name: 'retention of raw bytes',
    sql: `
      -- When retention (retention.rawDays) deleted the raw bytes and attachment files;
      -- the row, its decision and reply text stay.
      ALTER TABLE messages ADD COLUMN raw_purged_at TEXT;
      -- Which messages use which content-addressed attachment file, so a file shared
      -- by several messages is deleted only with the last of them.
      CREATE TABLE attachment_refs (
        sha256      TEXT NOT NULL,
        message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        PRIMARY KEY (sha256, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX attachment_refs_message ON attachment_refs(message_id);
      INSERT OR IGNORE INTO attachment_refs (sha256, message_id)
        SELECT json_extract(a.value, '$.sha256'), m.id FROM messages m, json_each(m.attachments) a
        WHERE m.attachments IS NOT NULL AND json_valid(m.attachments) AND json_extract(a.value, '$.sha256') IS NOT NULL;
    `,
  },
  {
    version: 13,
    name: 'sent copies over IMAP',
    sql: `
      -- Where a copy of each sent message goes: off, filed by the provider itself
      -- (Gmail, Microsoft 365), or appended by mailroom over IMAP. The IMAP user
      -- name and sealed secret default to the SMTP ones (NULL); the folder to
      -- the one marked \\Sent (SPECIAL-USE, RFC 6154).
      ALTER TABLE accounts ADD COLUMN sent_copy TEXT NOT NULL DEFAULT 'off';
      ALTER TABLE accounts ADD COLUMN imap_host TEXT;
      ALTER TABLE accounts ADD COLUMN imap_port INTEGER;
      ALTER TABLE accounts ADD COLUMN imap_security TEXT;
      ALTER TABLE accounts ADD COLUMN imap_username TEXT;
      ALTER TABLE accounts ADD COLUMN imap_secret TEXT;
      ALTER TABLE accounts ADD COLUMN sent_folder TEXT;
      ALTER TABLE accounts ADD COLUMN sent_copy_error TEXT;
      -- The exact bytes sent, kept until they are in the Sent folder. Apart from
      -- the outbound queue: a copy that fails is retried on its own and never
      -- sends the mail again.
      CREATE TABLE sent_copies (
        outbound_id      TEXT PRIMARY KEY REFERENCES outbound_messages(id) ON DELETE CASCADE,
        account_id       INTEGER NOT NULL,
        raw              BLOB,
        state            TEXT NOT NULL CHECK (state IN ('pending', 'copied', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        lease_until      INTEGER,
        last_error       TEXT,
        folder           TEXT,
        copied_at        TEXT
      );
      CREATE INDEX sent_copies_due ON sent_copies(state, next_attempt_at);
    `,
  },
  {
    version: 14,
    name: 'inbox intake over IMAP',
    sql: `
      -- A company mailbox mailroom reads over IMAP instead of receiving its mail
      -- forwarded. uid_validity and last_uid say how far the folder was read;
      -- they move in the transaction that stores the messages read.
      -- AUTOINCREMENT: an id is never handed out again, so a watcher or a
      -- message's source never mistakes a new inbox for a removed one.
      CREATE TABLE inboxes (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        address        TEXT NOT NULL,
        host           TEXT NOT NULL,
        port           INTEGER NOT NULL,
        security       TEXT NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
        username       TEXT NOT NULL,
        secret         TEXT NOT NULL,
        folder         TEXT NOT NULL,
        after_import   TEXT NOT NULL,
        since          TEXT,
        authserv_id    TEXT,
        uid_validity   INTEGER,
        last_uid       INTEGER NOT NULL DEFAULT 0,
        status         TEXT NOT NULL DEFAULT 'pending',
        last_error     TEXT,
        last_import_at TEXT,
        created_at     TEXT NOT NULL,
        UNIQUE (tenant_id, address, folder)
      );
      -- Every message read from an inbox, by where it was (UIDVALIDITY, UID) and
      -- by what it is (Message-ID, SHA-256 of the bytes): a folder re-read after
      -- a UIDVALIDITY change finds what it already has.
      CREATE TABLE inbox_imports (
        inbox_id      INTEGER NOT NULL REFERENCES inboxes(id) ON DELETE CASCADE,
        uid_validity  INTEGER NOT NULL,
        uid           INTEGER NOT NULL,
        message_id    TEXT NOT NULL,
        header_id     TEXT,
        sha256        TEXT NOT NULL,
        PRIMARY KEY (inbox_id, uid_validity, uid)
      );
      CREATE INDEX inbox_imports_sha256 ON inbox_imports(inbox_id, sha256);
      CREATE INDEX inbox_imports_header_id ON inbox_imports(inbox_id, header_id) WHERE header_id IS NOT NULL;
      -- How a message came in: 'smtp', or 'imap:<inbox id>'.
      ALTER TABLE messages ADD COLUMN source TEXT NOT NULL DEFAULT 'smtp';
    `,
  },
  {
    version: 15,
    name: 'console users and sessions',
    sql: `
      -- People who use the web console: recruiters and administrators of one
      -- tenant (and its subcompanies), or operators (no tenant) who see every
      -- tenant. The password is set by the person through a one-time link;
      -- only its scrypt hash is kept, and only the link token's hash.
      CREATE TABLE console_users (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant_id        INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
        email            TEXT NOT NULL UNIQUE,
        role             TEXT NOT NULL CHECK (role IN ('recruiter', 'admin', 'operator')),
        password_hash    TEXT,
        setup_hash       TEXT UNIQUE,
        setup_expires_at TEXT,
        created_at       TEXT NOT NULL
      );
      -- A signed-in browser: the cookie holds a random id, the table its hash.
      CREATE TABLE console_sessions (
        id_hash      TEXT PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES console_users(id) ON DELETE CASCADE,
        csrf         TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        expires_at   TEXT NOT NULL
      );
      CREATE INDEX console_sessions_user ON console_sessions(user_id);
      -- A candidate's page lists what was sent to them too.
      CREATE INDEX IF NOT EXISTS outbound_candidate ON outbound_messages(candidate_id);
      -- The queue filtered by reason, newest first, without reading every decision.
      CREATE INDEX IF NOT EXISTS messages_reason ON messages(json_extract(decision, '$.reason'), id);
    `,
  },
  {
    version: 16,
    name: 'pacing booked in the database, so it holds across nodes',
    sql: `
      -- The earliest time (ms) the account may send its next message, booked by whichever relay sends next.
      ALTER TABLE accounts ADD COLUMN next_send_at INTEGER NOT NULL DEFAULT 0;
      -- When a message being sent had its slot booked: it counts toward the per-minute and per-day caps at once.
      ALTER TABLE outbound_messages ADD COLUMN reserved_at TEXT;
    `,
  },
  {
    version: 17,
    name: 'one reader per inbox across nodes, and where a re-read folder ends',
    sql: `
      -- The node that reads the inbox (its lease) and until when (ms); another takes over once it runs out.
      ALTER TABLE inboxes ADD COLUMN reader_node TEXT;
      ALTER TABLE inboxes ADD COLUMN reader_until INTEGER;
      -- After a UIDVALIDITY change: the UIDs below this were in the folder already (re-read, recognised by content).
      ALTER TABLE inboxes ADD COLUMN reread_below INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 18,
    name: "a conversation's outbound messages by index",
    sql: `
      -- A conversation read (the thread over the API) finds what was sent in it without reading every outbound message.
      CREATE INDEX outbound_conversation ON outbound_messages(conversation_id, created_at, id);
    `,
  },
  {
    version: 19,
    name: 'sign-ins with Google or Microsoft kept in the database, so any node finishes them',
    sql: `
      -- A sign-in waiting for the provider's answer, under the hash of its state; taken once, gone after its time.
      CREATE TABLE oauth_sign_ins (
        state_hash    TEXT PRIMARY KEY,
        tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        provider      TEXT NOT NULL,
        started_by    TEXT NOT NULL,
        request       TEXT NOT NULL,
        verifier      TEXT NOT NULL,
        redirect_uri  TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL
      );
      CREATE INDEX oauth_sign_ins_expires ON oauth_sign_ins(expires_at);
    `,
  },
  {
    version: 20,
    name: 'mail servers on private networks only where the operator allowed them',
    sql: `
      -- 1: the operator (the command line) set this server, which may be on a private network;
      -- an edit by anyone else that changes where it connects clears it.
      ALTER TABLE accounts ADD COLUMN private_host_allowed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE inboxes ADD COLUMN private_host_allowed INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 21,
    name: 'platform tokens, idempotency keys, tenant checks kept for polling',
    sql: `
      -- A platform token acts for the whole installation: it has no tenant
      -- (reach 'platform'); a tenant token has one. SQLite cannot drop NOT NULL
      -- from a column, so the table is rebuilt with the same rows.
      CREATE TABLE api_tokens_new (
        id            INTEGER PRIMARY KEY,
        tenant_id     INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
        name          TEXT NOT NULL,
        token_hash    TEXT NOT NULL UNIQUE,
        prefix        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        last_used_at  TEXT,
        revoked_at    TEXT,
        reach         TEXT NOT NULL DEFAULT 'tenant' CHECK (reach IN ('tenant', 'platform')),
        CHECK ((reach = 'platform') = (tenant_id IS NULL))
      );
      INSERT INTO api_tokens_new (id, tenant_id, name, token_hash, prefix, created_at, last_used_at, revoked_at, reach)
        SELECT id, tenant_id, name, token_hash, prefix, created_at, last_used_at, revoked_at, 'tenant' FROM api_tokens;
      DROP TABLE api_tokens;
      ALTER TABLE api_tokens_new RENAME TO api_tokens;
      -- An Idempotency-Key a token sent with a create: the request's hash and the
      -- answer given, replayed for the same key and request for a day. status is
      -- NULL while the first request with the key is still running.
      CREATE TABLE idempotency_keys (
        token_id      INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
        key           TEXT NOT NULL,
        request_hash  TEXT NOT NULL,
        status        INTEGER,
        response      TEXT,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        PRIMARY KEY (token_id, key)
      );
      CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at);
      -- A tenant check that takes time (the forwarding test), run by one node and
      -- polled on any: its state and, once done, its report as JSON.
      CREATE TABLE tenant_checks (
        id           TEXT PRIMARY KEY,
        tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        state        TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
        report       TEXT,
        error        TEXT,
        created_at   TEXT NOT NULL,
        deadline_at  TEXT NOT NULL,
        finished_at  TEXT
      );
      CREATE INDEX tenant_checks_tenant ON tenant_checks(tenant_id, created_at);
    `,
  },
  {
    version: 22,
    name: 'what each console user has read',
    sql: `
      -- A message a console user opened: the queue shows the others in bold.
      CREATE TABLE console_reads (
        user_id     INTEGER NOT NULL REFERENCES console_users(id) ON DELETE CASCADE,
        message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        read_at     TEXT NOT NULL,
        PRIMARY KEY (user_id, message_id)
      );
      CREATE INDEX console_reads_message ON console_reads(message_id);
      -- The count of waiting messages in the console's navigation, per tenant, from the index alone.
      CREATE INDEX messages_status_tenant ON messages(status, tenant_id);
      -- What the console's candidate search reads: name, external id and addresses, lower-case, in one column.
      ALTER TABLE candidates ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
      UPDATE candidates SET search_text = lower(name || ' ' || external_id || ' ' ||
        COALESCE((SELECT group_concat(email, ' ') FROM candidate_emails e WHERE e.candidate_id = candidates.id), ''));
    `,
  },
  {
    version: 23,
    name: 'an outbound failure kept typed beside its words',
    sql: `
      -- The last failed attempt as JSON (permanent, reply code, enhanced code, the
      -- provider's line, the cause); last_reply keeps its words. Older rows have only the words.
      ALTER TABLE outbound_messages ADD COLUMN last_failure TEXT;
    `,
  },
  {
    version: 24,
    name: "the queue search reads the waiting messages' senders and subjects from an index",
    sql: `
      -- Only waiting messages (intake writes none: a message comes in as received),
      -- newest first, with what the queue search reads: a search that matches
      -- nothing reads this narrow index, not every waiting message's row.
      CREATE INDEX messages_waiting_search ON messages(status, id, tenant_id, from_header, subject) WHERE status = 'unassigned';
    `,
  },
  {
    version: 25,
    name: 'intake writes no index entry for what processing fills in',
    sql: `
      -- A message comes in with no candidate, conversation, Message-ID or decision
      -- yet: indexes of those columns keep only the rows that have one, so each
      -- accepted message updates three indexes (id, tenant, status) instead of nine.
      -- A lookup by one of them (candidate_id = ?) implies the column is not NULL,
      -- which is what lets the planner use the partial index.
      DROP INDEX messages_kind; -- no query reads messages by kind
      DROP INDEX messages_candidate;
      CREATE INDEX messages_candidate ON messages(candidate_id) WHERE candidate_id IS NOT NULL;
      DROP INDEX messages_conversation;
      CREATE INDEX messages_conversation ON messages(conversation_id) WHERE conversation_id IS NOT NULL;
      DROP INDEX messages_thread;
      CREATE INDEX messages_thread ON messages(tenant_id, message_id) WHERE message_id IS NOT NULL;
      DROP INDEX messages_reason;
      CREATE INDEX messages_reason ON messages(json_extract(decision, '$.reason'), id) WHERE decision IS NOT NULL;
      -- The waiting count per tenant (the console's navigation) reads the index of waiting messages alone.
      DROP INDEX messages_status_tenant;
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
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}
