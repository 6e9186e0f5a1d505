// The fields of an outbound message as nodemailer takes them: From with the
// account's name, our Message-ID, the Reply-To that carries the token, the
// thread headers, and the envelope (MAIL FROM the account's address).
import type { SendMailOptions } from 'nodemailer';
import type { Account, OutboundMessage } from '../store/index.ts';

export function mailOf(account: Account, message: OutboundMessage): SendMailOptions {
  return {
    from: account.fromName ? { name: account.fromName, address: account.fromAddress } : account.fromAddress,
    to: message.recipient,
    subject: message.subject,
    ...(message.text !== null ? { text: message.text } : {}),
    ...(message.html !== null ? { html: message.html } : {}),
    ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    messageId: `<${message.messageId}>`,
    ...(message.inReplyTo ? { inReplyTo: message.inReplyTo } : {}),
    ...(message.references.length ? { references: message.references } : {}),
    envelope: { from: account.fromAddress, to: [message.recipient] },
  };
}
