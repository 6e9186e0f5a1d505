// Which address "remember this address" adds: the sender the decision judged,
// never an address the body merely names.
import { describe, expect, it } from 'vitest';
import { addressToRemember } from '../../src/operations/index.ts';
import type { StoredMessage } from '../../src/store/index.ts';

function message(from: string | null, sender: object | undefined, forward: object | undefined): StoredMessage {
  return {
    from,
    auth: sender ? { sender } : null,
    decision: { status: 'unassigned', method: null, reason: 'unknown_sender', candidate: null, suggestions: [], evidence: forward ? { forward } : {} },
  } as unknown as StoredMessage;
}

const proven = (address: string | null) => ({ authenticated: true, address, via: 'dmarc', detail: 'DMARC pass' });

describe('addressToRemember', () => {
  it.each([
    ['the judged From, proven', message('Jane@Candidate.example', proven('jane@candidate.example'), undefined), 'jane@candidate.example'],
    [
      'the judged From, not proven',
      message('jane@candidate.example', { authenticated: false, address: 'jane@candidate.example', via: null, detail: 'no SPF' }, undefined),
      'jane@candidate.example',
    ],
    [
      'the original sender of a trusted forward (from the tenant, authenticated)',
      message('recruiter@acme.com', proven('recruiter@acme.com'), { forwardedBy: 'recruiter@acme.com', originalFrom: 'jane@home.example', trusted: true }),
      'jane@home.example',
    ],
    [
      "the From, not an untrusted forward's original sender",
      message('jane.doe@candidate.example', proven('jane.doe@candidate.example'), {
        forwardedBy: 'jane.doe@candidate.example',
        originalFrom: 'attacker@evil.example',
        trusted: false,
        why: "the forwarder is not one of the tenant's addresses",
      }),
      'jane.doe@candidate.example',
    ],
    ['the parsed From of a message processed before sender authentication', message('Old@Example.com', undefined, undefined), 'old@example.com'],
    [
      'nothing when the From names several mailboxes',
      message('a@x.example', { authenticated: false, address: null, via: null, detail: 'the From field names 2 mailboxes' }, undefined),
      null,
    ],
    ['nothing without a From', message(null, undefined, undefined), null],
  ])('%s', (_what, m, expected) => {
    const found = addressToRemember(m);
    expect(found.address).toBe(expected);
    expect(found.why).not.toBe('');
  });
});
