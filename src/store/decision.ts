// The matching decision as stored, read back from its JSON column once, here: the evidence
// fields others act on (a forward's trust decides which address a filing
// remembers) are checked for their shape, so callers read them typed instead
// of casting. A field of the wrong shape (a row written by an older version)
// is left out rather than believed.
import type { Evidence, ForwardEvidence } from '../match/decide.ts';

/** The matching decision as stored (match/ makes it). */
export interface DecisionSummary {
  status: 'assigned' | 'unassigned' | 'dismissed';
  method: string | null;
  reason: string | null;
  candidate: { id: number; externalId: string; name: string } | null;
  suggestions: { id: number; externalId: string; name: string }[];
  /** The conversation a token or header named (the store fills in the one chosen). */
  conversationId?: number | null;
  /** The outbound message this one answers, reports on or is. */
  outboundId?: string | null;
  evidence: Evidence;
  /** For a dismissed message: the operator's note and when. */
  note?: string | null;
  dismissedAt?: string;
  /** For a message filed or dismissed by hand: how it stood before, so the change can be undone. */
  undo?: UndoState;
}

/** What a manual filing or dismissal replaced. */
export interface UndoState {
  at: string;
  decision: DecisionSummary | null;
  conversationId: number | null;
  /** The address added to the candidate with the filing. */
  remembered: string | null;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function forwardOf(value: unknown): ForwardEvidence | undefined {
  if (!isObject(value)) return undefined;
  const { forwardedBy, originalFrom, trusted, why } = value;
  if (typeof forwardedBy !== 'string' || typeof originalFrom !== 'string' || typeof trusted !== 'boolean') return undefined;
  return { forwardedBy, originalFrom, trusted, ...(typeof why === 'string' ? { why } : {}) };
}

function hintsOf(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** Evidence as stored, its typed fields checked (in their place, so the JSON reads as it was written). */
export function decodeEvidence(value: unknown): Evidence {
  if (!isObject(value)) return {};
  const evidence: Evidence = { ...value };
  const sender = typeof value.sender === 'string' ? value.sender : undefined;
  const forward = forwardOf(value.forward);
  const hints = hintsOf(value.hints);
  if (sender === undefined) delete evidence.sender;
  else evidence.sender = sender;
  if (forward === undefined) delete evidence.forward;
  else evidence.forward = forward;
  if (hints === undefined) delete evidence.hints;
  else evidence.hints = hints;
  return evidence;
}

/** The decision column's JSON, its evidence (and the undo's earlier decision) decoded. */
export function decodeDecision(text: string): DecisionSummary {
  const decision = JSON.parse(text) as DecisionSummary;
  return decodeDecisionValue(decision);
}

function decodeDecisionValue(decision: DecisionSummary): DecisionSummary {
  const undo = decision.undo;
  return {
    ...decision,
    evidence: decodeEvidence(decision.evidence),
    ...(undo ? { undo: { ...undo, decision: undo.decision ? decodeDecisionValue(undo.decision) : null } } : {}),
  };
}
