// `mailroom accounts test-email`: the round trip that proves an account works
// end to end. A message goes through the account to its own reply address
// (with a signed token), the provider delivers it to our MX, the pipeline
// recognises our own test email and puts it in the unassigned queue (reason
// test_email) and marks the account active. Here we send it and wait.
import type { Context } from '../context.ts';
import type { Account } from '../store/index.ts';
import { adviceFor } from './advice.ts';
import { composeOutbound } from './compose.ts';
import { Relay } from './sender.ts';

export interface TestEmailResult {
  ok: boolean;
  accountId: number;
  outboundId: string | null;
  messageId: string | null;
  to: string | null;
  /** The inbound message it came back as. */
  inboundId: string | null;
  roundTripMs: number | null;
  providerReply: string | null;
  error: string | null;
  advice: string | null;
}

export async function sendTestEmail(ctx: Context, account: Account, options: { timeoutMs: number; progress: (line: string) => void }): Promise<TestEmailResult> {
  const started = Date.now();
  const nowMs = (): number => ctx.clock.now().getTime();
  const base = { accountId: account.id, inboundId: null, roundTripMs: null };
  const message = ctx.db.transaction(() => {
    const composed = composeOutbound(
      { db: ctx.db, keyring: ctx.keyring(), now: ctx.clock.now() },
      { tenant: account.tenant, accountId: account.id, to: { ownReplyAddress: true }, subject: `mailroom test email for account ${account.id} (${account.name})`, text: 'This message tests that mail sent through this account comes back to mailroom. It can be dismissed.\r\n', purpose: 'test' },
    );
    // Ours to send, not the server relay's.
    ctx.outbound.claim(composed.id, nowMs(), 5 * 60_000);
    return composed;
  }).immediate();
  options.progress(`sending through ${account.host}:${account.port} to ${message.recipient}`);
  const relay = new Relay({ db: ctx.db, keyring: ctx.keyring, settings: ctx.config.relay, hostname: ctx.config.smtp.hostname, log: ctx.log, nowMs });
  const sent = await relay.sendClaimed(account, message).finally(() => relay.stop());
  const ids = { outboundId: message.id, messageId: message.messageId, to: message.recipient, providerReply: sent.reply };
  if (sent.outcome !== 'sent') {
    const error = `the provider did not take the test email: ${sent.reply}`;
    ctx.accounts.setStatus(account.id, 'failing', error, ctx.clock.now().toISOString());
    return { ok: false, ...base, ...ids, error, advice: adviceFor(sent.authFailed ? 'auth' : 'mail_from', sent.reply, account) };
  }

  options.progress(`sent (${sent.reply}); waiting up to ${Math.round(options.timeoutMs / 1000)} s for it to come back`);
  const arrived = ctx.db.prepare(`SELECT id, status FROM messages WHERE message_id = ? AND status NOT IN ('received', 'failed') LIMIT 1`);
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const row = arrived.get(`<${message.messageId}>`) as { id: string; status: string } | undefined;
    if (row) {
      ctx.accounts.setStatus(account.id, 'active', null, ctx.clock.now().toISOString());
      return { ok: true, ...ids, accountId: account.id, inboundId: row.id, roundTripMs: Date.now() - started, error: null, advice: null };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const replyDomain = message.recipient.slice(message.recipient.indexOf('@') + 1);
  const error = `the test email was sent (${sent.reply}) but did not come back to ${message.recipient} within ${Math.round(options.timeoutMs / 1000)} s`;
  ctx.accounts.setStatus(account.id, 'failing', error, ctx.clock.now().toISOString());
  return {
    ok: false,
    ...base,
    ...ids,
    error,
    advice: `check that the MX record of ${replyDomain} points at this server, that \`mailroom serve\` is running and reachable on port 25, and that the provider did not hold the message (its sent folder or quarantine); then try again with a longer --timeout.`,
  };
}
