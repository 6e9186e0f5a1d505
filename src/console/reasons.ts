// Why a message waits in the unassigned queue, in words a recruiter acts on.
import type { StoredMessage } from '../store/index.ts';

const REASONS: Record<string, string> = {
  unknown_sender: 'sender unknown',
  unauthenticated_sender: 'sender not proven',
  dmarc_fail: 'forged sender',
  bad_token: 'broken reply link',
  forwarding_verification: 'forwarding confirmation: click to confirm',
  bounce_unmatched: 'bounce we cannot place',
  test_email: 'test email',
  loop: 'mail loop',
  no_sender: 'no sender',
};

export function reasonChip(message: StoredMessage): string {
  const reason = message.decision?.reason ?? null;
  if (reason === 'ambiguous_sender') return `could be one of ${message.decision?.suggestions.length ?? 0} candidates`;
  return reason ? (REASONS[reason] ?? reason.replace(/_/g, ' ')) : 'waiting';
}

export const REASON_FILTERS = [
  'unknown_sender',
  'ambiguous_sender',
  'unauthenticated_sender',
  'dmarc_fail',
  'bad_token',
  'forwarding_verification',
  'bounce_unmatched',
];

/** The authentication verdicts in words. */
export function verdictWords(message: StoredMessage): string {
  const auth = message.auth;
  if (!auth) return 'not checked yet';
  const sender = auth.sender?.authenticated ? `sender proven (${auth.sender.detail})` : `sender not proven${auth.sender ? ` (${auth.sender.detail})` : ''}`;
  return `${sender}; SPF ${auth.spf}, DKIM ${auth.dkim}, DMARC ${auth.dmarc}, ARC ${auth.arc}`;
}
