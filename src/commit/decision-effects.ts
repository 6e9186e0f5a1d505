// What a matching decision changes besides the message row, in the same
// transaction as the job's completion: the conversation it joins, the outbound
// message it answers or reports on, a hard bounce's mark on the candidate's
// address, an account proven by its test email coming back, and its event.
import type { DecisionSummary, EventType, ProcessedMessage, Repositories, StoredMessage } from '../store/index.ts';
import { announceMessage, changeAccountStatus } from '../webhooks/announce.ts';

// Runs for every message the pipeline completes, inside the transaction that
// completes its job (so no transaction of its own here).
export class DecisionEffects {
  private readonly tx: Repositories;

  constructor(repositories: Repositories) {
    this.tx = repositories;
  }

  /**
   * Applies the decision, stores it with the conversation actually chosen and
   * records its event; returns the stored decision.
   */
  async apply(messageId: string, summary: ProcessedMessage, at: string): Promise<DecisionSummary | null> {
    const { conversations, outbound, candidates, messages } = this.tx;
    const decision = summary.decision;
    if (!decision) return null;
    const tenantId = await messages.tenantOf(messageId);
    if (tenantId === null) return decision;
    let conversationId = decision.conversationId ?? null;
    if (decision.status === 'assigned' && decision.candidate) {
      conversationId = await conversations.place(tenantId, decision.candidate.id, summary.subject, conversationId, at);
    }
    const outboundId = decision.outboundId ?? null;
    await messages.link(messageId, conversationId, outboundId);

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
    const stored = { ...decision, conversationId };
    await messages.setDecision(messageId, stored);
    const message = await messages.get(messageId);
    if (message) await announceMessage(this.tx, tenantId, eventTypeOf(message), message, at);
    return stored;
  }
}

/** One event per decision: a bounce or an auto-reply is announced as such, anything else by where it went. */
function eventTypeOf(message: StoredMessage): EventType {
  if (message.classification?.kind === 'bounce') return 'message.bounced';
  if (message.classification?.kind === 'auto_reply') return 'message.auto_reply';
  return message.status === 'assigned' ? 'message.assigned' : 'message.unassigned';
}
