// Forwarding confirmations: the mails Gmail, Outlook and others send when someone
// sets a mailbox to forward to one of our addresses. The operator needs the code
// and the link to finish the set-up (see `mailroom messages show`).
import type { ParsedMessage } from '../parse/index.ts';

export interface ForwardingVerification {
  provider: 'gmail' | 'outlook' | 'other';
  code: string | null;
  link: string | null;
}

export function detectForwardingVerification(parsed: ParsedMessage): ForwardingVerification | null {
  const from = parsed.from?.address ?? '';
  const subject = parsed.subject ?? '';
  const text = parsed.text ?? '';
  const isGmail = from === 'forwarding-noreply@google.com' || /gmail forwarding confirmation/i.test(subject);
  const isOutlook = /outlook|microsoft/i.test(from) && /forward/i.test(subject) && /(verif|confirm)/i.test(subject + text);
  const isOther = /(forwarding|weiterleitung|transfert).*(confirm|verif|bestätig)/i.test(subject);
  if (!isGmail && !isOutlook && !isOther) return null;
  const code = /\(#(\d{6,12})\)/.exec(subject)?.[1] ?? /confirmation code:?\s*(\d{6,12})/i.exec(text)?.[1] ?? null;
  const link =
    /https:\/\/[^\s<>"]*(?:mail-settings\.google\.com|mail\.google\.com)[^\s<>"]*/i.exec(text)?.[0] ??
    /https:\/\/[^\s<>"]*(?:verif|confirm)[^\s<>"]*/i.exec(text)?.[0] ??
    null;
  return { provider: isGmail ? 'gmail' : isOutlook ? 'outlook' : 'other', code, link };
}
