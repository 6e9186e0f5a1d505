// Account and mailbox checks of a tenant: the staged connection test of every
// sending account (with the provider's advice), and what its received mail
// shows about the set-up: a forwarding confirmation still waiting, or
// Microsoft 365 refusing to forward outside the company.
import type { DnsResolver } from '../dns/index.ts';
import type { Context } from '../context.ts';
import { diagnoseAccount } from '../relay/diagnose.ts';
import { recordAccountTest } from '../webhooks/announce.ts';
import type { Account, Tenant } from '../store/index.ts';
import { fail, ok, warn, type CheckResult } from './types.ts';

/** The status table operators expect, one row per account. */
export interface AccountRow {
  id: number;
  name: string;
  created: string;
  owner: string;
  sendingMethod: string;
  status: string;
  lastTest: string | null;
}

export function accountRow(a: Account): AccountRow {
  return {
    id: a.id,
    name: a.name + (a.isDefault ? ' (default)' : ''),
    created: a.createdAt,
    owner: a.owner ?? 'company',
    sendingMethod: `${a.provider} ${a.host}:${a.port} ${a.security} ${a.authMethod}`,
    status: a.status,
    lastTest: a.lastTestedAt,
  };
}

export async function checkAccounts(
  ctx: Context,
  tenant: Tenant,
  accounts: readonly Account[],
  resolver: DnsResolver,
  sendingAddresses: readonly string[],
  redact = false,
): Promise<CheckResult[]> {
  if (accounts.length === 0) {
    return [
      fail(
        'account',
        tenant.slug,
        'an email account is set up',
        'no email account',
        `no email account is set up, so nothing can be sent for ${tenant.slug}: add one with \`npx mailroom accounts add --tenant ${tenant.slug} --name N --provider gmail|office365|... --user U --password-env VAR --from ADDR --default\``,
      ),
    ];
  }
  const results: CheckResult[] = [];
  if (!accounts.some((a) => a.isDefault && a.owner === null)) {
    results.push(
      warn(
        'account',
        tenant.slug,
        'a default account',
        'no default account',
        `sends without --account need a default: \`npx mailroom accounts set-default <id>\``,
      ),
    );
  }
  for (const account of accounts) {
    const subject = `account ${account.id} (${account.name})`;
    const secret = await ctx.accounts.openSecret(account.id, ctx.keyring());
    const result = await diagnoseAccount(account, secret, {
      imapSecret: await ctx.accounts.openImapSecret(account.id, ctx.keyring()),
      connectionTimeoutMs: ctx.config.relay.connectionTimeoutMs,
      hostname: ctx.config.smtp.hostname,
      sendingAddresses,
      guard: { resolver, allowPrivateNetworks: ctx.config.relay.allowPrivateNetworks },
      redact,
    });
    await recordAccountTest(ctx, account.id, result, ctx.clock.now().toISOString());
    results.push(
      result.ok
        ? ok('account', subject, 'connection test', `${result.stages.map((s) => s.stage).join(', ')} passed`)
        : fail('account', subject, 'connection test', `${result.stage} failed: ${result.error}`, result.advice ?? 'see the error'),
    );
  }
  return results;
}

/** What the tenant's received mail says: a forwarding confirmation nobody finished, an external forward Microsoft refused. */
export async function checkMailboxSignals(ctx: Context, tenant: Tenant): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const recent = await ctx.messages.list({ tenant: tenant.slug, limit: 1000 });
  for (const m of recent.filter((x) => x.status === 'unassigned' && x.classification?.kind === 'forwarding_verification')) {
    const v = m.classification?.verification;
    results.push(
      warn(
        'forwarding',
        m.envelope.rcptTo.join(', '),
        'forwarding confirmed',
        `a ${v?.provider ?? ''} forwarding confirmation is waiting (message ${m.id}, from ${m.from ?? 'unknown'})`.replace('a  ', 'a '),
        `forwarding to mailroom is not active until someone confirms it${v?.code ? `: enter code ${v.code} in the mailbox's forwarding settings` : ''}${v?.link ? `${v.code ? ', or' : ':'} open ${v.link}` : ''}; then \`npx mailroom unassigned dismiss ${m.id}\``,
      ),
    );
  }
  const blocked = recent.find((m) => m.classification?.kind === 'bounce' && /5\.7\.520/.test(JSON.stringify(m.classification?.bounce ?? '')));
  if (blocked) {
    results.push(
      fail(
        'forwarding',
        tenant.slug,
        'external forwarding allowed',
        `a bounce with 550 5.7.520 (message ${blocked.id}): Microsoft 365 refused to forward outside the organisation`,
        'a Microsoft 365 admin must allow automatic external forwarding for the forwarding mailbox: Microsoft 365 Defender > Policies > Anti-spam > Outbound policy > Automatic forwarding rules: On (for that mailbox or a policy for it)',
      ),
    );
  }
  return results;
}
