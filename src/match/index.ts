// Matching: the decision, as data with a reason from a closed list, of which
// candidate a message belongs to or why it waits in the unassigned queue.
export {
  decide,
  MAX_RECEIVED,
  type CandidateRef,
  type Decision,
  type MatchInput,
  type UnassignedReason,
  type OutboundRef,
  type ThreadFinding,
  type TokenFinding,
  type BounceFinding,
  type Evidence,
  type ForwardEvidence,
} from './decide.ts';
export { ReplyTokens, tokenOfLocalPart, type TokenKey, type VerifiedToken } from './tokens.ts';
