// The matching stage: feeds what the earlier stages found, and what the store
// knows about the message's tenant (its tokens, what it sent and received, its
// candidates), to the pure decision in match/.
import type { ParsedMessage } from '../parse/index.ts';
import { forwardHints } from '../classify/forward.ts';
import { decide, type CandidateRef } from '../match/index.ts';
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
export function threadIds(p: ParsedMessage | null): string[] {
  if (!p) return [];
  const ids = [...(p.references ?? []).slice(-20), ...(p.inReplyTo ? [p.inReplyTo] : [])];
  return [...new Set(ids)];
}

/** What matching asks the store; the evaluation answers it from a labelled set instead. */
export type MatchSources = Pick<
  MatchLookups,
  'tenantOfMessage' | 'isForwardAddressOf' | 'isOwnAddress' | 'candidatesFor' | 'ownOutbound' | 'token' | 'thread' | 'answered' | 'bounceTarget'
>;

/** Whether the message came through the tenant's company inbox: forwarded to one of its forwarding addresses, or read from it over IMAP. */
async function viaCompanyInbox(lookups: MatchSources, tenantId: number, envelope: Envelope): Promise<boolean> {
  if (envelope.imap !== undefined) return true;
  return (await Promise.all(envelope.rcptTo.map((r) => lookups.isForwardAddressOf(tenantId, r)))).includes(true);
}

/**
 * The candidates of every address the decision may ask about (the authors, the
 * proven sender, a forward's original sender), read before it: the decision is
 * pure and synchronous, the store is not.
 */
async function candidatesByAddress(lookups: MatchSources, chain: readonly number[], processed: ProcessedMessage): Promise<(address: string) => CandidateRef[]> {
  const auth = processed.auth;
  const asked = [...(auth?.fromAddresses ?? []), processed.from, auth?.sender?.address, processed.classification.forward?.originalFrom?.address];
  // The store compares addresses case-insensitively: one lookup per address, whatever case the decision asks in.
  const addresses = new Set(asked.flatMap((a) => (a ? [a.toLowerCase()] : [])));
  const found = new Map<string, CandidateRef[]>();
  await Promise.all([...addresses].map(async (address) => found.set(address, await lookups.candidatesFor(chain, address))));
  return (address) => {
    const candidates = found.get(address.toLowerCase());
    if (!candidates) throw new Error(`matching asked about ${address}, which was not read beforehand`);
    return candidates;
  };
}

export async function matchMessage(
  lookups: MatchSources,
  id: string,
  processed: ProcessedMessage,
  message: { raw: Buffer; envelope: Envelope },
): Promise<DecisionSummary | null> {
  const tenant = await lookups.tenantOfMessage(id);
  if (!tenant) return null;
  const c = processed.classification;
  const bounce = c.kind === 'bounce' ? c.bounce : null;
  const auth = processed.auth;
  const headers = processed.parsed?.headers ?? {};
  const named = threadIds(processed.parsed);
  // Asked all at once: the store answers the group's messages' questions of a kind together (match-lookups.ts).
  const [viaForwardAddress, isOwnAddress, candidatesFor, ownOutbound, token, thread, answers, bounceTarget] = await Promise.all([
    viaCompanyInbox(lookups, tenant.tenantId, message.envelope),
    ownAddressAnswer(lookups, processed.from),
    candidatesByAddress(lookups, tenant.chain, processed),
    c.kind === 'bounce' ? null : lookups.ownOutbound(tenant.chain, processed.messageId),
    lookups.token(tenant.chain, message.envelope.rcptTo),
    lookups.thread(tenant.chain, named),
    lookups.answered(tenant.chain, named),
    bounce ? lookups.bounceTarget(tenant.chain, bounce.originalMessageId, bounce.recipient, bounce.hard) : null,
  ]);
  return decide({
    kind: c.kind,
    from: processed.from,
    // Before sender authentication was stored, the parsed From was all there was.
    fromAddresses: auth?.fromAddresses ?? (processed.from ? [processed.from] : []),
    sender: auth?.sender ?? null,
    forward: c.forward ? { manual: c.forward.manual, originalFrom: c.forward.originalFrom?.address ?? null } : null,
    hints: forwardHints(headers),
    viaForwardAddress,
    dmarc: auth?.dmarc ?? null,
    receivedCount: countReceived(message.raw),
    tenantDomains: tenant.domains,
    trustedForwarders: tenant.inboxes,
    isOwnAddress,
    candidatesFor,
    ownOutbound,
    token,
    thread,
    answers,
    bounce: bounceTarget,
  });
}

/** decide asks whether the sender is one of our own addresses (a loop): answered for the From it is given, and only for that. */
async function ownAddressAnswer(lookups: MatchSources, from: string | null): Promise<(address: string) => boolean> {
  const own = from !== null && (await lookups.isOwnAddress(from));
  return (address) => {
    if (address !== from) throw new Error(`matching asked about ${address}, which was not looked up`);
    return own;
  };
}
