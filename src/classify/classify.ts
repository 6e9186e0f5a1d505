// What kind of message this is. The first rule that applies wins: a forwarding
// confirmation, a feedback (abuse) report, a bounce, an auto-reply, a mailing
// list post, else a message (a letter or a reply). An unparseable message is
// classified by the pipeline.
import type { ParsedMessage } from '../parse/index.ts';
import { detectAutoReply } from './auto-reply.ts';
import { detectBounce, type BounceInfo } from './bounce.ts';
import { detectForwardingVerification, type ForwardingVerification } from './verification.ts';

export type MessageKind = 'message' | 'bounce' | 'auto_reply' | 'forwarding_verification' | 'feedback_report' | 'mailing_list' | 'unparseable';

export interface Classification {
  kind: MessageKind;
  bounce: BounceInfo | null;
  /** Which header or subject made it an auto-reply. */
  autoReply: string | null;
  verification: ForwardingVerification | null;
}

export function classify(parsed: ParsedMessage, raw: Buffer): Classification {
  const none = { bounce: null, autoReply: null, verification: null };
  const verification = detectForwardingVerification(parsed);
  if (verification) return { ...none, kind: 'forwarding_verification', verification };
  // An abuse or feedback report (RFC 5965, ARF) is neither a reply nor a bounce.
  if (/report-type\s*=\s*"?feedback-report/i.test(parsed.headers['content-type'] ?? '')) return { ...none, kind: 'feedback_report' };
  const bounce = detectBounce(parsed, raw.toString('latin1'));
  if (bounce) return { ...none, kind: 'bounce', bounce };
  const autoReply = detectAutoReply(parsed);
  if (autoReply) return { ...none, kind: 'auto_reply', autoReply };
  if (parsed.headers['list-id']) return { ...none, kind: 'mailing_list' };
  return { ...none, kind: 'message' };
}
