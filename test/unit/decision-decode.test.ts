import { describe, expect, it } from 'vitest';
import { decodeDecision } from '../../src/store/decision.ts';

const stored = (evidence: unknown, extra: object = {}): string =>
  JSON.stringify({ status: 'unassigned', method: null, reason: 'unknown_sender', candidate: null, suggestions: [], evidence, ...extra });

describe('a stored decision, decoded at the repository', () => {
  it('keeps the evidence as written, its typed fields in their place', () => {
    const evidence = {
      authentication: { authenticated: true, via: 'dmarc', detail: 'd' },
      hints: { 'X-Original-From': 'a@example.com' },
      forward: { forwardedBy: 'hr@acme.test', originalFrom: 'jane@example.com', trusted: false, why: 'not authenticated' },
      sender: 'hr@acme.test',
      candidateIds: [1, 2],
    };
    const decoded = decodeDecision(stored(evidence));
    expect(JSON.stringify(decoded.evidence)).toBe(JSON.stringify(evidence));
    expect(decoded.evidence.forward?.trusted).toBe(false);
  });

  it('leaves out a forward or hints of the wrong shape rather than believing them', () => {
    const decoded = decodeDecision(stored({ forward: { originalFrom: 'jane@example.com', trusted: 'yes' }, hints: { A: 1, B: 'b@example.com' }, sender: 7 }));
    expect(decoded.evidence.forward).toBeUndefined();
    expect(decoded.evidence.sender).toBeUndefined();
    expect(decoded.evidence.hints).toEqual({ B: 'b@example.com' });
  });

  it('decodes the earlier decision an undo keeps, and a dismissal note', () => {
    const earlier = JSON.parse(stored({ forward: { forwardedBy: 'x@acme.test', originalFrom: 'y@example.com', trusted: 1 } })) as object;
    const decoded = decodeDecision(
      stored({}, { status: 'dismissed', note: 'spam', undo: { at: 't', decision: earlier, conversationId: null, remembered: null } }),
    );
    expect(decoded.note).toBe('spam');
    expect(decoded.undo?.decision?.evidence.forward).toBeUndefined();
    expect(decodeDecision(stored(null)).evidence).toEqual({});
  });
});
