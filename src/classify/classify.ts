// What kind of message this is. The first rule that applies wins: a forwarding
// confirmation, a feedback (abuse) report, a bounce, an auto-reply, a mailing
// list post, else a message (a letter or a reply). An unparseable message is
// classified by the pipeline.
import type { ParsedMessage } from '../parse/index.ts';
import { detectAutoReply } from './auto-reply.ts';
import { detectBounce, type BounceInfo } from './bounce.ts';
import { detectForward, type ForwardInfo } from './forward.ts';
import { detectSesReport } from './ses.ts';
import { detectForwardingVerification, type ForwardingVerification } from './verification.ts';

export type MessageKind = 'message' | 'bounce' | 'auto_reply' | 'forwarding_verification' | 'feedback_report' | 'mailing_list' | 'unparseable';

export interface Classification {
  kind: MessageKind;
  /** Set when a person or a mail system forwarded the message to us. */
  forward: ForwardInfo | null;
  bounce: BounceInfo | null;
  /** Which header or subject made it an auto-reply. */
  autoReply: string | null;
  verification: ForwardingVerification | null;
}

function isFeedbackReport(parsed: ParsedMessage): boolean {
  return (
    /report-type\s*=\s*"?feedback-report/i.test(parsed.headers['content-type'] ?? '') || /^complaint about message from/i.test((parsed.subject ?? '').trim())
  );
}

/** `mailFrom`: the envelope sender, when the message came over SMTP. */
export function classify(parsed: ParsedMessage, raw: Buffer, mailFrom?: string): Classification {
  const none = { bounce: null, autoReply: null, verification: null, forward: null };
  const verification = detectForwardingVerification(parsed);
  if (verification) return { ...none, kind: 'forwarding_verification', verification };
  // An abuse or feedback report (RFC 5965 ARF, Hotmail's older format, SES complaints) is neither a reply nor a bounce.
  const ses = detectSesReport(parsed);
  if (ses?.kind === 'complaint' || isFeedbackReport(parsed)) return { ...none, kind: 'feedback_report' };
  if (ses?.kind === 'bounce') return { ...none, kind: 'bounce', bounce: ses.bounce };
  // The returned message's headers lie near the top of a bounce: a bounded look
  // keeps a large message from being copied whole into a string.
  const bounce = detectBounce(parsed, raw.subarray(0, 1024 * 1024).toString('latin1'), mailFrom);
  if (bounce) return { ...none, kind: 'bounce', bounce };
  const autoReply = detectAutoReply(parsed);
  if (autoReply) return { ...none, kind: 'auto_reply', autoReply };
  // List-Id (RFC 2919), or the Precedence values RFC 3834 2 names for mass mail.
  if (parsed.headers['list-id'] || /^(list|bulk|junk)$/i.test((parsed.headers['precedence'] ?? '').trim())) return { ...none, kind: 'mailing_list' };
  return { ...none, kind: 'message', forward: detectForward(parsed) };
}
