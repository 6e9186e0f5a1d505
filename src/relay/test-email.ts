// `mailroom accounts test-email`: the round trip that proves an account works
// end to end. A message goes through the account to its own reply address
// (with a signed token), the provider delivers it to our MX, the pipeline
// recognises our own test email and puts it in the unassigned queue (reason
// test_email) and marks the account active. Here we send it and wait.
import type { Context } from '../context.ts';
import type { Account } from '../store/index.ts';
import { adviceFor, readableError } from './advice.ts';
import { stageOfFailure } from './failure.ts';
import { sendAndAwaitReturn } from './round-trip.ts';
import { changeAccountStatus } from '../webhooks/announce.ts';

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

export async function sendTestEmail(
  ctx: Context,
  account: Account,
  options: { timeoutMs: number; progress: (line: string) => void },
): Promise<TestEmailResult> {
  const base = { accountId: account.id, inboundId: null, roundTripMs: null };
  options.progress(`sending through ${account.host}:${account.port} to its own reply address`);
  const { message, sent, arrived, elapsedMs } = await sendAndAwaitReturn(
    ctx,
    account,
    {
      tenant: account.tenant,
      to: { ownReplyAddress: true },
      subject: `mailroom test email for account ${account.id} (${account.name})`,
      text: 'This message tests that mail sent through this account comes back to mailroom. It can be dismissed.\r\n',
    },
    {
      timeoutMs: options.timeoutMs,
      find: async (m) => await ctx.messages.processedWithMessageId(`<${m.messageId}>`),
      onSent: (s) => options.progress(`sent (${s.reply}); waiting up to ${Math.round(options.timeoutMs / 1000)} s for it to come back`),
    },
  );
  const ids = { outboundId: message.id, messageId: message.messageId, to: message.recipient, providerReply: sent.reply };
  if (sent.outcome !== 'sent') {
    const stage = stageOfFailure(sent.failure);
    const reply = readableError(sent.reply);
    // Only a server that answered can have refused the message; before that it was never reached.
    const error =
      stage === 'auth' || stage === 'mail_from'
        ? `the provider did not take the test email: ${reply}`
        : `the test email could not be sent (${stage}): ${reply}`;
    await changeAccountStatus(ctx, account.id, 'failing', error, ctx.clock.now().toISOString());
    return { ok: false, ...base, ...ids, error, advice: adviceFor(stage, reply, account) };
  }
  if (arrived) {
    await changeAccountStatus(ctx, account.id, 'active', null, ctx.clock.now().toISOString());
    return { ok: true, ...ids, accountId: account.id, inboundId: arrived.id, roundTripMs: elapsedMs, error: null, advice: null };
  }
  const replyDomain = message.recipient.slice(message.recipient.indexOf('@') + 1);
  const error = `the test email was sent (${sent.reply}) but did not come back to ${message.recipient} within ${Math.round(options.timeoutMs / 1000)} s`;
  await changeAccountStatus(ctx, account.id, 'failing', error, ctx.clock.now().toISOString());
  return {
    ok: false,
    ...base,
    ...ids,
    error,
    advice: `check that the MX record of ${replyDomain} points at this server, that \`npx mailroom serve\` is running and reachable on port 25, and that the provider did not hold the message (its sent folder or quarantine); then try again with a longer --timeout.`,
  };
}
