// The matching decision: which candidate a message belongs to, or why it goes to
// the unassigned queue. A pure function of plain data, one rule after the other
// (design notes, "Matching order"); the first that applies wins. In-Reply-To and
// References are matched against messages the tenant received; reply tokens and
// the Message-IDs the tenant sent come with the relay.

export type UnassignedReason =
  | 'loop'
  | 'forwarding_verification'
  | 'bounce_unmatched'
  | 'dmarc_fail'
  | 'ambiguous_sender'
  | 'unknown_sender'
  | 'no_sender';

export interface CandidateRef {
  id: number;
  externalId: string;
  name: string;
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
  /** Our own addresses for this tenant: mail from them is a loop. */
  isOwnAddress: (address: string) => boolean;
  /** Candidates of the tenant (then its parent) with this address. */
  candidatesFor: (address: string) => CandidateRef[];
  /** The candidate of an earlier message this one answers (In-Reply-To/References), if any. */
  threadCandidates: CandidateRef[];
}

export interface Decision {
  status: 'assigned' | 'unassigned';
  method: 'header' | 'sender' | null;
  reason: UnassignedReason | null;
  candidate: CandidateRef | null;
  suggestions: CandidateRef[];
  /** What the decision rests on, for `show` to explain it. */
  evidence: Record<string, unknown>;
}

/** More Received headers than this is a mail loop (RFC 5321 6.3 suggests a limit). */
export const MAX_RECEIVED = 30;

const unassigned = (reason: UnassignedReason, evidence: Record<string, unknown>, suggestions: CandidateRef[] = []): Decision => ({
  status: 'unassigned',
  method: null,
  reason,
  candidate: null,
  suggestions,
  evidence,
});

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export function decide(input: MatchInput): Decision {
  if (input.receivedCount > MAX_RECEIVED) return unassigned('loop', { receivedCount: input.receivedCount });
  if (input.from && input.isOwnAddress(input.from)) return unassigned('loop', { from: input.from });
  if (input.kind === 'forwarding_verification') return unassigned('forwarding_verification', {});
  // A bounce belongs to the outbound message it reports on; until the relay
  // records those, it waits in the queue instead of posing as a reply.
  if (input.kind === 'bounce') return unassigned('bounce_unmatched', {});

  // An answer in a thread we know belongs where the thread does, whichever
  // address it came from (the candidate's phone, a colleague's reply).
  // Not for a From that fails DMARC: a spoof could name a known Message-ID.
  if (input.threadCandidates.length === 1 && input.dmarc !== 'fail') {
    return { status: 'assigned', method: 'header', reason: null, candidate: input.threadCandidates[0] as CandidateRef, suggestions: [], evidence: { thread: true } };
  }

  // Whose address to look up: the recovered original sender when the forwarder is
  // one of the tenant's own people, else whoever sent it.
  const trustedForwarder = input.forwardedBy !== null && input.tenantDomains.includes(domainOf(input.forwardedBy));
  const sender = trustedForwarder || input.forwardedBy === null ? (input.originalFrom ?? input.from) : input.from;
  if (!sender) return unassigned('no_sender', {});
  // A sender match is never made on a From that fails DMARC (a spoof).
  if (input.dmarc === 'fail' && sender === input.from) return unassigned('dmarc_fail', { sender });

  const candidates = input.candidatesFor(sender);
  const evidence = { sender, forwardedBy: input.forwardedBy, candidateIds: candidates.map((c) => c.id) };
  if (candidates.length === 1) return { status: 'assigned', method: 'sender', reason: null, candidate: candidates[0] as CandidateRef, suggestions: [], evidence };
  if (candidates.length > 1) return unassigned('ambiguous_sender', evidence, candidates);
  return unassigned('unknown_sender', evidence);
}
