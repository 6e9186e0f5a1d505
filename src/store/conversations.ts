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

/** Characters of a subject that name its conversation (at most 2 KB of UTF-8). */
const SUBJECT_KEY_CHARS = 500;

/** The subject a conversation is known by: prefixes and extra spaces removed. */
export function conversationSubject(subject: string | null): string {
  let s = (subject ?? '').trim();
  for (let previous = ''; previous !== s;) {
    previous = s;
    s = s.replace(PREFIX, '').trim();
  }
  // Capped: the (candidate, subject) index of PostgreSQL refuses keys past ~2.7 KB, which a stranger's subject may be.
  // A cut through a surrogate pair leaves half of it: made U+FFFD, as the store keeps text (storable-text.ts).
  return s.replace(/\s+/g, ' ').slice(0, SUBJECT_KEY_CHARS).toWellFormed();
}

const SELECT = 'SELECT c.*, t.slug AS tenant FROM conversations c JOIN tenants t ON t.id = c.tenant_id';

/** A message on a candidate to place in a conversation (`place`'s arguments, for `placeMany`). */
export interface ConversationPlacement {
  tenantId: number;
  candidateId: number;
  subject: string | null;
  /** The conversation a token or header named, or null. */
  preferred: number | null;
  at: string;
}

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
  private readonly takePreferred: SqlStatement<[number, string, number, number], { id: number }>;
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
    // The named conversation when it is the candidate's or no one's (then it becomes the candidate's), touched, in one statement.
    this.takePreferred = sql.prepare(
      `UPDATE conversations SET candidate_id = COALESCE(candidate_id, ?), last_message_at = ${sql.fn.greatest('last_message_at', '?')}
       WHERE id = ? AND (candidate_id IS NULL OR candidate_id = ?) RETURNING id`,
    );
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
   * belongs to the candidate (named by a token or header) or to no one (outreach
   * to an unknown address: it becomes the candidate's), else the one with the
   * same subject, else a new one.
   */
  async place(tenantId: number, candidateId: number, subject: string | null, preferred: number | null, at: string): Promise<number> {
    if (preferred !== null) {
      const taken = await this.takePreferred.get(candidateId, at, preferred, candidateId);
      if (taken) return taken.id;
    }
    const touched = await this.touchBySubject.get(at, candidateId, conversationSubject(subject));
    // A new one starts with this message as its last.
    return touched?.id ?? (await this.open(tenantId, candidateId, subject, at));
  }

  /**
   * The conversations these messages join, in order, as `place` would choose
   * them one message after another (messages that open the same conversation
   * share it; it ends with the latest of their times). PostgreSQL: one
   * statement for those naming a conversation, one for the rest, whatever
   * their number (each a round trip); SQLite places them one by one. One
   * difference on PostgreSQL: the named ones are placed first, so a message
   * placed by subject joins an unclaimed conversation of that subject that a
   * later message of the same group named (one by one, it would have opened
   * its own); and of two candidates naming the same unclaimed conversation,
   * either may take it. Both are orders a group's completions may finish in.
   */
  async placeMany(placements: readonly ConversationPlacement[]): Promise<number[]> {
    if (this.sql.dialect !== 'postgres' || placements.length < 2) {
      const ids: number[] = [];
      for (const p of placements) ids.push(await this.place(p.tenantId, p.candidateId, p.subject, p.preferred, p.at));
      return ids;
    }
    const ids = await this.takePreferredMany(placements);
    const rest = placements.flatMap((p, i) => (ids[i] === undefined ? [{ ...p, i }] : []));
    if (rest.length > 0) {
      const bySubject = await this.placeBySubject(rest);
      for (const p of rest) ids[p.i] = bySubject.get(pairKey(p.candidateId, conversationSubject(p.subject)));
    }
    return ids.map((id, i) => {
      // A pair's conversation deleted while the statement ran (a tenant removed): the group is written again one by one.
      if (id === undefined) throw new Error(`no conversation was placed for message ${i + 1} of the group`);
      return id;
    });
  }

  /**
   * The named conversations that are the candidate's or no one's, taken and
   * touched in one statement. Two candidates naming the same unclaimed one:
   * one takes it (the row is changed once), the other goes on by subject, as
   * the second would one after the other.
   */
  private async takePreferredMany(placements: readonly ConversationPlacement[]): Promise<(number | undefined)[]> {
    const ids: (number | undefined)[] = placements.map(() => undefined);
    const named = placements.flatMap((p) => (p.preferred === null ? [] : [{ preferred: p.preferred, candidate_id: p.candidateId, at: p.at }]));
    if (named.length === 0) return ids;
    const taken = (await this.sql
      .prepare(
        `WITH r AS (SELECT preferred, candidate_id, MAX(at) AS at FROM jsonb_to_recordset(?::jsonb) AS x(preferred bigint, candidate_id bigint, at text)
                    GROUP BY preferred, candidate_id)
         UPDATE conversations c SET candidate_id = COALESCE(c.candidate_id, r.candidate_id), last_message_at = GREATEST(c.last_message_at, r.at)
         FROM r WHERE c.id = r.preferred AND (c.candidate_id IS NULL OR c.candidate_id = r.candidate_id)
         RETURNING c.id, r.candidate_id`,
      )
      .all(JSON.stringify(named))) as { id: number; candidate_id: number }[];
    const won = new Set(taken.map((row) => pairKey(Number(row.candidate_id), String(row.id))));
    placements.forEach((p, i) => {
      if (p.preferred !== null && won.has(pairKey(p.candidateId, String(p.preferred)))) ids[i] = p.preferred;
    });
    return ids;
  }

  /**
   * Each (candidate, subject) pair's latest conversation touched with the
   * latest of its messages' times, and a new one for each pair without one
   * (tenant and creation time of its first message), in one statement.
   */
  private async placeBySubject(placements: readonly (ConversationPlacement & { i: number })[]): Promise<Map<string, number>> {
    const rows = placements.map((p) => ({ i: p.i, tenant_id: p.tenantId, candidate_id: p.candidateId, subject: conversationSubject(p.subject), at: p.at }));
    const placed = (await this.sql
      .prepare(
        `WITH r AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(i integer, tenant_id bigint, candidate_id bigint, subject text, at text)),
         pairs AS (SELECT candidate_id, subject, MAX(at) AS at FROM r GROUP BY candidate_id, subject),
         found AS (SELECT DISTINCT ON (p.candidate_id, p.subject) c.id, p.candidate_id, p.subject, p.at
                   FROM pairs p JOIN conversations c ON c.candidate_id = p.candidate_id AND c.subject = p.subject
                   ORDER BY p.candidate_id, p.subject, c.last_message_at DESC, c.id DESC),
         touched AS (UPDATE conversations c SET last_message_at = GREATEST(c.last_message_at, f.at) FROM found f WHERE c.id = f.id
                     RETURNING c.id, f.candidate_id, f.subject),
         opened AS (INSERT INTO conversations (tenant_id, candidate_id, subject, created_at, last_message_at)
                    SELECT DISTINCT ON (r.candidate_id, r.subject) r.tenant_id, r.candidate_id, r.subject, r.at, p.at
                    FROM r JOIN pairs p ON p.candidate_id = r.candidate_id AND p.subject = r.subject
                    WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.candidate_id = r.candidate_id AND f.subject = r.subject)
                    ORDER BY r.candidate_id, r.subject, r.i
                    RETURNING id, candidate_id, subject)
         SELECT id, candidate_id, subject FROM touched UNION ALL SELECT id, candidate_id, subject FROM opened`,
      )
      .all(JSON.stringify(rows))) as { id: number; candidate_id: number; subject: string }[];
    return new Map(placed.map((row) => [pairKey(Number(row.candidate_id), row.subject), Number(row.id)]));
  }
}

/** A (candidate, text) pair as one map key. */
function pairKey(candidateId: number, text: string): string {
  return `${candidateId} ${text}`;
}
