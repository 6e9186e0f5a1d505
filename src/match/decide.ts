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
  | 'unauthenticated_sender'
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
  { valid: false; token: string; recipient: string } | { valid: true; token: string; kid: string; conversationId: number; candidate: CandidateRef | null };

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

/** Whether the From is proven (auth/sender.ts); the fields matching reads. */
export interface SenderProof {
  authenticated: boolean;
  /** The From mailbox the checks judged (auth reads the header itself, not the parser's result). */
  address: string | null;
  via: string | null;
  detail: string;
}

/** A forward the classifier recognised: who it claims the original is from. */
export interface ForwardFinding {
  /** A person's forward (inline block, attached message) rather than an automatic one. */
  manual: boolean;
  originalFrom: string | null;
}

export interface MatchInput {
  kind: string;
  /** The (first) From address, and every author address of the From field(s). */
  from: string | null;
  fromAddresses: readonly string[];
  /** Whether the From is authenticated; null when nothing was checked. */
  sender: SenderProof | null;
  forward: ForwardFinding | null;
  /** Headers that claim an earlier sender or forwarder (X-Original-From, Resent-From...): never believed, kept as evidence. */
  hints: Readonly<Record<string, string>>;
  /** The message came to one of the tenant's forwarding addresses (through its inbox). */
  viaForwardAddress: boolean;
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
  /**
   * The newest of our outbound messages that In-Reply-To or References name
   * (its id), whatever else matches: a reply carries what it answers.
   */
  answers: string | null;
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
  evidence: Evidence;
}

/** A forward whose original sender the decision weighed: believed (`trusted`) or not, and why not. */
export interface ForwardEvidence {
  forwardedBy: string;
  originalFrom: string;
  trusted: boolean;
  why?: string;
}

/**
 * What a decision rests on. The fields others read (the console's words, the
 * address a filing remembers) are typed; the rest is kept for `show` as it is.
 */
export interface Evidence {
  /** The address the sender rule judged. */
  sender?: string;
  forward?: ForwardEvidence;
  /** Headers that name an earlier sender or forwarder: hints, never proof. */
  hints?: Readonly<Record<string, string>>;
  [detail: string]: unknown;
}

/** More Received headers than this is a mail loop (RFC 5321 6.3 suggests a limit). */
export const MAX_RECEIVED = 30;

function unassigned(reason: UnassignedReason, evidence: Evidence, extra: Partial<Decision> = {}): Decision {
  return { status: 'unassigned', method: null, reason, candidate: null, suggestions: [], conversationId: null, outboundId: null, evidence, ...extra };
}

function assigned(method: 'token' | 'header' | 'sender', candidate: CandidateRef, evidence: Evidence, extra: Partial<Decision> = {}): Decision {
  return { status: 'assigned', method, reason: null, candidate, suggestions: [], conversationId: null, outboundId: null, evidence, ...extra };
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export function decide(input: MatchInput): Decision {
  const decision = byRules(input);
  // A bounce names the message it reports on itself; a From failing DMARC could name any Message-ID it has seen.
  if (decision.outboundId === null && input.answers && input.kind !== 'bounce' && input.dmarc !== 'fail') {
    return { ...decision, outboundId: input.answers, evidence: { ...decision.evidence, answers: input.answers } };
  }
  return decision;
}

function byRules(input: MatchInput): Decision {
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
    // Only our Message-ID proves which message a bounce reports on; a recipient
    // alone is what anyone can forge, unless the bounce came authenticated
    // through the tenant's own inbox. Unproven, it changes nothing.
    const proven = b.via === 'message_id' || (input.viaForwardAddress && input.sender?.authenticated === true);
    if (!proven) return unassigned('bounce_unmatched', { ...evidence, unproven: 'the bounce names only a recipient, not one of our Message-IDs' });
    const extra = { outboundId: b.outbound.id, conversationId: b.outbound.conversationId };
    return b.outbound.candidate ? assigned('header', b.outbound.candidate, evidence, extra) : unassigned('bounce_unmatched', evidence, extra);
  }

  // A token is a capability we handed out: a genuine one names the
  // conversation whoever replies; a forged or foreign one is never a match.
  if (input.token && !input.token.valid) return unassigned('bad_token', { token: input.token.token, recipient: input.token.recipient });
  if (input.token?.valid && input.token.candidate) {
    const t = input.token;
    return assigned(
      'token',
      t.candidate as CandidateRef,
      { token: t.token, kid: t.kid, conversationId: t.conversationId },
      { conversationId: t.conversationId },
    );
  }
  const tokenConversation = input.token?.valid ? input.token.conversationId : null;

  // An answer in a thread we know belongs where the thread does, whichever
  // address it came from (the candidate's phone, a colleague's reply).
  // Not for a From that fails DMARC: a spoof could name a known Message-ID.
  if (input.thread && input.dmarc !== 'fail') {
    const t = input.thread;
    return assigned(
      'header',
      t.candidate,
      { header: t.outboundId ? 'sent' : 'received', messageId: t.messageId, outboundId: t.outboundId },
      { conversationId: t.conversationId, outboundId: t.outboundId },
    );
  }

  return bySender(input, { conversationId: tokenConversation });
}

