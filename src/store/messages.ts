// Accepted messages: their envelope, raw bytes, status and the header summary the
// pipeline fills in. Inserting a message also queues its pipeline job, in the same
// transaction, so nothing accepted can be left without work scheduled.
import type { ArcFindings, SenderAuthentication } from '../auth/sender.ts';
import type { BounceInfo } from '../classify/bounce.ts';
import type { ForwardingVerification } from '../classify/verification.ts';
import type { ParsedMessage } from '../parse/parsed-message.ts';
import { decodeDecision, type DecisionSummary, type UndoState } from './decision.ts';
import { placeholders, type Sql, type SqlStatement } from './sql/sql.ts';

export type MessageStatus = 'received' | 'processed' | 'assigned' | 'unassigned' | 'dismissed' | 'failed';

export type { DecisionSummary, UndoState } from './decision.ts';

export interface Envelope {
  sessionId: string;
  clientIp: string;
  clientPort: number;
  helo: string;
  mailFrom: string;
  rcptTo: string[];
  tls: { protocol: string; cipher: string } | null;
  /** For a message read from an inbox over IMAP (no SMTP conversation: the client fields are empty). */
  imap?: ImapOrigin;
}

/** Where a message read over IMAP was, and whose Authentication-Results to believe about it. */
export interface ImapOrigin {
  inboxId: number;
  host: string;
  folder: string;
  uidValidity: number;
  uid: number;
  /** The receiving provider's authserv-id (RFC 8601); null: no verdict in the message is believed. */
  authservId: string | null;
}

/** How a message came in: over SMTP, or read from an inbox (`imap:<inbox id>`). */
export function sourceOf(envelope: Envelope): string {
  return envelope.imap ? `imap:${envelope.imap.inboxId}` : 'smtp';
}

export interface NewMessage {
  id: string;
  tenantId: number;
  receivedAt: string;
  envelope: Envelope;
  size: number;
  /** The bytes, for a message kept in memory; null when it was spooled to a file. */
  raw: Buffer | null;
  /** The fsynced spool file (relative to the data dir) holding the bytes, or null. */
  spoolFile: string | null;
}

export interface StoredMessage {
  id: string;
  tenant: string;
  /** `smtp`, or `imap:<inbox id>`. */
  source: string;
  status: MessageStatus;
  receivedAt: string;
  size: number;
  envelope: Envelope;
  messageId: string | null;
  from: string | null;
  subject: string | null;
  auth: AuthSummary | null;
  attachments: AttachmentSummary[];
  classification: ClassificationSummary | null;
  decision: DecisionSummary | null;
  conversationId: number | null;
  outboundId: string | null;
  error: string | null;
  processedAt: string | null;
}

/** What authentication found (auth/ fills it; stored as JSON). */
export interface AuthSummary {
  spf: string;
  dkim: string;
  dmarc: string;
  arc: string;
  dmarcDomain: string | null;
  dmarcPolicy: string | null;
  dkimDomains: string[];
  authenticationResults: string;
  /** Added with sender authentication; absent on messages processed before it. */
  fromAddresses?: string[];
  spfDomain?: string | null;
  arcFindings?: ArcFindings | null;
  sender?: SenderAuthentication;
}

/** An attachment as listings show it (parse/ stores the bytes by sha256). */
export interface AttachmentSummary {
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
}

/** The kind of message and its details (classify/ fills it; stored as JSON). */
export interface ClassificationSummary {
  kind: string;
  bounce: BounceInfo | null;
  autoReply: string | null;
  verification: ForwardingVerification | null;
  /** For a forward: who it is really from, and who forwarded it. */
  forward: { manual: boolean; originalFrom: { name: string; address: string } | null; forwardedBy: string | null; note: string | null } | null;
  /** The new text the sender wrote, without quotes and signature. */
  replyText: string | null;
  /** Why the message could not be parsed, for kind unparseable. */
  error?: string;
}

/** What the pipeline found out about a message, stored when its job completes. */
export interface ProcessedMessage {
  messageId: string | null;
  from: string | null;
  subject: string | null;
  auth: AuthSummary | null;
  classification: ClassificationSummary;
  attachments: AttachmentSummary[];
  /** The whole parse result as JSON-able data, kept for later stages and `show`; null when it could not be parsed. */
  parsed: ParsedMessage | null;
  /** Null where no matching ran (a worker without lookups): the message is then just processed. */
  decision?: DecisionSummary | null;
}

