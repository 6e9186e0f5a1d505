// The outbound queue: messages the relay sends through a tenant's account.
// queued -> sending -> sent | deferred (retried) | failed. A claimed row is
// 'sending' with next_attempt_at as the end of its lease, so a crash mid-send
// makes it due again: it is sent at most once more, with the same Message-ID.
import type { Sql, SqlStatement } from './sql/sql.ts';
import type { SentCopyState } from './sent-copies.ts';

export type OutboundStatus = 'queued' | 'sending' | 'sent' | 'deferred' | 'failed';

export interface NewOutbound {
  id: string;
  tenantId: number;
  accountId: number;
  candidateId: number | null;
  conversationId: number;
  purpose: 'send' | 'test';
  /** Ours, without angle brackets. */
  messageId: string;
  recipient: string;
  replyTo: string | null;
  subject: string;
  text: string | null;
  html: string | null;
  inReplyTo: string | null;
  references: string[];
}

/** Why an attempt failed (outbound.failed and deferred): what the relay made of the error, once (relay/failure.ts). */
export type OutboundFailureCause = 'dns' | 'connect' | 'tls' | 'auth' | 'refused' | 'timeout' | 'protocol' | 'local';

export interface OutboundFailure {
  /** Sending it again unchanged will not succeed (a 5xx refusal, a server name that does not exist, a login refused). */
  permanent: boolean;
  /** The SMTP reply code, when the server answered. */
  code: number | null;
  /** The enhanced status code (RFC 3463), e.g. 5.7.1, when the reply had one. */
  enhancedCode: string | null;
  /** The server's reply as one line (control characters gone), when it answered. */
  line: string | null;
  cause: OutboundFailureCause;
}

export interface OutboundBounce {
  messageId: string;
  at: string;
  hard: boolean;
  status: string | null;
  diagnostic: string | null;
}

export interface OutboundMessage extends NewOutbound {
  tenant: string;
  status: OutboundStatus;
  attempts: number;
  nextAttemptAt: number;
  lastReply: string | null;
  /** The last attempt's failure, typed; null once sent, before any failure, and on rows older than the typed value. */
  lastFailure: OutboundFailure | null;
  /** The bounce that reported on it: which inbound message, when, hard or soft, the remote server's status and words. */
  bounced: OutboundBounce | null;
  createdAt: string;
  sentAt: string | null;
  /** Its copy in the account's Sent folder, when the account files one over IMAP. */
  sentCopy: { state: SentCopyState; attempts: number; folder: string | null; lastError: string | null; copiedAt: string | null } | null;
}

interface OutboundRow {
  id: string;
  tenant_id: number;
  tenant: string;
  account_id: number | null;
  candidate_id: number | null;
  conversation_id: number | null;
  purpose: 'send' | 'test';
  message_id: string;
  recipient: string;
  reply_to: string | null;
  subject: string;
  text_body: string | null;
  html_body: string | null;
  in_reply_to: string | null;
  refs: string | null;
  status: OutboundStatus;
  attempts: number;
  next_attempt_at: number;
  last_reply: string | null;
  last_failure: string | null;
  bounced: string | null;
  created_at: string;
  sent_at: string | null;
  copy_state: SentCopyState | null;
  copy_attempts: number | null;
  copy_folder: string | null;
  copy_error: string | null;
  copy_copied_at: string | null;
}

const SELECT = `SELECT o.*, t.slug AS tenant, sc.state AS copy_state, sc.attempts AS copy_attempts, sc.folder AS copy_folder,
  sc.last_error AS copy_error, sc.copied_at AS copy_copied_at
  FROM outbound_messages o JOIN tenants t ON t.id = o.tenant_id LEFT JOIN sent_copies sc ON sc.outbound_id = o.id`;

export class OutboundStore {
  private readonly sql: Sql;
  private readonly byMessageIdStmt: SqlStatement<[number, string], OutboundRow>;
  private readonly byRecipientStmt: SqlStatement<[number, string], OutboundRow>;

  constructor(sql: Sql) {
    this.sql = sql;
    this.byMessageIdStmt = sql.prepare(`${SELECT} WHERE o.tenant_id = ? AND o.message_id = ?`);
    this.byRecipientStmt = sql.prepare(`${SELECT} WHERE o.tenant_id = ? AND o.recipient = ? AND o.status = 'sent' ORDER BY o.sent_at DESC LIMIT 1`);
  }

