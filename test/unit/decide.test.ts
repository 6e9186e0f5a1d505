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

function input(over: Partial<MatchInput>): MatchInput {
  return {
    kind: 'message',
    from: 'jane@candidate.example',
    originalFrom: 'jane@candidate.example',
    forwardedBy: null,
    dmarc: 'pass',
    receivedCount: 2,
    tenantDomains: ['acme.com'],
    isOwnAddress: (a) => a.endsWith('@replies.acme.com'),
    candidatesFor: (a) => book[a] ?? [],
    ownOutbound: null,
    token: null,
    thread: null,
    bounce: null,
    ...over,
  };
}

describe('matching decision', () => {
  it.each([
    ['one candidate by sender', {}, { status: 'assigned', method: 'sender', candidate: jane, reason: null }],
    ['an answer in a known thread, from another address', { from: 'jane.phone@else.example', originalFrom: 'jane.phone@else.example', thread }, { status: 'assigned', method: 'header', candidate: jane, conversationId: 7, outboundId: 'O1' }],
    ['a bounce naming a known thread is still a bounce', { kind: 'bounce', thread }, { status: 'unassigned', reason: 'bounce_unmatched' }],
    ['a known thread does not excuse a DMARC failure', { dmarc: 'fail', thread }, { status: 'unassigned', reason: 'dmarc_fail' }],
    ['a genuine token names the conversation, whoever writes', { from: 'stranger@else.example', originalFrom: 'stranger@else.example', token: goodToken }, { status: 'assigned', method: 'token', candidate: jane, conversationId: 7, evidence: { kid: 'a' } }],
    ['a genuine token wins over a thread and a DMARC failure', { dmarc: 'fail', token: goodToken, thread: { ...thread, candidate: june } }, { status: 'assigned', method: 'token', candidate: jane }],
    ['a forged or foreign token is never a match', { token: { valid: false, token: 'azzzzzzzzz', recipient: 'careers+azzzzzzzzz@replies.acme.com' } }, { status: 'unassigned', reason: 'bad_token', candidate: null }],
    ['a token for a conversation without candidate falls back to the sender, in that conversation', { token: { ...goodToken, candidate: null, conversationId: 9 } }, { status: 'assigned', method: 'sender', candidate: jane, conversationId: 9 }],
    ['a bounce attaches to the message it reports on', { kind: 'bounce', bounce: { outbound: sentToJane, via: 'message_id', hard: true, recipient: 'jane@candidate.example' } }, { status: 'assigned', method: 'header', candidate: jane, outboundId: 'O1', conversationId: 7, evidence: { hard: true, via: 'message_id' } }],
    ['a bounce on a message to no candidate waits with its outbound message', { kind: 'bounce', bounce: { outbound: { ...sentToJane, candidate: null }, via: 'recipient', hard: false, recipient: 'x@else.example' } }, { status: 'unassigned', reason: 'bounce_unmatched', outboundId: 'O1' }],
    ['our test email coming back', { ownOutbound: testEmail, token: { ...goodToken, candidate: null } }, { status: 'unassigned', reason: 'test_email', outboundId: 'O2' }],
    ['our own outreach coming back is a loop', { ownOutbound: sentToJane }, { status: 'unassigned', reason: 'loop' }],
    ['an auto-reply is attached too (its kind flags it)', { kind: 'auto_reply' }, { status: 'assigned', candidate: jane }],
    ['several candidates share the address', { from: 'shared@family.example', originalFrom: 'shared@family.example' }, { status: 'unassigned', reason: 'ambiguous_sender', suggestions: [jane, june] }],
    ['nobody has the address', { from: 'stranger@else.example', originalFrom: 'stranger@else.example' }, { status: 'unassigned', reason: 'unknown_sender' }],
    ['DMARC fails for the From domain', { dmarc: 'fail' }, { status: 'unassigned', reason: 'dmarc_fail' }],
    ['a forwarding confirmation', { kind: 'forwarding_verification' }, { status: 'unassigned', reason: 'forwarding_verification' }],
    ['a bounce is no reply', { kind: 'bounce' }, { status: 'unassigned', reason: 'bounce_unmatched' }],
    ['too many Received headers', { receivedCount: 31 }, { status: 'unassigned', reason: 'loop' }],
    ['mail from our own reply address', { from: 'careers@replies.acme.com', originalFrom: 'careers@replies.acme.com' }, { status: 'unassigned', reason: 'loop' }],
    ['no sender at all', { from: null, originalFrom: null }, { status: 'unassigned', reason: 'no_sender' }],
    [
      "a colleague's forward names the original sender",
      { from: 'recruiter@acme.com', originalFrom: 'jane@candidate.example', forwardedBy: 'recruiter@acme.com', dmarc: 'fail' },
      { status: 'assigned', candidate: jane, evidence: { sender: 'jane@candidate.example', forwardedBy: 'recruiter@acme.com', candidateIds: [1] } },
    ],
    [
      "a forward from a configured company inbox on another domain names the original sender",
      { from: 'jobs@acme-careers.example', originalFrom: 'jane@candidate.example', forwardedBy: 'Jobs@acme-careers.example', trustedForwarders: ['jobs@acme-careers.example'] },
      { status: 'assigned', candidate: jane, evidence: { sender: 'jane@candidate.example' } },
    ],
    [
      "an outsider's forward is judged by who sent it",
      { from: 'someone@else.example', originalFrom: 'jane@candidate.example', forwardedBy: 'someone@else.example' },
      { status: 'unassigned', reason: 'unknown_sender', evidence: { sender: 'someone@else.example' } },
    ],
  ])('%s', (_name, over, expected) => {
    expect(decide(input(over as Partial<MatchInput>))).toMatchObject(expected);
  });
});
