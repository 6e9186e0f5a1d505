// The matching decision: which candidate and conversation a message belongs to,
// or why it goes to the unassigned queue. A pure function of plain data, one rule
// after the other (design notes, "Matching order"); the first that applies wins.
// Everything it rests on goes into `evidence`, so `show` can explain it.

export type UnassignedReason =
  | 'loop'
  | 'test_email'
  | 'forwarding_verification'
  | 'bounce_unmatched'
  | 'bad_token'
  | 'dmarc_fail'
  | 'ambiguous_sender'
  | 'unknown_sender'
  | 'no_sender';

export interface CandidateRef {
  id: number;
  externalId: string;
  name: string;
}

/** A message of ours (the relay sent it) that an incoming message refers to. */
export interface OutboundRef {
  id: string;
  purpose: 'send' | 'test';
  accountId: number | null;
  candidate: CandidateRef | null;
  conversationId: number | null;
  recipient: string;
}

/** What the reply token in the recipient turned out to be. */
export type TokenFinding =
  | { valid: false; token: string; recipient: string }
  | { valid: true; token: string; kid: string; conversationId: number; candidate: CandidateRef | null };

/** The earlier message (received or sent) that In-Reply-To/References name. */
export interface ThreadFinding {
  messageId: string;
  candidate: CandidateRef;
  conversationId: number | null;
  /** Set when the referenced message is one we sent. */
  outboundId: string | null;
}

export interface BounceFinding {
  outbound: OutboundRef;
  /** How the bounce named our message: its original Message-ID, or only the failed recipient. */
  via: 'message_id' | 'recipient';
  hard: boolean;
  recipient: string | null;
}

export interface MatchInput {
  kind: string;
  /** The From address and, for a forward, who it is really from and who forwarded it. */
  from: string | null;
  originalFrom: string | null;
  forwardedBy: string | null;
  dmarc: string | null;
  receivedCount: number;
  /** The tenant's own domains (acme.com): a forward from there is trusted to name the original sender. */
  tenantDomains: readonly string[];
  /** Addresses configured as forwarders (the tenant's company inboxes), trusted wherever their domain. */
  trustedForwarders?: readonly string[];
  /** Our own addresses for this tenant: mail from them is a loop. */
  isOwnAddress: (address: string) => boolean;
  /** Candidates of the tenant (then its parent) with this address. */
  candidatesFor: (address: string) => CandidateRef[];
  /** This very message is one the relay sent (its Message-ID is ours): a test email coming back, or a loop. */
  ownOutbound: OutboundRef | null;
  token: TokenFinding | null;
  thread: ThreadFinding | null;
  /** For a bounce: the outbound message it reports on, when one was found. */
  bounce: BounceFinding | null;
}

export interface Decision {
  status: 'assigned' | 'unassigned';
  method: 'token' | 'header' | 'sender' | null;
  reason: UnassignedReason | null;
  candidate: CandidateRef | null;
  suggestions: CandidateRef[];
  /** The conversation named by a token or header; null lets the store pick one by subject. */
  conversationId: number | null;
  /** The outbound message this one answers, reports on or is. */
  outboundId: string | null;
  /** What the decision rests on, for `show` to explain it. */
  evidence: Record<string, unknown>;
}

/** More Received headers than this is a mail loop (RFC 5321 6.3 suggests a limit). */
export const MAX_RECEIVED = 30;

function unassigned(reason: UnassignedReason, evidence: Record<string, unknown>, extra: Partial<Decision> = {}): Decision {
  return { status: 'unassigned', method: null, reason, candidate: null, suggestions: [], conversationId: null, outboundId: null, evidence, ...extra };
}

function assigned(method: 'token' | 'header' | 'sender', candidate: CandidateRef, evidence: Record<string, unknown>, extra: Partial<Decision> = {}): Decision {
  return { status: 'assigned', method, reason: null, candidate, suggestions: [], conversationId: null, outboundId: null, evidence, ...extra };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export function decide(input: MatchInput): Decision {
  if (input.receivedCount > MAX_RECEIVED) return unassigned('loop', { receivedCount: input.receivedCount });
  if (input.from && input.isOwnAddress(input.from)) return unassigned('loop', { from: input.from });
  if (input.ownOutbound) {
    const own = input.ownOutbound;
    const evidence = { outboundId: own.id, accountId: own.accountId };
    return own.purpose === 'test' ? unassigned('test_email', evidence, { outboundId: own.id }) : unassigned('loop', evidence, { outboundId: own.id });
  }
  if (input.kind === 'forwarding_verification') return unassigned('forwarding_verification', {});

  // A bounce belongs to the outbound message it reports on, never to a
  // conversation as a reply.
  if (input.kind === 'bounce') {
    const b = input.bounce;
    if (!b) return unassigned('bounce_unmatched', {});
    const evidence = { outboundId: b.outbound.id, via: b.via, hard: b.hard, recipient: b.recipient };
    const extra = { outboundId: b.outbound.id, conversationId: b.outbound.conversationId };
    return b.outbound.candidate ? assigned('header', b.outbound.candidate, evidence, extra) : unassigned('bounce_unmatched', evidence, extra);
  }

  // A token is a capability we handed out: a genuine one names the
  // conversation whoever replies; a forged or foreign one is never a match.
  if (input.token && !input.token.valid) return unassigned('bad_token', { token: input.token.token, recipient: input.token.recipient });
  if (input.token?.valid && input.token.candidate) {
    const t = input.token;
    return assigned('token', t.candidate as CandidateRef, { token: t.token, kid: t.kid, conversationId: t.conversationId }, { conversationId: t.conversationId });
  }
  const tokenConversation = input.token?.valid ? input.token.conversationId : null;

  // An answer in a thread we know belongs where the thread does, whichever
  // address it came from (the candidate's phone, a colleague's reply).
  // Not for a From that fails DMARC: a spoof could name a known Message-ID.
  if (input.thread && input.dmarc !== 'fail') {
    const t = input.thread;
    return assigned('header', t.candidate, { header: t.outboundId ? 'sent' : 'received', messageId: t.messageId, outboundId: t.outboundId }, { conversationId: t.conversationId, outboundId: t.outboundId });
  }

  // Whose address to look up: the recovered original sender when the forwarder is
  // one of the tenant's own people or a configured forwarder, else whoever sent it.
  const forwardedBy = input.forwardedBy?.toLowerCase() ?? null;
  const trustedForwarder = forwardedBy !== null && (input.tenantDomains.includes(domainOf(forwardedBy)) || (input.trustedForwarders ?? []).includes(forwardedBy));
  const sender = trustedForwarder || input.forwardedBy === null ? (input.originalFrom ?? input.from) : input.from;
  const keep = { conversationId: tokenConversation };
  if (!sender) return unassigned('no_sender', {}, keep);
  // A sender match is never made on a From that fails DMARC (a spoof).
  if (input.dmarc === 'fail' && sender === input.from) return unassigned('dmarc_fail', { sender }, keep);

  const candidates = input.candidatesFor(sender);
  const evidence = { sender, forwardedBy: input.forwardedBy, candidateIds: candidates.map((c) => c.id) };
  if (candidates.length === 1) return assigned('sender', candidates[0] as CandidateRef, evidence, keep);
  if (candidates.length > 1) return unassigned('ambiguous_sender', evidence, { ...keep, suggestions: candidates });
  return unassigned('unknown_sender', evidence, keep);
}