export interface ListFilter {
  tenant?: string;
  status?: string;
  /** Only unassigned messages with this reason. */
  reason?: string;
  /** Only messages received at or after this ISO time. */
  since?: string;
  /** Only these tenants (an API token's scope). */
  tenantIds?: readonly number[];
  /** Only messages older than this id (the cursor of the previous page). */
  before?: string;
  /** Only messages filed under this candidate. */
  candidateId?: number;
  /** Only messages of this conversation. */
  conversationId?: number;
  /** Only messages whose sender or subject contains this text (any case). */
  search?: string;
  limit: number;
}

/** A processed message's row to write (`markProcessedMany`): `markProcessed`'s arguments. */
export interface ProcessedRow {
  id: string;
  summary: ProcessedMessage;
  at: string;
  /** The conversation and outbound message the decision filed it under; absent: they are left as they are. */
  filed?: { conversationId: number | null; outboundId: string | null };
}

interface MessageRow {
  id: string;
  tenant: string;
  source: string;
  status: MessageStatus;
  received_at: string;
  size: number;
  envelope: string;
  message_id: string | null;
  from_header: string | null;
  subject: string | null;
  auth: string | null;
  attachments: string | null;
  classification: string | null;
  decision: string | null;
  conversation_id: number | null;
  outbound_id: string | null;
  error: string | null;
  processed_at: string | null;
}

const SELECT_MESSAGE = `SELECT m.id, t.slug AS tenant, m.source, m.status, m.received_at, m.size, m.envelope, m.message_id,
  m.from_header, m.subject, m.auth, m.attachments, m.classification, m.decision, m.conversation_id, m.outbound_id, m.error, m.processed_at FROM messages m JOIN tenants t ON t.id = m.tenant_id`;

export const PIPELINE_JOB = 'pipeline';

/**
 * Raw bytes per multi-row statement: the driver builds each statement as one
 * buffer, so a batch of large messages goes in several statements rather than
 * one that copies them all at once.
 */
const MULTI_ROW_BYTES = 1024 * 1024;