  async enqueue(message: NewOutbound, at: string, nowMs: number): Promise<void> {
    await this.sql
      .prepare(
        `INSERT INTO outbound_messages (id, tenant_id, account_id, candidate_id, conversation_id, purpose, message_id, recipient, reply_to, subject,
         text_body, html_body, in_reply_to, refs, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
      )
      .run(
        message.id,
        message.tenantId,
        message.accountId,
        message.candidateId,
        message.conversationId,
        message.purpose,
        message.messageId,
        message.recipient,
        message.replyTo,
        message.subject,
        message.text,
        message.html,
        message.inReplyTo,
        JSON.stringify(message.references),
        nowMs,
        at,
      );
    this.sql.announce('outbound');
  }

  async get(id: string): Promise<OutboundMessage | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE o.id = ?`).get(id.toUpperCase())) as OutboundRow | undefined;
    return row ? toOutbound(row) : null;
  }

  async list(filter: {
    status?: string;
    tenant?: string;
    tenantIds?: readonly number[];
    candidateId?: number;
    before?: string;
    limit: number;
  }): Promise<OutboundMessage[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.candidateId !== undefined) {
      where.push('o.candidate_id = ?');
      params.push(filter.candidateId);
    }
    if (filter.tenantIds) {
      // Not by the tenant index: the newest first come from walking the ids in order, not from sorting the whole queue.
      where.push(`+o.tenant_id IN (${this.sql.fn.jsonValues('integer')})`);
      params.push(JSON.stringify(filter.tenantIds));
    }
    if (filter.before) {
      where.push('o.id < ?');
      params.push(filter.before);
    }
    if (filter.status) {
      where.push('o.status = ?');
      params.push(filter.status);
    }
    if (filter.tenant) {
      where.push('t.slug = ?');
      params.push(filter.tenant.toLowerCase());
    }
    const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY o.id DESC LIMIT ?`;
    return ((await this.sql.prepare(sql).all(...params, filter.limit)) as OutboundRow[]).map(toOutbound);
  }

  /** A conversation's outbound messages, oldest first, after a place in it (creation time, then id). */
  async inConversation(conversationId: number, after: { at: string; id: string } | null, limit: number): Promise<OutboundMessage[]> {
    const rows = (await this.sql
      .prepare(`${SELECT} WHERE o.conversation_id = ? AND (o.created_at > ? OR (o.created_at = ? AND o.id > ?)) ORDER BY o.created_at, o.id LIMIT ?`)
      .all(conversationId, after?.at ?? '', after?.at ?? '', after?.id ?? '', limit)) as OutboundRow[];
    return rows.map(toOutbound);
  }

  /** Our message with this Message-ID, sent by one of these tenants (the first that has it). */
  async byMessageId(tenantIds: readonly number[], messageId: string): Promise<OutboundMessage | null> {
    const id = messageId.replace(/^<|>$/g, '');
    for (const tenantId of tenantIds) {
      const row = await this.byMessageIdStmt.get(tenantId, id);
      if (row) return toOutbound(row);
    }
    return null;
  }

  /** Every message of these tenants with one of these Message-IDs (with or without angle brackets), in one statement. */
  async byMessageIds(tenantIds: readonly number[], messageIds: readonly string[]): Promise<OutboundMessage[]> {
    if (tenantIds.length === 0 || messageIds.length === 0) return [];
    const rows = (await this.sql
      .prepare(`${SELECT} WHERE (o.tenant_id, o.message_id) IN (SELECT k1, k2 FROM (${this.sql.fn.jsonPairs('integer', 'text')}) p) ORDER BY o.id`)
      .all(JSON.stringify(tenantIds), JSON.stringify(messageIds.map((id) => id.replace(/^<|>$/g, ''))))) as OutboundRow[];
    return rows.map(toOutbound);
  }

  /** The newest of our messages (sent by these tenants) among these Message-IDs, whoever it went to: what a reply naming them answers. */
  async newestNamed(tenantIds: readonly number[], messageIds: readonly string[]): Promise<string | null> {
    let newest: OutboundMessage | null = null;
    for (const messageId of messageIds) {
      const sent = await this.byMessageId(tenantIds, messageId);
      if (sent && (!newest || sent.createdAt > newest.createdAt || (sent.createdAt === newest.createdAt && sent.id > newest.id))) newest = sent;
    }
    return newest?.id ?? null;
  }

  /** The last message these tenants sent to an address (a bounce without the original Message-ID). */
  async lastSentTo(tenantIds: readonly number[], recipient: string): Promise<OutboundMessage | null> {
    for (const tenantId of tenantIds) {
      const row = await this.byRecipientStmt.get(tenantId, recipient.toLowerCase());
      if (row) return toOutbound(row);
    }
    return null;
  }

  /** Due messages, leased to the caller until nowMs + leaseMs; oldest first. */
  async claimDue(nowMs: number, leaseMs: number, max: number): Promise<OutboundMessage[]> {
    return await this.sql.transaction(async () => {
      const rows = (await this.sql
        .prepare(
          `${SELECT} WHERE o.status IN ('queued', 'sending', 'deferred') AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ? ${this.sql.fn.skipLocked('o')}`,
        )
        .all(nowMs, max)) as OutboundRow[];
      const lease = this.sql.prepare(`UPDATE outbound_messages SET status = 'sending', attempts = attempts + 1, next_attempt_at = ? WHERE id = ?`);
      for (const row of rows) await lease.run(nowMs + leaseMs, row.id);
      return rows.map((row) => ({ ...toOutbound(row), status: 'sending' as const, attempts: row.attempts + 1 }));
    });
  }

  /** Leases one queued message to the caller (a test email sent by the CLI itself). */
  async claim(id: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return (
      (
        await this.sql
          .prepare(`UPDATE outbound_messages SET status = 'sending', attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND status = 'queued'`)
          .run(nowMs + leaseMs, id)
      ).changes > 0
    );
  }

  /** When the next queued or deferred message is due, or null when none is. */
  async nextDueAt(): Promise<number | null> {
    const row = (await this.sql
      .prepare(`SELECT MIN(next_attempt_at) AS at FROM outbound_messages WHERE status IN ('queued', 'sending', 'deferred')`)
      .get()) as {
      at: number | null;
    };
    return row.at;
  }

  /** At start (the instance lock held): messages a stopped process was sending are due now, not when its lease ends. */
  async releaseOrphaned(nowMs: number): Promise<number> {
    return (await this.sql.prepare(`UPDATE outbound_messages SET next_attempt_at = ? WHERE status = 'sending'`).run(nowMs)).changes;
  }

  async markSent(id: string, reply: string, at: string): Promise<void> {
    await this.sql.prepare(`UPDATE outbound_messages SET status = 'sent', last_reply = ?, last_failure = NULL, sent_at = ? WHERE id = ?`).run(reply, at, id);
  }

  async markDeferred(id: string, reply: string, failure: OutboundFailure, nextAttemptAt: number): Promise<void> {
    await this.sql
      .prepare(`UPDATE outbound_messages SET status = 'deferred', last_reply = ?, last_failure = ?, next_attempt_at = ? WHERE id = ?`)
      .run(reply, JSON.stringify(failure), nextAttemptAt, id);
  }

  async markFailed(id: string, reply: string, failure: OutboundFailure): Promise<void> {
    await this.sql
      .prepare(`UPDATE outbound_messages SET status = 'failed', last_reply = ?, last_failure = ? WHERE id = ?`)
      .run(reply, JSON.stringify(failure), id);
  }

  /** Puts a leased message back without counting the attempt (pacing held it). */
  async release(id: string, nextAttemptAt: number): Promise<void> {
    await this.sql
      .prepare(`UPDATE outbound_messages SET status = 'queued', attempts = ${this.sql.fn.greatest('0', 'attempts - 1')}, next_attempt_at = ? WHERE id = ?`)
      .run(nextAttemptAt, id);
  }

  async markBounced(id: string, detail: OutboundBounce): Promise<void> {
    await this.sql.prepare('UPDATE outbound_messages SET bounced = ? WHERE id = ?').run(JSON.stringify(detail), id);
  }
}

function toOutbound(row: OutboundRow): OutboundMessage {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    tenant: row.tenant,
    accountId: row.account_id ?? 0,
    candidateId: row.candidate_id,
    conversationId: row.conversation_id ?? 0,
    purpose: row.purpose,
    messageId: row.message_id,
    recipient: row.recipient,
    replyTo: row.reply_to,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    inReplyTo: row.in_reply_to,
    references: row.refs ? (JSON.parse(row.refs) as string[]) : [],
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastReply: row.last_reply,
    lastFailure: row.last_failure ? failureOfRow(row.last_failure) : null,
    bounced: row.bounced ? (JSON.parse(row.bounced) as OutboundBounce) : null,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    sentCopy: row.copy_state
      ? { state: row.copy_state, attempts: row.copy_attempts ?? 0, folder: row.copy_folder, lastError: row.copy_error, copiedAt: row.copy_copied_at }
      : null,
  };
}

const CAUSES: readonly OutboundFailureCause[] = ['dns', 'connect', 'tls', 'auth', 'refused', 'timeout', 'protocol', 'local'];

/** The stored JSON, decoded once here; a value this version cannot read is shown as none (the words in last_reply remain). */
function failureOfRow(text: string): OutboundFailure | null {
  const v = JSON.parse(text) as Partial<OutboundFailure>;
  if (typeof v.permanent !== 'boolean' || !CAUSES.includes(v.cause as OutboundFailureCause)) return null;
  return {
    permanent: v.permanent,
    code: typeof v.code === 'number' ? v.code : null,
    enhancedCode: typeof v.enhancedCode === 'string' ? v.enhancedCode : null,
    line: typeof v.line === 'string' ? v.line : null,
    cause: v.cause as OutboundFailureCause,
  };
}
