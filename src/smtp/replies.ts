// SMTP replies this listener sends, as named constants: basic code (RFC 5321
// section 4.2), enhanced code (RFC 3463) and the public text. The text never
// names the mechanism behind a refusal; details go to the log.
import type { SmtpReply } from '../errors.ts';

const reply = (code: number, enhanced: string, text: string): SmtpReply => ({ code, enhanced, text });

export const C250_QUEUED = reply(250, '2.0.0', 'Ok: queued as');
export const C421_TOO_MANY_FROM_IP = reply(421, '4.7.0', 'Too many connections from your address, try again later');
export const C421_SESSION_TOO_LONG = reply(421, '4.4.2', 'Session time limit exceeded, closing connection');
export const C421_DATA_TOO_SLOW = reply(421, '4.4.2', 'Message not received in time, closing connection');
export const C421_SHUTTING_DOWN = reply(421, '4.3.2', 'Service shutting down, try again later');
export const C451_LOCAL_ERROR = reply(451, '4.3.0', 'Local error in processing, try again later');
// RFC 3463 4.7.x: a policy refusal that passes; the client retries later, as for Gmail's own rate limits.
export const C451_TOO_MANY_MESSAGES = reply(451, '4.7.1', 'Too many messages from your address, try again later');
export const C451_TOO_MANY_RECIPIENTS = reply(451, '4.7.1', 'Too many recipients from your address, try again later');
export const C452_STORAGE_FULL = reply(452, '4.3.1', 'Insufficient system storage, try again later');
// RFC 5321 section 4.5.3.1.10: 452 for too many recipients; the client sends the rest later.
export const C452_TOO_MANY_RECIPIENTS = reply(452, '4.5.3', 'Too many recipients');
export const C452_ONE_TENANT_PER_MESSAGE = reply(452, '4.5.3', 'Recipients of different organisations, send this one in a separate transaction');
export const C550_MAILBOX_UNAVAILABLE = reply(550, '5.1.1', 'Mailbox unavailable');
export const C550_RELAY_DENIED = reply(550, '5.7.1', 'Relaying denied');
export const C550_BAD_DATA = reply(550, '5.6.0', 'Message refused: bare CR or LF, or NUL bytes in the data; send CRLF line endings');
export const C552_TOO_BIG = reply(552, '5.3.4', 'Message too big');

/** Names of the refusals, for metrics (mailroom_smtp_refused_total{reason}). */
const REFUSALS: readonly [SmtpReply, string][] = [
  [C421_TOO_MANY_FROM_IP, 'too_many_connections'],
  [C421_SESSION_TOO_LONG, 'session_too_long'],
  [C421_DATA_TOO_SLOW, 'data_too_slow'],
  [C421_SHUTTING_DOWN, 'shutting_down'],
  [C451_LOCAL_ERROR, 'local_error'],
  [C451_TOO_MANY_MESSAGES, 'message_rate'],
  [C451_TOO_MANY_RECIPIENTS, 'recipient_rate'],
  [C452_STORAGE_FULL, 'storage_full'],
  [C452_TOO_MANY_RECIPIENTS, 'too_many_recipients'],
  [C452_ONE_TENANT_PER_MESSAGE, 'one_tenant_per_message'],
  [C550_MAILBOX_UNAVAILABLE, 'unknown_recipient'],
  [C550_RELAY_DENIED, 'relay_denied'],
  [C550_BAD_DATA, 'bad_data'],
  [C552_TOO_BIG, 'too_big'],
];

export function refusalReason(err: { responseCode: number; enhancedCode: string; publicText: string }): string {
  const exact = REFUSALS.find(([r]) => r.code === err.responseCode && r.enhanced === err.enhancedCode && err.publicText.startsWith(r.text));
  const byCode = exact ?? REFUSALS.find(([r]) => r.code === err.responseCode && r.enhanced === err.enhancedCode);
  return byCode?.[1] ?? `smtp_${err.responseCode}`;
}