/**
 * Rule 3, the sender's address: believed only when proven. The recovered
 * original sender of a person's forward counts only when the forwarder is
 * authenticated and is the tenant's (one of its domains, or one of its inboxes
 * arriving at its forwarding address); headers that name an earlier sender
 * are hints, never proof.
 */
function bySender(input: MatchInput, keep: Partial<Decision>): Decision {
  const proof = input.sender ?? { authenticated: false, address: null, via: null, detail: 'the sender was not authenticated' };
  const base: Evidence = { authentication: { authenticated: proof.authenticated, via: proof.via, detail: proof.detail } };
  if (Object.keys(input.hints).length > 0) base.hints = input.hints;

  if (input.fromAddresses.length !== 1 || !input.from) {
    // Several authors or none: DMARC cannot judge it, and neither can we.
    const addresses = input.fromAddresses.length ? input.fromAddresses : input.from ? [input.from] : [];
    const suggestions = uniqueCandidates(addresses.flatMap((a) => input.candidatesFor(a)));
    return unassigned('unauthenticated_sender', { ...base, senders: addresses }, { ...keep, suggestions });
  }

  // Proven, the address is the one the checks judged: a From header that two
  // parsers read differently must not let the parser's reading stand in for it.
  const from = proof.authenticated && proof.address ? proof.address : input.from.toLowerCase();
  const original = input.forward?.manual ? (input.forward.originalFrom?.toLowerCase() ?? null) : null;
  let sender = from;
  if (original && original !== from) {
    const tenants = input.tenantDomains.includes(domainOf(from)) || (input.viaForwardAddress && (input.trustedForwarders ?? []).includes(from));
    if (proof.authenticated && tenants) {
      sender = original;
      base.forward = { forwardedBy: from, originalFrom: original, trusted: true };
    } else {
      base.forward = {
        forwardedBy: from,
        originalFrom: original,
        trusted: false,
        why: !tenants ? "the forwarder is not one of the tenant's addresses" : 'the forwarder is not authenticated',
      };
    }
  }

  const candidates = input.candidatesFor(sender);
  const evidence: Evidence = { ...base, sender, candidateIds: candidates.map((c) => c.id) };
  // Proven covers a trusted forward's original sender too: the forwarder vouches for it.
  if (!proof.authenticated) {
    // A sender match is never made on a From that fails DMARC (a spoof).
    if (input.dmarc === 'fail') return unassigned('dmarc_fail', evidence, { ...keep, suggestions: candidates });
    if (candidates.length === 0) return unassigned('unknown_sender', evidence, keep);
    return unassigned('unauthenticated_sender', evidence, { ...keep, suggestions: candidates });
  }
  if (candidates.length === 1) return assigned('sender', candidates[0] as CandidateRef, evidence, keep);
  if (candidates.length > 1) return unassigned('ambiguous_sender', evidence, { ...keep, suggestions: candidates });
  return unassigned('unknown_sender', evidence, keep);
}

function uniqueCandidates(list: CandidateRef[]): CandidateRef[] {
  const seen = new Set<number>();
  return list.filter((c) => !seen.has(c.id) && (seen.add(c.id), true));
}
