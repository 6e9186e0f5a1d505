// What a matching decision changes besides the message row, in the same
// transaction as the job's completion: the conversation it joins, the outbound
// message it answers or reports on, a hard bounce's mark on the candidate's
// address, an account proven by its test email coming back, and its event.
import type { DecisionSummary, EventType, ProcessedMessage, Repositories, StoredMessage } from '../store/index.ts';
import { announceMessage, changeAccountStatus } from '../webhooks/announce.ts';

/** Where a decision filed its message, for the message row. */
export interface Placed {
  tenantId: number;
  /** The decision with the conversation actually chosen. */
  decision: DecisionSummary;
  filed: { conversationId: number | null; outboundId: string | null };
}

// Runs for every message the pipeline completes, inside the transaction that
// completes its job (so no transaction of its own here).
export class DecisionEffects {
  private readonly tx: Repositories;

  constructor(repositories: Repositories) {
    this.tx = repositories;
  }

  /**
   * Applies the decision to everything but the message row: places it in its
   * conversation, marks what a bounce reports and an account its test email
   * proves. Returns what the message row gets (stored with the rest of the
   * result, one statement), null when there is no decision or no such message.
   * Then `announce`, once the row is stored.
   */
  async place(messageId: string, summary: ProcessedMessage, at: string): Promise<Placed | null> {
    const { conversations, outbound, candidates, messages } = this.tx;
    const decision = summary.decision;
    if (!decision) return null;
    const tenantId = await messages.tenantOf(messageId);
    if (tenantId === null) return null;
    let conversationId = decision.conversationId ?? null;
    if (decision.status === 'assigned' && decision.candidate) {
      conversationId = await conversations.place(tenantId, decision.candidate.id, summary.subject, conversationId, at);
    }
    const outboundId = decision.outboundId ?? null;

    if (summary.classification.kind === 'bounce' && outboundId) {
      const bounce = summary.classification.bounce;
      await outbound.markBounced(outboundId, {
        messageId,
        at,
        hard: bounce?.hard ?? false,
        status: bounce?.status ?? null,
        diagnostic: bounce?.diagnostic ?? null,
      });
      const recipient = bounce?.recipient ?? (await outbound.get(outboundId))?.recipient ?? null;
      if (bounce?.hard && decision.candidate && recipient) {
        await candidates.markBouncing(decision.candidate.id, recipient, [bounce.status, bounce.diagnostic].filter(Boolean).join(' ') || null, at);
      }
    }
    if (decision.reason === 'test_email' && outboundId) {
      const accountId = (await outbound.get(outboundId))?.accountId;
      if (accountId) await changeAccountStatus(this.tx, accountId, 'active', null, at);
    }
    return { tenantId, decision: { ...decision, conversationId }, filed: { conversationId, outboundId } };
  }

  /** Records the stored decision's event, given the message as stored with what `place` returned. */
  async announce(message: StoredMessage | null, placed: Placed, at: string): Promise<void> {
    if (message) await announceMessage(this.tx, placed.tenantId, eventTypeOf(message), message, at);
  }
}

/** One event per decision: a bounce or an auto-reply is announced as such, anything else by where it went. */
function eventTypeOf(message: StoredMessage): EventType {
  if (message.classification?.kind === 'bounce') return 'message.bounced';
  if (message.classification?.kind === 'auto_reply') return 'message.auto_reply';
  return message.status === 'assigned' ? 'message.assigned' : 'message.unassigned';
}
