// What a matching decision changes besides the message row, in the same
// transaction as the job's completion: the conversation it joins, the outbound
// message it answers or reports on, a hard bounce's mark on the candidate's
// address, an account proven by its test email coming back, and its event.
import type { ConversationPlacement, DecisionSummary, EventType, ProcessedMessage, Repositories, StoredMessage } from '../store/index.ts';
import { announceMessage, changeAccountStatus } from '../webhooks/announce.ts';

/** Where a decision filed its message, for the message row. */
export interface Placed {
  tenantId: number;
  /** The decision with the conversation actually chosen. */
  decision: DecisionSummary;
  filed: { conversationId: number | null; outboundId: string | null };
}

/** A decision applied to everything but its conversation (`applyDecision`), which `placeAll` chooses. */
export interface Placing {
  tenantId: number;
  decision: DecisionSummary;
  /** The conversation to find or open, for a message assigned to a candidate; null: the decision's own (if any) stands. */
  conversation: ConversationPlacement | null;
  outboundId: string | null;
}

// Runs for every message the pipeline completes, inside the transaction that
// completes its job (so no transaction of its own here).
export class DecisionEffects {
  private readonly tx: Repositories;

  constructor(repositories: Repositories) {
    this.tx = repositories;
  }

  /**
   * Applies the decision to everything but the message row and its
   * conversation: marks what a bounce reports and an account its test email
   * proves. `placeAll` then chooses the conversation (a group's at once), the
   * message row is stored with what it returns (one statement), and then
   * `announce`. Null when there is no decision or no such message.
   */
  async applyDecision(messageId: string, summary: ProcessedMessage, at: string): Promise<Placing | null> {
    const { outbound, candidates, messages } = this.tx;
    const decision = summary.decision;
    if (!decision) return null;
    const tenantId = await messages.tenantOf(messageId);
    if (tenantId === null) return null;
    const conversation =
      decision.status === 'assigned' && decision.candidate
        ? { tenantId, candidateId: decision.candidate.id, subject: summary.subject, preferred: decision.conversationId ?? null, at }
        : null;
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
    return { tenantId, decision, conversation, outboundId };
  }

  /** The conversations of these applied decisions, chosen together (a group's in one or two statements on PostgreSQL), in order. */
  async placeAll(placings: readonly (Placing | null)[]): Promise<(Placed | null)[]> {
    const asked = placings.flatMap((p) => (p?.conversation ? [p.conversation] : []));
    const chosen = asked.length > 0 ? await this.tx.conversations.placeMany(asked) : [];
    let next = 0;
    return placings.map((p) => {
      if (!p) return null;
      const conversationId = p.conversation ? chosen[next++]! : (p.decision.conversationId ?? null);
      return { tenantId: p.tenantId, decision: { ...p.decision, conversationId }, filed: { conversationId, outboundId: p.outboundId } };
    });
  }

  /** Records the stored decision's event, given the message as stored with what `placeAll` returned. */
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
