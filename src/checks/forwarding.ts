// The forwarding test, as Personio does it: a message through the tenant's
// default account to each company inbox that should forward to mailroom, then
// wait for it at the forwarding address. Did it arrive, was the sender kept
// (a redirect) or rewritten (a forward, which breaks candidate matching), does
// authentication still pass after the hop, and how long did it take.
import { randomBytes } from 'node:crypto';
import type { Context } from '../runtime/context.ts';
import { sendAndAwaitReturn } from '../relay/round-trip.ts';
import type { Account, Tenant } from '../store/index.ts';
import { fail, ok, warn, type CheckResult } from './types.ts';

export interface ForwardingOptions {
  timeoutMs: number;
  progress: (line: string) => void;
}

export async function forwardingTest(ctx: Context, tenant: Tenant, account: Account, inbox: string, options: ForwardingOptions): Promise<CheckResult[]> {
  const marker = `mrfwd-${randomBytes(5).toString('hex')}`;
  options.progress(`forwarding test: sending to ${inbox} through account ${account.id}`);
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
        options.progress(
          `forwarding test: sent; waiting up to ${Math.round(options.timeoutMs / 1000)} s for it at ${tenant.forwardAddresses.join(', ') || 'the forwarding address'}`,
        ),
    },
  );
  if (sent.outcome !== 'sent') {
    return [
      fail(
        'forwarding',
        inbox,
        'test message sent',
        `account ${account.id} could not send it: ${sent.reply}`,
        'fix the account first (see its connection test above)',
      ),
    ];
  }
  if (!arrived) {
    return [
      fail(
        'forwarding',
        inbox,
        'arrives at mailroom',
        `nothing arrived within ${Math.round(options.timeoutMs / 1000)} s`,
        `check that ${inbox} forwards to ${tenant.forwardAddresses[0] ?? "the tenant's forwarding address"}: Gmail needs the forwarding address confirmed (see the confirmation mail in \`mailroom unassigned list --reason forwarding_verification\`); Microsoft 365 blocks external forwarding by default (the sending mailbox gets a bounce with 550 5.7.520: an admin allows it in the outbound anti-spam policy)`,
      ),
    ];
  }
  const delaySeconds = (Date.parse(arrived.receivedAt) - startedAt) / 1000;
  const results: CheckResult[] = [ok('forwarding', inbox, 'arrives at mailroom', `arrived as ${arrived.id} after ${delaySeconds.toFixed(1)} s`)];
  const fromKept = arrived.from?.toLowerCase() === account.fromAddress;
  const idKept = arrived.messageId === `<${message.messageId}>`;
  if (fromKept && idKept) results.push(ok('forwarding', inbox, 'sender kept (a redirect)', `From ${arrived.from}, Message-ID kept`));
  else {
    results.push(
      fail(
        'forwarding',
        inbox,
        'sender kept (a redirect)',
        `rewritten: From ${arrived.from ?? 'missing'}${idKept ? '' : ', new Message-ID'}${/^\s*(fwd?|wg|tr|rv)\s*:/i.test(arrived.subject ?? '') ? ', subject marked as forwarded' : ''}`,
        `${inbox} forwards (as a new message from the mailbox) instead of redirecting, so mailroom sees the company's address, not the candidate's: use a redirect (Outlook/Exchange: an inbox rule "Redirect to", or mailbox forwarding; Gmail: Settings > Forwarding, not a manual forward)`,
      ),
    );
  }
  const auth = arrived.auth;
  if (auth) {
    const summary = `spf=${auth.spf} dkim=${auth.dkim} dmarc=${auth.dmarc} arc=${auth.arc}`;
    const sender = auth.sender;
    if (auth.dmarc === 'pass') results.push(ok('forwarding', inbox, 'authentication after the hop', summary));
    else if (sender?.authenticated) {
      results.push(
        warn(
          'forwarding',
          inbox,
          'authentication after the hop',
          `${summary}; believed: ${sender.detail}`,
          'DMARC does not pass after the hop, but the sender is still proven (docs/matching-and-trust.md); a DKIM signature that survives forwarding makes it plain DMARC',
        ),
      );
    } else {
      results.push(
        fail(
          'forwarding',
          inbox,
          'authentication after the hop',
          summary,
          `DMARC fails after the forward, so mailroom will not match senders of mail that comes this way: sign outgoing mail with DKIM for ${account.fromAddress.slice(account.fromAddress.indexOf('@') + 1)} (it survives a redirect), and make sure the forwarder does not modify messages`,
        ),
      );
    }
  }
  return results;
}
