// Conversations: the messages on a candidate, grouped. Outreach opens one; a
// reply joins the conversation its token or headers name; a message matched by
// its sender alone joins the candidate's conversation with the same subject
// (without Re:/Fwd: prefixes), else opens a new one.
import type { Sql, SqlStatement } from './sql/sql.ts';

export interface Conversation {
  id: number;
  tenantId: number;
  /** The tenant's slug. */
  tenant: string;
  candidateId: number | null;
  subject: string;
  createdAt: string;
  lastMessageAt: string;
}

interface ConversationRow {
  id: number;
  tenant_id: number;
  tenant: string;
  candidate_id: number | null;
  subject: string;
  created_at: string;
  last_message_at: string;
}

// Reply and forward prefixes in the languages recruiters meet most.
const PREFIX = /^\s*((re|fw|fwd|aw|wg|sv|vs|tr|rv|enc|antw|odp|ynt|r|i)\s*(\[\d+\])?\s*:\s*)+/i;

/** The subject a conversation is known by: prefixes and extra spaces removed. */
export function conversationSubject(subject: string | null): string {
  let s = (subject ?? '').trim();
  for (let previous = ''; previous !== s;) {
    previous = s;
    s = s.replace(PREFIX, '').trim();
  }
  return s.replace(/\s+/g, ' ');
}

const SELECT = 'SELECT c.*, t.slug AS tenant FROM conversations c JOIN tenants t ON t.id = c.tenant_id';

const toConversation = (row: ConversationRow): Conversation => ({
  id: row.id,
  tenantId: row.tenant_id,
  tenant: row.tenant,
  candidateId: row.candidate_id,
  subject: row.subject,
  createdAt: row.created_at,
  lastMessageAt: row.last_message_at,
});

export class ConversationStore {
  private readonly insert: SqlStatement<[number, number | null, string, string, string], { id: number }>;
  private readonly byId: SqlStatement<[number], ConversationRow>;
  private readonly touchBySubject: SqlStatement<[string, number, string], { id: number }>;
  private readonly touch: SqlStatement<[string, number]>;
  private readonly claim: SqlStatement<[number, number]>;
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
    this.insert = sql.prepare('INSERT INTO conversations (tenant_id, candidate_id, subject, created_at, last_message_at) VALUES (?, ?, ?, ?, ?) RETURNING id');
    this.byId = sql.prepare(`${SELECT} WHERE c.id = ?`);
    // The candidate's latest conversation with this subject, touched and named in one statement (a round trip on PostgreSQL).
    this.touchBySubject = sql.prepare(
      `UPDATE conversations SET last_message_at = ${sql.fn.greatest('last_message_at', '?')}
       WHERE id = (SELECT id FROM conversations WHERE candidate_id = ? AND subject = ? ORDER BY last_message_at DESC LIMIT 1) RETURNING id`,
    );
    this.claim = sql.prepare('UPDATE conversations SET candidate_id = ? WHERE id = ?');
    this.touch = sql.prepare(`UPDATE conversations SET last_message_at = ${sql.fn.greatest('last_message_at', '?')} WHERE id = ?`);
  }

  async open(tenantId: number, candidateId: number | null, subject: string | null, at: string): Promise<number> {
    return (await this.insert.get(tenantId, candidateId, conversationSubject(subject), at, at))!.id;
  }

  /** In-Reply-To and References for a message continuing a conversation: its latest message (sent or received), and the chain before it. */
  async threadReferences(conversationId: number): Promise<{ inReplyTo: string | null; references: string[] }> {
    const latest = (await this.sql
      .prepare(
        `SELECT message_id, refs FROM (
           SELECT '<' || message_id || '>' AS message_id, refs, created_at AS at FROM outbound_messages WHERE conversation_id = ?
           UNION ALL SELECT message_id, NULL AS refs, received_at AS at FROM messages WHERE conversation_id = ? AND message_id IS NOT NULL
         ) AS latest ORDER BY at DESC LIMIT 1`,
      )
      .get(conversationId, conversationId)) as { message_id: string; refs: string | null } | undefined;
    if (!latest) return { inReplyTo: null, references: [] };
    const earlier = latest.refs ? (JSON.parse(latest.refs) as string[]) : [];
    return { inReplyTo: latest.message_id, references: [...earlier, latest.message_id].slice(-20) };
  }

  async get(id: number): Promise<Conversation | null> {
    const row = await this.byId.get(id);
    return row ? toConversation(row) : null;
  }

  /** A candidate's conversations, newest first, a page at a time (`before`: the last id of the previous page). */
  async ofCandidate(candidateId: number, before: number | null, limit: number): Promise<Conversation[]> {
    const rows = (await this.sql
      .prepare(`${SELECT} WHERE c.candidate_id = ? AND c.id < ? ORDER BY c.id DESC LIMIT ?`)
      .all(candidateId, before ?? Number.MAX_SAFE_INTEGER, limit)) as ConversationRow[];
    return rows.map(toConversation);
  }

  /**
   * The conversation a message on this candidate joins: `preferred` when it
   * belongs to the candidate (named by a token or header), else the one with the
   * same subject, else a new one.
   */
  async place(tenantId: number, candidateId: number, subject: string | null, preferred: number | null, at: string): Promise<number> {
    const chosen = preferred !== null ? await this.get(preferred) : null;
    if (chosen && (chosen.candidateId === candidateId || chosen.candidateId === null)) {
      // A conversation opened without a candidate (outreach to an unknown address) now has one.
      if (chosen.candidateId === null) await this.claim.run(candidateId, chosen.id);
      await this.touch.run(at, chosen.id);
      return chosen.id;
    }
    const touched = await this.touchBySubject.get(at, candidateId, conversationSubject(subject));
    // A new one starts with this message as its last.
    return touched?.id ?? (await this.open(tenantId, candidateId, subject, at));
  }
}
