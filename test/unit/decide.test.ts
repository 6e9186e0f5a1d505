// One row per rule and guard of the matching decision.
import { describe, expect, it } from 'vitest';
import { decide, type CandidateRef, type MatchInput, type OutboundRef, type ThreadFinding } from '../../src/match/index.ts';

const jane: CandidateRef = { id: 1, externalId: 'c-1', name: 'Jane' };
const june: CandidateRef = { id: 2, externalId: 'c-2', name: 'June' };
const thread: ThreadFinding = { messageId: '<m1@acme.com>', candidate: jane, conversationId: 7, outboundId: 'O1' };
const sentToJane: OutboundRef = { id: 'O1', purpose: 'send', accountId: 3, candidate: jane, conversationId: 7, recipient: 'jane@candidate.example' };
const testEmail: OutboundRef = { id: 'O2', purpose: 'test', accountId: 3, candidate: null, conversationId: 8, recipient: 'careers+x@replies.acme.com' };
const goodToken = { valid: true as const, token: 'ab2xyzxyzx', kid: 'a', conversationId: 7, candidate: jane };
const book: Record<string, CandidateRef[]> = {
  'jane@candidate.example': [jane],
  'shared@family.example': [jane, june],
};

const proven = { authenticated: true, address: 'jane@candidate.example', via: 'dmarc', detail: 'DMARC pass for candidate.example' };
const unproven = { authenticated: false, address: null, via: null, detail: 'candidate.example publishes no DMARC record and nothing aligned passed' };

function input(over: Partial<MatchInput>): MatchInput {
  const from = over.from === undefined ? 'jane@candidate.example' : over.from;
  return {
    kind: 'message',
    from,
    fromAddresses: from ? [from] : [],
    // Proven by default, for the address the checks read (the parsed From, unless a row says otherwise).
    sender: { ...proven, address: from?.toLowerCase() ?? null },
    forward: null,
    hints: {},
    viaForwardAddress: false,
    dmarc: 'pass',
    receivedCount: 2,
    tenantDomains: ['acme.com'],
    isOwnAddress: (a) => a.endsWith('@replies.acme.com'),
    candidatesFor: (a) => book[a.toLowerCase()] ?? [],
    ownOutbound: null,
    token: null,
    thread: null,
    answers: null,
    bounce: null,
    ...over,
  };
}

/** A person's forward: From is the forwarder, the block names Jane. */
const forwardOfJane = { manual: true, originalFrom: 'jane@candidate.example' };

