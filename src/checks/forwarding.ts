// The forwarding test, as Personio does it: a message through the tenant's
// default account to each company inbox that should forward to mailroom, then
// wait for it at the forwarding address. Did it arrive, was the sender kept
// (a redirect) or rewritten (a forward, which breaks candidate matching), does
// authentication still pass after the hop, and how long did it take.
import { randomBytes } from 'node:crypto';
import type { Context } from '../context.ts';
import { sendAndAwaitReturn } from '../relay/round-trip.ts';
import type { Account, AuthSummary, OutboundMessage, StoredMessage, Tenant } from '../store/index.ts';
import { fail, ok, warn, type CheckResult } from './types.ts';

export interface ForwardingOptions {
  timeoutMs: number;
  progress: (line: string) => void;
}

export async function forwardingTest(ctx: Context, tenant: Tenant, account: Account, inbox: string, options: ForwardingOptions): Promise<CheckResult[]> {
  const marker = `mrfwd-${randomBytes(5).toString('hex')}`;
  options.progress(`forwarding test: sending to ${inbox} through account ${account.id}`);
  const waitSeconds = Math.round(options.timeoutMs / 1000);
  const { message, sent, arrived, startedAt } = await sendAndAwaitReturn(
    ctx,
    account,
    {
      tenant: tenant.slug,
      to: inbox,
      subject: `mailroom forwarding test ${marker}`,
      text: `This message tests that ${inbox} forwards to mailroom. It can be deleted.\r\n`,
    },
    {
      timeoutMs: options.timeoutMs,
      find: () => ctx.messages.latestProcessedWithSubjectContaining(marker),
      onSent: () =>
        options.progress(`forwarding test: sent; waiting up to ${waitSeconds} s for it at ${tenant.forwardAddresses.join(', ') || 'the forwarding address'}`),
    },
  );
  if (sent.outcome !== 'sent') {
    const found = `account ${account.id} could not send it: ${sent.reply}`;
    return [fail('forwarding', inbox, 'test message sent', found, 'fix the account first (see its connection test above)')];
  }
  if (!arrived) return [fail('forwarding', inbox, 'arrives at mailroom', `nothing arrived within ${waitSeconds} s`, notArrivedAdvice(tenant, inbox))];
  const delaySeconds = (Date.parse(arrived.receivedAt) - startedAt) / 1000;
  return [
    ok('forwarding', inbox, 'arrives at mailroom', `arrived as ${arrived.id} after ${delaySeconds.toFixed(1)} s`),
    senderKept(inbox, account, message, arrived),
    ...(arrived.auth ? [authenticationAfterHop(inbox, account, arrived.auth)] : []),
  ];
}

function notArrivedAdvice(tenant: Tenant, inbox: string): string {
  return (
    `check that ${inbox} forwards to ${tenant.forwardAddresses[0] ?? "the tenant's forwarding address"}: ` +
    'Gmail needs the forwarding address confirmed (see the confirmation mail in `npx mailroom unassigned list --reason forwarding_verification`); ' +
    'Microsoft 365 blocks external forwarding by default (the sending mailbox gets a bounce with 550 5.7.520: an admin allows it in the outbound anti-spam policy)'
  );
}

/** A redirect keeps the sender and the Message-ID; a forward writes a new message from the mailbox. */
function senderKept(inbox: string, account: Account, message: OutboundMessage, arrived: StoredMessage): CheckResult {
  const fromKept = arrived.from?.toLowerCase() === account.fromAddress;
  const idKept = arrived.messageId === `<${message.messageId}>`;
  if (fromKept && idKept) return ok('forwarding', inbox, 'sender kept (a redirect)', `From ${arrived.from}, Message-ID kept`);
  const markedForwarded = /^\s*(fwd?|wg|tr|rv)\s*:/i.test(arrived.subject ?? '');
  return fail(
    'forwarding',
    inbox,
    'sender kept (a redirect)',
    `rewritten: From ${arrived.from ?? 'missing'}${idKept ? '' : ', new Message-ID'}${markedForwarded ? ', subject marked as forwarded' : ''}`,
    `${inbox} forwards (as a new message from the mailbox) instead of redirecting, so mailroom sees the company's address, not the candidate's: ` +
      'use a redirect (Outlook/Exchange: an inbox rule "Redirect to", or mailbox forwarding; Gmail: Settings > Forwarding, not a manual forward)',
  );
}

function authenticationAfterHop(inbox: string, account: Account, auth: AuthSummary): CheckResult {
  const summary = `spf=${auth.spf} dkim=${auth.dkim} dmarc=${auth.dmarc} arc=${auth.arc}`;
  const check = 'authentication after the hop';
  if (auth.dmarc === 'pass') return ok('forwarding', inbox, check, summary);
  if (auth.sender?.authenticated) {
    return warn(
      'forwarding',
      inbox,
      check,
      `${summary}; believed: ${auth.sender.detail}`,
      'DMARC does not pass after the hop, but the sender is still proven (docs/matching-and-trust.md); a DKIM signature that survives forwarding makes it plain DMARC',
    );
  }
  const domain = account.fromAddress.slice(account.fromAddress.indexOf('@') + 1);
  return fail(
    'forwarding',
    inbox,
    check,
    summary,
    `DMARC fails after the forward, so mailroom will not match senders of mail that comes this way: ` +
      `sign outgoing mail with DKIM for ${domain} (it survives a redirect), and make sure the forwarder does not modify messages`,
  );
}
