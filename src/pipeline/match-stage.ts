// The matching stage: feeds what the earlier stages found, and what the store
// knows about the message's tenant (its tokens, what it sent and received, its
// candidates), to the pure decision in match/.
import type { ParsedMessage } from '../parse/index.ts';
import { forwardHints } from '../classify/forward.ts';
import { decide } from '../match/index.ts';
import { rawHeader } from '../parse/raw-header.ts';
import type { DecisionSummary, Envelope, MatchLookups, ProcessedMessage } from '../store/index.ts';

/** Received headers in the header block: more than a few dozen is a loop. */
export function countReceived(raw: Buffer): number {
  return (
    rawHeader(raw)
      .toString('latin1')
      .match(/^Received:/gim)?.length ?? 0
  );
}

/** In-Reply-To and References of the parse result (at most the last 20 references). */
function threadIds(p: ParsedMessage | null): string[] {
  if (!p) return [];
  const ids = [...(p.references ?? []).slice(-20), ...(p.inReplyTo ? [p.inReplyTo] : [])];
  return [...new Set(ids)];
}

/** What matching asks the store; the evaluation answers it from a labelled set instead. */
export type MatchSources = Pick<MatchLookups, 'tenantOfMessage' | 'isForwardAddressOf' | 'candidatesFor' | 'ownOutbound' | 'token' | 'thread' | 'bounceTarget'>;

/** Whether the message came through the tenant's company inbox: forwarded to one of its forwarding addresses, or read from it over IMAP. */
function viaCompanyInbox(lookups: MatchSources, tenantId: number, envelope: Envelope): boolean {
  return envelope.imap !== undefined || envelope.rcptTo.some((r) => lookups.isForwardAddressOf(tenantId, r));
}

export function matchMessage(
  lookups: MatchSources,
  id: string,
  processed: ProcessedMessage,
  message: { raw: Buffer; envelope: Envelope },
): DecisionSummary | null {
  const tenant = lookups.tenantOfMessage(id);
  if (!tenant) return null;
  const c = processed.classification;
  const bounce = c.kind === 'bounce' ? c.bounce : null;
  const auth = processed.auth;
  const headers = processed.parsed?.headers ?? {};
  return decide({
    kind: c.kind,
    from: processed.from,
    // Before sender authentication was stored, the parsed From was all there was.
    fromAddresses: auth?.fromAddresses ?? (processed.from ? [processed.from] : []),
    sender: auth?.sender ?? null,
    forward: c.forward ? { manual: c.forward.manual, originalFrom: c.forward.originalFrom?.address ?? null } : null,
    hints: forwardHints(headers),
    viaForwardAddress: viaCompanyInbox(lookups, tenant.tenantId, message.envelope),
    dmarc: auth?.dmarc ?? null,
    receivedCount: countReceived(message.raw),
    tenantDomains: tenant.domains,
    trustedForwarders: tenant.inboxes,
    isOwnAddress: tenant.isOwnAddress,
    candidatesFor: (address) => lookups.candidatesFor(tenant.chain, address),
    ownOutbound: c.kind === 'bounce' ? null : lookups.ownOutbound(tenant.chain, processed.messageId),
    token: lookups.token(tenant.chain, message.envelope.rcptTo),
    thread: lookups.thread(tenant.chain, threadIds(processed.parsed)),
    bounce: bounce ? lookups.bounceTarget(tenant.chain, bounce.originalMessageId, bounce.recipient, bounce.hard) : null,
  });
}