describe('matching decision', () => {
  it.each([
    ['one candidate by sender', {}, { status: 'assigned', method: 'sender', candidate: jane, reason: null, evidence: { authentication: { via: 'dmarc' } } }],
    [
      'an answer in a known thread, from another address',
      { from: 'jane.phone@else.example', sender: unproven, thread },
      { status: 'assigned', method: 'header', candidate: jane, conversationId: 7, outboundId: 'O1' },
    ],
    ['a bounce naming a known thread is still a bounce', { kind: 'bounce', thread }, { status: 'unassigned', reason: 'bounce_unmatched' }],
    ['a known thread does not excuse a DMARC failure', { dmarc: 'fail', sender: unproven, thread }, { status: 'unassigned', reason: 'dmarc_fail' }],
    [
      'a genuine token names the conversation, whoever writes',
      { from: 'stranger@else.example', sender: unproven, token: goodToken },
      { status: 'assigned', method: 'token', candidate: jane, conversationId: 7, evidence: { kid: 'a' } },
    ],
    [
      'a genuine token wins over a thread and a DMARC failure',
      { dmarc: 'fail', sender: unproven, token: goodToken, thread: { ...thread, candidate: june } },
      { status: 'assigned', method: 'token', candidate: jane },
    ],
    [
      'a token-matched reply carries the outbound message it names',
      { from: 'stranger@else.example', sender: unproven, token: goodToken, answers: 'O1' },
      { status: 'assigned', method: 'token', conversationId: 7, outboundId: 'O1', evidence: { answers: 'O1' } },
    ],
    ['a sender-matched reply carries the outbound message it names', { answers: 'O3' }, { status: 'assigned', method: 'sender', outboundId: 'O3' }],
    ['an unassigned reply still names what it answers', { from: 'stranger@else.example', answers: 'O3' }, { status: 'unassigned', outboundId: 'O3' }],
    ['a From failing DMARC names nothing it answers', { dmarc: 'fail', sender: unproven, answers: 'O3' }, { reason: 'dmarc_fail', outboundId: null }],
    [
      'a bounce keeps the message it reports on, not one it names',
      { kind: 'bounce', sender: unproven, answers: 'O3', bounce: { outbound: sentToJane, via: 'message_id', hard: true, recipient: 'jane@candidate.example' } },
      { outboundId: 'O1' },
    ],
    [
      'a forged or foreign token is never a match',
      { token: { valid: false, token: 'azzzzzzzzz', recipient: 'careers+azzzzzzzzz@replies.acme.com' } },
      { status: 'unassigned', reason: 'bad_token', candidate: null },
    ],
    [
      'a token for a conversation without candidate falls back to the sender, in that conversation',
      { token: { ...goodToken, candidate: null, conversationId: 9 } },
      { status: 'assigned', method: 'sender', candidate: jane, conversationId: 9 },
    ],
    [
      'a bounce naming our Message-ID attaches to the message it reports on',
      { kind: 'bounce', sender: unproven, bounce: { outbound: sentToJane, via: 'message_id', hard: true, recipient: 'jane@candidate.example' } },
      { status: 'assigned', method: 'header', candidate: jane, outboundId: 'O1', conversationId: 7, evidence: { hard: true, via: 'message_id' } },
    ],
    [
      'a bounce naming only a recipient changes nothing',
      { kind: 'bounce', sender: unproven, bounce: { outbound: sentToJane, via: 'recipient', hard: true, recipient: 'jane@candidate.example' } },
      { status: 'unassigned', reason: 'bounce_unmatched', outboundId: null, candidate: null },
    ],
    [
      'a bounce naming only a recipient, authenticated, but not through the inbox, changes nothing',
      { kind: 'bounce', bounce: { outbound: sentToJane, via: 'recipient', hard: true, recipient: 'jane@candidate.example' } },
      { status: 'unassigned', reason: 'bounce_unmatched', outboundId: null },
    ],
    [
      "a bounce naming a recipient, authenticated through the tenant's inbox, counts",
      { kind: 'bounce', viaForwardAddress: true, bounce: { outbound: sentToJane, via: 'recipient', hard: true, recipient: 'jane@candidate.example' } },
      { status: 'assigned', candidate: jane, outboundId: 'O1' },
    ],
    [
      'a proven bounce on a message to no candidate waits with its outbound message',
      { kind: 'bounce', bounce: { outbound: { ...sentToJane, candidate: null }, via: 'message_id', hard: false, recipient: 'x@else.example' } },
      { status: 'unassigned', reason: 'bounce_unmatched', outboundId: 'O1' },
    ],
    [
      'our test email coming back',
      { ownOutbound: testEmail, token: { ...goodToken, candidate: null } },
      { status: 'unassigned', reason: 'test_email', outboundId: 'O2' },
    ],
    ['our own outreach coming back is a loop', { ownOutbound: sentToJane }, { status: 'unassigned', reason: 'loop' }],
    ['an auto-reply is attached too (its kind flags it)', { kind: 'auto_reply' }, { status: 'assigned', candidate: jane }],
    [
      'several candidates share the address',
      { from: 'shared@family.example' },
      { status: 'unassigned', reason: 'ambiguous_sender', suggestions: [jane, june] },
    ],
    ['nobody has the address', { from: 'stranger@else.example' }, { status: 'unassigned', reason: 'unknown_sender' }],
    ['DMARC fails for the From domain', { dmarc: 'fail', sender: unproven }, { status: 'unassigned', reason: 'dmarc_fail', suggestions: [jane] }],
    [
      'an unauthenticated sender is only a suggestion',
      { sender: unproven, dmarc: 'none' },
      { status: 'unassigned', reason: 'unauthenticated_sender', candidate: null, suggestions: [jane], evidence: { authentication: { authenticated: false } } },
    ],
    ['nothing checked is not authenticated', { sender: null, dmarc: null }, { status: 'unassigned', reason: 'unauthenticated_sender', suggestions: [jane] }],
    ['an unauthenticated stranger stays unknown', { from: 'stranger@else.example', sender: unproven }, { status: 'unassigned', reason: 'unknown_sender' }],
    [
      'two From mailboxes are never matched by sender',
      {
        fromAddresses: ['jane@candidate.example', 'mallory@evil.example'],
        dmarc: 'none',
        sender: { authenticated: false, address: null, via: null, detail: 'the From field names 2 mailboxes' },
      },
      {
        status: 'unassigned',
        reason: 'unauthenticated_sender',
        suggestions: [jane],
        evidence: { senders: ['jane@candidate.example', 'mallory@evil.example'] },
      },
    ],
    [
      'two From mailboxes, even authenticated, are never matched by sender',
      { fromAddresses: ['jane@candidate.example', 'shared@family.example'] },
      { status: 'unassigned', reason: 'unauthenticated_sender', suggestions: [jane, june] },
    ],
    [
      'no From mailbox at all',
      { from: null, sender: { authenticated: false, address: null, via: null, detail: 'the message has no From mailbox' } },
      { status: 'unassigned', reason: 'unauthenticated_sender', suggestions: [] },
    ],
    [
      'a forward header alone names nobody',
      { from: 'mallory@evil.example', hints: { 'x-original-from': 'Jane <jane@candidate.example>' } },
      {
        status: 'unassigned',
        reason: 'unknown_sender',
        evidence: { sender: 'mallory@evil.example', hints: { 'x-original-from': 'Jane <jane@candidate.example>' } },
      },
    ],
    [
      "a forged From on the tenant's domain cannot vouch for a forward",
      { from: 'hr@acme.com', dmarc: 'fail', sender: { ...unproven, detail: 'DMARC fail for acme.com' }, forward: forwardOfJane },
      { status: 'unassigned', reason: 'dmarc_fail', candidate: null, evidence: { sender: 'hr@acme.com', forward: { trusted: false } } },
    ],
    [
      "an unauthenticated colleague's forward is the colleague's own mail",
      { from: 'recruiter@acme.com', sender: unproven, dmarc: 'none', forward: forwardOfJane },
      { status: 'unassigned', reason: 'unknown_sender', evidence: { forward: { trusted: false, why: 'the forwarder is not authenticated' } } },
    ],
    [
      'a proven sender is the address the checks judged, not another reading of the From header',
      { from: 'jane@candidate.example', sender: { ...proven, address: 'mallory@evil.example', detail: 'DMARC pass for evil.example' } },
      { status: 'unassigned', reason: 'unknown_sender', candidate: null, evidence: { sender: 'mallory@evil.example' } },
    ],
    ['a mixed-case From is looked up as written by its owner', { from: 'Jane@Candidate.Example' }, { status: 'assigned', candidate: jane }],
    ['a forwarding confirmation', { kind: 'forwarding_verification' }, { status: 'unassigned', reason: 'forwarding_verification' }],
    ['a bounce is no reply', { kind: 'bounce' }, { status: 'unassigned', reason: 'bounce_unmatched' }],
    ['too many Received headers', { receivedCount: 31 }, { status: 'unassigned', reason: 'loop' }],
    ['mail from our own reply address', { from: 'careers@replies.acme.com' }, { status: 'unassigned', reason: 'loop' }],
    [
      "an authenticated colleague's forward names the original sender",
      { from: 'recruiter@acme.com', forward: forwardOfJane },
      {
        status: 'assigned',
        candidate: jane,
        evidence: { sender: 'jane@candidate.example', forward: { forwardedBy: 'recruiter@acme.com', trusted: true }, candidateIds: [1] },
      },
    ],
    [
      'an authenticated forward from a configured company inbox on another domain, to the forwarding address, names the original sender',
      { from: 'jobs@acme-careers.example', forward: forwardOfJane, viaForwardAddress: true, trustedForwarders: ['jobs@acme-careers.example'] },
      { status: 'assigned', candidate: jane, evidence: { sender: 'jane@candidate.example' } },
    ],
    [
      'a configured inbox writing to a reply address is not the inbox forwarding',
      { from: 'jobs@acme-careers.example', forward: forwardOfJane, viaForwardAddress: false, trustedForwarders: ['jobs@acme-careers.example'] },
      { status: 'unassigned', reason: 'unknown_sender', evidence: { sender: 'jobs@acme-careers.example', forward: { trusted: false } } },
    ],
    [
      "an authenticated outsider's forward is judged by who sent it",
      { from: 'someone@else.example', forward: forwardOfJane },
      {
        status: 'unassigned',
        reason: 'unknown_sender',
        evidence: { sender: 'someone@else.example', forward: { trusted: false, why: "the forwarder is not one of the tenant's addresses" } },
      },
    ],
    [
      'an automatic forward is matched by its own From',
      { forward: { manual: false, originalFrom: 'shared@family.example' } },
      { status: 'assigned', candidate: jane },
    ],
  ])('%s', (_name, over, expected) => {
    expect(decide(input(over as Partial<MatchInput>))).toMatchObject(expected);
  });
});
