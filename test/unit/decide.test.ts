// One row per rule and guard of the matching decision.
import { describe, expect, it } from 'vitest';
import { decide, type CandidateRef, type MatchInput } from '../../src/match/index.ts';

const jane: CandidateRef = { id: 1, externalId: 'c-1', name: 'Jane' };
const june: CandidateRef = { id: 2, externalId: 'c-2', name: 'June' };
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
    threadCandidates: [],
    ...over,
  };
}

describe('matching decision', () => {
  it.each([
    ['one candidate by sender', {}, { status: 'assigned', method: 'sender', candidate: jane, reason: null }],
    ['an answer in a known thread, from another address', { from: 'jane.phone@else.example', originalFrom: 'jane.phone@else.example', threadCandidates: [jane] }, { status: 'assigned', method: 'header', candidate: jane }],
    ['a bounce naming a known thread is still a bounce', { kind: 'bounce', threadCandidates: [jane] }, { status: 'unassigned', reason: 'bounce_unmatched' }],
    ['a known thread does not excuse a DMARC failure', { dmarc: 'fail', threadCandidates: [jane] }, { status: 'unassigned', reason: 'dmarc_fail' }],
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
      "an outsider's forward is judged by who sent it",
      { from: 'someone@else.example', originalFrom: 'jane@candidate.example', forwardedBy: 'someone@else.example' },
      { status: 'unassigned', reason: 'unknown_sender', evidence: { sender: 'someone@else.example' } },
    ],
  ])('%s', (_name, over, expected) => {
    expect(decide(input(over as Partial<MatchInput>))).toMatchObject(expected);
  });
});
