// The new text the sender wrote: the body without the quoted history and the
// signature, with email-reply-parser (GitHub's reply parser, ported).
import EmailReplyParser from 'email-reply-parser';

const parser = new EmailReplyParser();

export function replyText(text: string | null): string | null {
  if (!text) return null;
  const reply = parser.parseReply(text).trim();
  return reply || null;
}
