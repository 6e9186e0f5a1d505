// What a matching decision changes besides the message row, in the same
// transaction as the job's completion: the conversation it joins, the outbound
// message it answers or reports on, a hard bounce's mark on the candidate's
// address, and an account proven by its test email coming back.
import { AccountStore } from './accounts.ts';
import { CandidateStore } from './candidates.ts';
import { ConversationStore } from './conversations.ts';
import type { Statement } from 'better-sqlite3';
import type { Database } from './database.ts';
import type { DecisionSummary, ProcessedMessage } from './messages.ts';
import { EventStore, type EventType } from './events.ts';
import { MessageStore, type StoredMessage } from './messages.ts';
import { OutboundStore } from './outbound.ts';
import { messageJson } from '../views/json.ts';

// Runs in the store thread for every message the pipeline completes: the
// statements are prepared once, and the message's tenant is read once.
export class DecisionEffects {
  private readonly tenantOf: Statement<[string], { tenant_id: number }>;
  private readonly link: Statement<[number | null, string | null, string]>;
  private readonly conversations: ConversationStore;
  private readonly outbound: OutboundStore;
  private readonly candidates: CandidateStore;
  private readonly accounts: AccountStore;
  private readonly events: EventStore;
  private readonly messages: MessageStore;

  constructor(db: Database) {
    this.events = new EventStore(db);
    this.messages = new MessageStore(db);
    this.tenantOf = db.prepare('SELECT tenant_id FROM messages WHERE id = ?');
    this.link = db.prepare('UPDATE messages SET conversation_id = ?, outbound_id = ? WHERE id = ?');
    this.conversations = new ConversationStore(db);
    this.outbound = new OutboundStore(db);
    this.candidates = new CandidateStore(db, () => new Date());
    this.accounts = new AccountStore(db);
  }

  /**
   * Applies the decision, stores it with the conversation actually chosen and
   * records its event; returns the stored decision.
   */
  apply(messageId: string, summary: ProcessedMessage, at: string): DecisionSummary | null {
    const decision = summary.decision;
    if (!decision) return null;
    const row = this.tenantOf.get(messageId);
    if (!row) return decision;
    let conversationId = decision.conversationId ?? null;
    if (decision.status === 'assigned' && decision.candidate) {
      conversationId = this.conversations.place(row.tenant_id, decision.candidate.id, summary.subject, conversationId, at);
    }
    const outboundId = decision.outboundId ?? null;
    this.link.run(conversationId, outboundId, messageId);

    if (summary.classification.kind === 'bounce' && outboundId) {
      const bounce = summary.classification.bounce;
      this.outbound.markBounced(outboundId, {
        messageId,
        at,
        hard: bounce?.hard ?? false,
        status: bounce?.status ?? null,
        diagnostic: bounce?.diagnostic ?? null,
      });
      const recipient = bounce?.recipient ?? this.outbound.get(outboundId)?.recipient ?? null;
      if (bounce?.hard && decision.candidate && recipient) {
        this.candidates.markBouncing(decision.candidate.id, recipient, [bounce.status, bounce.diagnostic].filter(Boolean).join(' ') || null, at);
      }
    }
    if (decision.reason === 'test_email' && outboundId) {
      const accountId = this.outbound.get(outboundId)?.accountId;
      if (accountId) this.accounts.setStatus(accountId, 'active', null, at);
    }
    const stored = { ...decision, conversationId };
    this.messages.setDecision(messageId, stored);
    const message = this.messages.get(messageId);
    if (message) this.events.record(row.tenant_id, eventTypeOf(message), message.id, { message: messageJson(message) }, new Date(at));
    return stored;
  }
}

/** One event per decision: a bounce or an auto-reply is announced as such, anything else by where it went. */
function eventTypeOf(message: StoredMessage): EventType {
  if (message.classification?.kind === 'bounce') return 'message.bounced';
  if (message.classification?.kind === 'auto_reply') return 'message.auto_reply';
  return message.status === 'assigned' ? 'message.assigned' : 'message.unassigned';
}