/** The batch in order, cut wherever the raw bytes so far would pass `limit` (a message larger than it goes alone). */
function byBytes(batch: readonly NewMessage[], limit: number): NewMessage[][] {
  const chunks: NewMessage[][] = [];
  let current: NewMessage[] = [];
  let bytes = 0;
  for (const message of batch) {
    const size = message.raw?.length ?? 0;
    if (current.length > 0 && bytes + size > limit) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export class MessageStore {
  private readonly sql: Sql;
  /** Tenants of a completing group's messages, read in one statement (`loadTenantsAhead`) until `endAhead`. */
  private tenantsAhead: Map<string, number> | null = null;
  private readonly insertMessage: SqlStatement;
  private readonly insertRaw: SqlStatement;
  private readonly insertJob: SqlStatement;
  // The store thread runs these for every message: prepared once per connection.

  constructor(sql: Sql) {
    this.sql = sql;
    this.insertMessage = sql.prepare(`INSERT INTO messages (id, tenant_id, source, status, received_at, size, envelope) VALUES (?, ?, ?, 'received', ?, ?, ?)`);
    this.insertRaw = sql.prepare('INSERT INTO message_raw (message_id, raw, path) VALUES (?, ?, ?)');
    this.insertJob = sql.prepare(`INSERT INTO jobs (message_id, kind, state, run_after, updated_at) VALUES (?, ?, 'queued', ?, ?)`);
  }

  /** Inserts messages with their raw bytes and pipeline jobs in one transaction (one fsync). */
  async insertBatch(batch: readonly NewMessage[], nowMs: number): Promise<void> {
    // A networked database pays a round trip per statement: three statements for the whole batch, not three per message.
    if (this.sql.dialect === 'postgres' && batch.length > 1) return this.insertBatchAtOnce(batch, nowMs);
    await this.sql.transaction(async () => {
      for (const message of batch) {
        await this.insertMessage.run(
          message.id,
          message.tenantId,
          sourceOf(message.envelope),
          message.receivedAt,
          message.size,
          JSON.stringify(message.envelope),
        );
        await this.insertRaw.run(message.id, message.raw, message.spoolFile);
        await this.insertJob.run(message.id, PIPELINE_JOB, nowMs, nowMs);
      }
    });
  }

  private async insertBatchAtOnce(batch: readonly NewMessage[], nowMs: number): Promise<void> {
    await this.sql.transaction(async () => {
      for (const chunk of byBytes(batch, MULTI_ROW_BYTES)) {
        const rows = (columns: number): string => chunk.map(() => `(${placeholders(columns)})`).join(', ');
        await this.sql
          .prepare(`INSERT INTO messages (id, tenant_id, source, status, received_at, size, envelope) VALUES ${rows(7)}`)
          .run(...chunk.flatMap((m) => [m.id, m.tenantId, sourceOf(m.envelope), 'received', m.receivedAt, m.size, JSON.stringify(m.envelope)]));
        await this.sql.prepare(`INSERT INTO message_raw (message_id, raw, path) VALUES ${rows(3)}`).run(...chunk.flatMap((m) => [m.id, m.raw, m.spoolFile]));
        await this.sql
          .prepare(`INSERT INTO jobs (message_id, kind, state, run_after, updated_at) VALUES ${rows(5)}`)
          .run(...chunk.flatMap((m) => [m.id, PIPELINE_JOB, 'queued', nowMs, nowMs]));
      }
    });
  }

  async list(filter: ListFilter): Promise<StoredMessage[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.tenant) {
      where.push('t.slug = ?');
      params.push(filter.tenant.toLowerCase());
    }
    // The queue written out, so that a planner may use the index of waiting messages (a bound value it cannot match).
    if (filter.status === 'unassigned') where.push("m.status = 'unassigned'");
    else if (filter.status) {
      where.push('m.status = ?');
      params.push(filter.status);
    }
    if (filter.reason) {
      // Written out, so that a planner may use the index of decided messages (messages_reason is partial).
      where.push(`m.decision IS NOT NULL AND ${this.sql.fn.jsonField('m.decision', 'reason')} = ?`);
      params.push(filter.reason);
    }
    if (filter.since) {
      where.push('m.received_at >= ?');
      params.push(filter.since);
    }
    if (filter.tenantIds) {
      where.push(`m.tenant_id IN (${this.sql.fn.jsonValues('integer')})`);
      params.push(JSON.stringify(filter.tenantIds));
    }
    if (filter.before) {
      where.push('m.id < ?');
      params.push(filter.before);
    }
    if (filter.candidateId !== undefined) {
      where.push('m.candidate_id = ?');
      params.push(filter.candidateId);
    }
    if (filter.conversationId !== undefined) {
      where.push('m.conversation_id = ?');
      params.push(filter.conversationId);
    }
    if (filter.search) {
      const pattern = `%${filter.search.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
      where.push(`(m.from_header ${this.sql.fn.like} ? ESCAPE '\\' OR m.subject ${this.sql.fn.like} ? ESCAPE '\\')`);
      params.push(pattern, pattern);
    }
    const condition = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // A search picks the ids first from what it reads alone (for the queue, an index
    // of waiting messages), then reads the whole rows of at most a page: a search
    // that matches nothing would otherwise read every waiting message's row.
    const sql = filter.search
      ? `${SELECT_MESSAGE} WHERE m.id IN (SELECT m.id FROM messages m${filter.tenant ? ' JOIN tenants t ON t.id = m.tenant_id' : ''} ${condition} ORDER BY m.id DESC LIMIT ?) ORDER BY m.id DESC`
      : `${SELECT_MESSAGE} ${condition} ORDER BY m.id DESC LIMIT ?`;
    return ((await this.sql.prepare(sql).all(...params, filter.limit)) as MessageRow[]).map(toMessage);
  }

  /** A conversation's messages, oldest first, after a place in it (received time, then id). */
  async inConversation(conversationId: number, after: { at: string; id: string } | null, limit: number): Promise<StoredMessage[]> {
    const rows = (await this.sql
      .prepare(`${SELECT_MESSAGE} WHERE m.conversation_id = ? AND (m.received_at > ? OR (m.received_at = ? AND m.id > ?)) ORDER BY m.received_at, m.id LIMIT ?`)
      .all(conversationId, after?.at ?? '', after?.at ?? '', after?.id ?? '', limit)) as MessageRow[];
    return rows.map(toMessage);
  }

  async get(id: string): Promise<StoredMessage | null> {
    const row = (await this.sql.prepare(`${SELECT_MESSAGE} WHERE m.id = ?`).get(id.toUpperCase())) as MessageRow | undefined;
    return row ? toMessage(row) : null;
  }

  /**
   * Marks the message processed with its header summary; part of the job's
   * completing transaction. With `filed`, also the conversation and the
   * outbound message the decision filed it under (linking it afterwards was
   * two statements more). Returns the message as stored (for its event).
   */
  async markProcessed(
    id: string,
    summary: ProcessedMessage,
    at: string,
    filed?: { conversationId: number | null; outboundId: string | null },
  ): Promise<StoredMessage | null> {
    // Re-running a stage gives the same result: the parse result is replaced, never duplicated, and so are the attachment references.
    const parsed = 'INSERT INTO message_parsed (message_id, data) VALUES (?, ?) ON CONFLICT (message_id) DO UPDATE SET data = excluded.data';
    const cleared = 'DELETE FROM attachment_refs WHERE message_id = ?';
    const update = `UPDATE messages SET status = ?, message_id = ?, from_header = ?, subject = ?, auth = ?, attachments = ?, kind = ?, classification = ?,
         candidate_id = ?, decision = ?, error = NULL, processed_at = ?${filed ? ', conversation_id = ?, outbound_id = ?' : ''} WHERE id = ?`;
    // PostgreSQL: all three, and reading the row back, in one statement (one round trip instead of four); they touch different tables.
    const together = this.sql.dialect === 'postgres';
    const statement = this.sql.prepare<unknown[], MessageRow>(
      together
        ? `WITH parsed AS (${parsed}), cleared AS (${cleared}), updated AS (${update} RETURNING *) ${SELECT_MESSAGE.replace('FROM messages m', 'FROM updated m')}`
        : update,
    );
    const params = [
      ...(together ? [id, JSON.stringify(summary.parsed), id] : []),
      ...Object.values(processedColumns(summary, at)),
      ...(filed ? [filed.conversationId, filed.outboundId] : []),
      id,
    ];
    const row = together ? await statement.get(...params) : void (await statement.run(...params));
    if (!together) {
      await this.sql.prepare(parsed).run(id, JSON.stringify(summary.parsed));
      await this.sql.prepare(cleared).run(id);
    }
    const ref = this.sql.prepare('INSERT INTO attachment_refs (sha256, message_id) VALUES (?, ?) ON CONFLICT DO NOTHING');
    for (const a of summary.attachments) await ref.run(a.sha256, id);
    if (!together) return await this.get(id);
    return row ? toMessage(row) : null;
  }

  /**
   * `markProcessed` for a completing group's messages, answered in their
   * order. PostgreSQL: the rows, their parse results and their attachment
   * references cleared in one statement that reads the rows back, and the
   * references they keep in one more when they have any (round trips once a
   * group, not once a message). SQLite: one by one.
   */
  async markProcessedMany(rows: readonly ProcessedRow[]): Promise<(StoredMessage | null)[]> {
    if (this.sql.dialect !== 'postgres' || rows.length < 2) {
      const stored: (StoredMessage | null)[] = [];
      for (const row of rows) stored.push(await this.markProcessed(row.id, row.summary, row.at, row.filed));
      return stored;
    }
    const records = rows.map(({ id, summary, at, filed }) => ({
      id,
      parsed: JSON.stringify(summary.parsed),
      ...processedColumns(summary, at),
      filed: filed !== undefined,
      conversation_id: filed?.conversationId ?? null,
      outbound_id: filed?.outboundId ?? null,
    }));
    // Without `filed`, a row keeps its conversation and outbound message, as markProcessed leaves them.
    const written = await this.sql
      .prepare<[string], MessageRow>(
        `WITH r AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(id text, parsed text, status text, message_id text, from_header text, subject text,
                      auth text, attachments text, kind text, classification text, candidate_id bigint, decision text, processed_at text,
                      filed boolean, conversation_id bigint, outbound_id text)),
         parsed AS (INSERT INTO message_parsed (message_id, data) SELECT id, parsed FROM r ON CONFLICT (message_id) DO UPDATE SET data = excluded.data),
         cleared AS (DELETE FROM attachment_refs WHERE message_id IN (SELECT id FROM r)),
         updated AS (UPDATE messages m SET status = r.status, message_id = r.message_id, from_header = r.from_header, subject = r.subject, auth = r.auth,
                       attachments = r.attachments, kind = r.kind, classification = r.classification, candidate_id = r.candidate_id, decision = r.decision,
                       error = NULL, processed_at = r.processed_at,
                       conversation_id = CASE WHEN r.filed THEN r.conversation_id ELSE m.conversation_id END,
                       outbound_id = CASE WHEN r.filed THEN r.outbound_id ELSE m.outbound_id END
                     FROM r WHERE m.id = r.id RETURNING m.*)
         ${SELECT_MESSAGE.replace('FROM messages m', 'FROM updated m')}`,
      )
      .all(JSON.stringify(records));
    const refs = rows.flatMap(({ id, summary }) => summary.attachments.map((a) => ({ sha256: a.sha256, message_id: id })));
    if (refs.length > 0) {
      await this.sql
        .prepare(
          'INSERT INTO attachment_refs (sha256, message_id) SELECT DISTINCT sha256, message_id FROM jsonb_to_recordset(?::jsonb) AS x(sha256 text, message_id text) ON CONFLICT DO NOTHING',
        )
        .run(JSON.stringify(refs));
    }
    const stored = new Map(written.map((row) => [row.id, toMessage(row)]));
    return rows.map((row) => stored.get(row.id) ?? null);
  }

  async markFailed(id: string, error: string, at: string): Promise<void> {
    await this.sql.prepare(`UPDATE messages SET status = 'failed', error = ?, processed_at = ? WHERE id = ?`).run(error, at, id);
  }

  /** The tenant a message belongs to (its id), or null for no such message. */
  async tenantOf(id: string): Promise<number | null> {
    const ahead = this.tenantsAhead?.get(id);
    if (ahead !== undefined) return ahead;
    return ((await this.sql.prepare('SELECT tenant_id FROM messages WHERE id = ?').pluck().get(id)) as number | undefined) ?? null;
  }

  /** Inside a group's transaction: the tenants of these messages in one statement, answered by `tenantOf` until `endAhead`. */
  async loadTenantsAhead(ids: readonly string[]): Promise<Map<string, number>> {
    const rows = (await this.sql.prepare(`SELECT id, tenant_id FROM messages WHERE id IN (${this.sql.fn.jsonValues('text')})`).all(JSON.stringify(ids))) as {
      id: string;
      tenant_id: number;
    }[];
    this.tenantsAhead = new Map(rows.map((row) => [row.id, Number(row.tenant_id)]));
    return this.tenantsAhead;
  }

  endAhead(): void {
    this.tenantsAhead = null;
  }

  /** An operator's assignment: replaces the pipeline's decision with method `manual`, filed in `conversationId`. */
  async assignManually(
    id: string,
    candidate: { id: number; externalId: string; name: string },
    conversationId: number,
    at: string,
    undo?: UndoState,
  ): Promise<void> {
    const decision: DecisionSummary = {
      ...(undo ? { undo } : {}),
      status: 'assigned',
      method: 'manual',
      reason: null,
      candidate,
      suggestions: [],
      conversationId,
      evidence: { assignedAt: at },
    };
    await this.sql
      .prepare(`UPDATE messages SET status = 'assigned', candidate_id = ?, conversation_id = ?, decision = ? WHERE id = ?`)
      .run(candidate.id, conversationId, JSON.stringify(decision), id);
  }

  /** An operator's dismissal, with an optional note; the message stays visible as dismissed. */
  async dismiss(id: string, note: string | null, at: string): Promise<void> {
    const before = await this.get(id);
    const previous = before?.decision;
    const decision: DecisionSummary = {
      ...(previous ?? { method: null, candidate: null, suggestions: [], evidence: {} }),
      status: 'dismissed',
      reason: previous?.reason ?? null,
      note,
      dismissedAt: at,
      undo: { at, decision: previous ?? null, conversationId: before?.conversationId ?? null, remembered: null } satisfies UndoState,
    };
    await this.sql.prepare(`UPDATE messages SET status = 'dismissed', decision = ? WHERE id = ?`).run(JSON.stringify(decision), id);
  }

  /** Puts a message filed or dismissed by hand back in the queue as it stood before. */
  async restoreUnassigned(id: string, undo: UndoState): Promise<void> {
    await this.sql
      .prepare(`UPDATE messages SET status = 'unassigned', candidate_id = NULL, conversation_id = ?, decision = ? WHERE id = ?`)
      .run(undo.conversationId, undo.decision ? JSON.stringify(undo.decision) : null, id);
  }

  /** The processed message with this Message-ID (angle brackets included), if one arrived. */
  async processedWithMessageId(messageId: string): Promise<StoredMessage | null> {
    const id = (await this.sql
      .prepare(`SELECT id FROM messages WHERE message_id = ? AND status NOT IN ('received', 'failed') LIMIT 1`)
      .pluck()
      .get(messageId)) as string | undefined;
    return id ? await this.get(id) : null;
  }

  /** The newest processed message whose subject contains `marker` (a test message's random mark). */
  async latestProcessedWithSubjectContaining(marker: string): Promise<StoredMessage | null> {
    const pattern = `%${marker.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
    const id = (await this.sql
      .prepare(`SELECT id FROM messages WHERE subject ${this.sql.fn.like} ? ESCAPE '\\' AND status NOT IN ('received', 'failed') ORDER BY id DESC LIMIT 1`)
      .pluck()
      .get(pattern)) as string | undefined;
    return id ? await this.get(id) : null;
  }

  /** Puts messages back through the pipeline (e.g. after candidates arrived); returns how many. */
  async requeue(ids: readonly string[], nowMs: number): Promise<number> {
    // A message whose raw bytes retention deleted has nothing left to process.
    const requeue = this.sql.prepare(
      `UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, lease_token = NULL, updated_at = ? WHERE message_id = ? AND state IN ('done', 'failed') AND EXISTS (SELECT 1 FROM message_raw r WHERE r.message_id = jobs.message_id)`,
    );
    const mark = this.sql.prepare(`UPDATE messages SET status = 'received' WHERE id = ?`);
    return await this.sql.transaction(async () => {
      let n = 0;
      for (const id of ids) {
        if ((await requeue.run(nowMs, nowMs, id)).changes > 0) {
          await mark.run(id);
          n++;
        }
      }
      return n;
    });
  }

  /** The stored parse result of a processed message (parse/'s ParsedMessage as plain data). */
  async parsed(id: string): Promise<ParsedMessage | null> {
    const row = (await this.sql.prepare('SELECT data FROM message_parsed WHERE message_id = ?').get(id.toUpperCase())) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as ParsedMessage) : null;
  }

  /** How many messages wait unassigned in these tenants (null: every tenant). */
  async countUnassigned(tenantIds: readonly number[] | null): Promise<number> {
    const within = tenantIds ? ` AND tenant_id IN (${this.sql.fn.jsonValues('integer')})` : '';
    const params = tenantIds ? [JSON.stringify(tenantIds)] : [];
    return Number(
      await this.sql
        .prepare(`SELECT COUNT(*) FROM messages WHERE status = 'unassigned'${within}`)
        .pluck()
        .get(...params),
    );
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = (await this.sql.prepare('SELECT status, COUNT(*) AS n FROM messages GROUP BY status').all()) as { status: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async totals(): Promise<{ count: number; bytes: number }> {
    const row = (await this.sql.prepare('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM messages').get()) as { count: number; bytes: number };
    return row;
  }
}

/** The columns a processed message's row gets from its summary, in the order of markProcessed's UPDATE. */
function processedColumns(summary: ProcessedMessage, at: string) {
  return {
    status: summary.decision?.status ?? 'processed',
    message_id: summary.messageId,
    from_header: summary.from,
    subject: summary.subject,
    auth: summary.auth ? JSON.stringify(summary.auth) : null,
    attachments: JSON.stringify(summary.attachments),
    kind: summary.classification.kind,
    classification: JSON.stringify(summary.classification),
    candidate_id: summary.decision?.candidate?.id ?? null,
    decision: summary.decision ? JSON.stringify(summary.decision) : null,
    processed_at: at,
  };
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    tenant: row.tenant,
    source: row.source,
    status: row.status,
    receivedAt: row.received_at,
    size: row.size,
    envelope: JSON.parse(row.envelope) as Envelope,
    messageId: row.message_id,
    from: row.from_header,
    subject: row.subject,
    auth: row.auth ? (JSON.parse(row.auth) as AuthSummary) : null,
    attachments: row.attachments ? (JSON.parse(row.attachments) as AttachmentSummary[]) : [],
    classification: row.classification ? (JSON.parse(row.classification) as ClassificationSummary) : null,
    decision: row.decision ? decodeDecision(row.decision) : null,
    conversationId: row.conversation_id,
    outboundId: row.outbound_id,
    error: row.error,
    processedAt: row.processed_at,
  };
}
