// What a matching decision changes besides the message row, in the same
// transaction as the job's completion: the conversation it joins, the outbound
// message it answers or reports on, a hard bounce's mark on the candidate's
// address, and an account proven by its test email coming back.
import { AccountStore } from './accounts.ts';
import { CandidateStore } from './candidates.ts';
import { ConversationStore } from './conversations.ts';
import type { Database } from './database.ts';
import type { DecisionSummary, ProcessedMessage } from './messages.ts';
import { EventStore, type EventType } from './events.ts';
import { MessageStore, type StoredMessage } from './messages.ts';
import { OutboundStore } from './outbound.ts';
import { messageJson } from '../views/json.ts';

export class DecisionEffects {
  private readonly db: Database;
  private readonly conversations: ConversationStore;
  private readonly outbound: OutboundStore;
  private readonly candidates: CandidateStore;
  private readonly accounts: AccountStore;
  private readonly events: EventStore;
  private readonly messages: MessageStore;

  constructor(db: Database) {
    this.events = new EventStore(db);
    this.messages = new MessageStore(db);
    this.db = db;
    this.conversations = new ConversationStore(db);
    this.outbound = new OutboundStore(db);
    this.candidates = new CandidateStore(db, () => new Date());
    this.accounts = new AccountStore(db);
  }

  /** Applies the decision; returns it with the conversation actually chosen. */
  apply(messageId: string, summary: ProcessedMessage, at: string): DecisionSummary | null {
    const decision = summary.decision;
    if (!decision) return null;
    const row = this.db.prepare('SELECT tenant_id FROM messages WHERE id = ?').get(messageId) as { tenant_id: number } | undefined;
    if (!row) return decision;
    let conversationId = decision.conversationId ?? null;
    if (decision.status === 'assigned' && decision.candidate) {
      conversationId = this.conversations.place(row.tenant_id, decision.candidate.id, summary.subject, conversationId, at);
    }
    const outboundId = decision.outboundId ?? null;
    this.db.prepare('UPDATE messages SET conversation_id = ?, outbound_id = ? WHERE id = ?').run(conversationId, outboundId, messageId);

    if (summary.classification.kind === 'bounce' && outboundId) {
      const bounce = summary.classification.bounce as { hard?: boolean; recipient?: string | null; status?: string | null; diagnostic?: string | null } | null;
      this.outbound.markBounced(outboundId, { messageId, at, hard: bounce?.hard ?? false, status: bounce?.status ?? null, diagnostic: bounce?.diagnostic ?? null });
      const recipient = bounce?.recipient ?? this.outbound.get(outboundId)?.recipient ?? null;
      if (bounce?.hard && decision.candidate && recipient) {
        this.candidates.markBouncing(decision.candidate.id, recipient, [bounce.status, bounce.diagnostic].filter(Boolean).join(' ') || null, at);
      }
    }
    if (decision.reason === 'test_email' && outboundId) {
      const accountId = this.outbound.get(outboundId)?.accountId;
      if (accountId) this.accounts.setStatus(accountId, 'active', null, at);
    }
    return { ...decision, conversationId };
  }

  /** The event for a message the pipeline has just decided on, in the same transaction. */
  announce(messageId: string, at: Date): void {
    const message = this.messages.get(messageId);
    const row = this.db.prepare('SELECT tenant_id FROM messages WHERE id = ?').get(messageId) as { tenant_id: number } | undefined;
    if (!message?.decision || !row) return;
    this.events.record(row.tenant_id, eventTypeOf(message), message.id, { message: messageJson(message) }, at);
  }
}

/** One event per decision: a bounce or an auto-reply is announced as such, anything else by where it went. */
function eventTypeOf(message: StoredMessage): EventType {
  if (message.classification?.kind === 'bounce') return 'message.bounced';
  if (message.classification?.kind === 'auto_reply') return 'message.auto_reply';
  return message.status === 'assigned' ? 'message.assigned' : 'message.unassigned';
}
