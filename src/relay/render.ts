// The exact bytes of an outbound message, built once: composed by nodemailer's
// MailComposer and, when the account signs, DKIM-signed. For an account that
// files Sent copies the relay sends these bytes as they are (raw), so the copy
// is the message the recipient got, signature and Message-ID included.
import { PassThrough } from 'node:stream';
import type { Account, AccountSecret, OutboundMessage } from '../store/index.ts';
import { mailOf } from './mail.ts';
import { DKIM, MailComposer, type DkimOptions } from './nodemailer.ts';

async function collect(stream: PassThrough): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The account's DKIM signing options, when it signs. */
export function dkimOptions(account: Account, secret: AccountSecret): DkimOptions | null {
  if (!account.dkimSelector || !secret.dkimPrivateKey) return null;
  return { domainName: account.sendingDomain, keySelector: account.dkimSelector, privateKey: secret.dkimPrivateKey };
}

export async function renderMessage(account: Account, secret: AccountSecret, message: OutboundMessage): Promise<Buffer> {
  const { envelope: _envelope, ...mail } = mailOf(account, message);
  const composed = await new MailComposer(mail).compile().build();
  const dkim = dkimOptions(account, secret);
  return dkim ? collect(new DKIM(dkim).sign(composed)) : composed;
}
