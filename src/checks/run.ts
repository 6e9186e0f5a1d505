// `mailroom tenants check`: every check of a tenant's set-up in one report:
// reply domains, sending domains, accounts, signals in the received mail, inboxes
// read over IMAP and, when asked, forwarding tests. Each finding is ok, warn or fail with what to do.
import { createResolver, type DnsResolver } from '../dns/index.ts';
import type { Context } from '../context.ts';
import { chooseAccount, tenantChain } from '../relay/compose.ts';
import { probeInbox } from '../inbox/index.ts';
import type { Account, Inbox, Tenant } from '../store/index.ts';
import { accountRow, checkAccounts, checkMailboxSignals, type AccountRow } from './account-checks.ts';
import { checkDkim, checkDmarc, checkReplyDomain, checkSpf } from './dns-checks.ts';
import { forwardingTest } from './forwarding.ts';
import { fail, ok, warn, type CheckResult } from './types.ts';

export interface CheckOptions {
  sendTests: boolean;
  inboxes: string[];
  progress: (line: string) => void;
  resolver?: DnsResolver;
  /** For a caller who is not the operator: the accounts' connection tests say only the stage and the reply code. */
  redact?: boolean;
}

export interface CheckReport {
  tenant: string;
  ok: boolean;
  summary: { ok: number; warn: number; fail: number };
  checks: CheckResult[];
  accounts: AccountRow[];
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A DNS failure is reported as such, not as a verdict on the record. */
async function guarded(
  area: CheckResult['area'],
  subject: string,
  check: string,
  run: () => Promise<CheckResult | CheckResult[] | null>,
): Promise<CheckResult[]> {
  try {
    const result = await run();
    return result === null ? [] : Array.isArray(result) ? result : [result];
  } catch (err) {
    return [warn(area, subject, check, `DNS lookup failed: ${(err as Error).message}`, 'a temporary DNS failure: run the check again in a few minutes')];
  }
}

/** An inbox read over IMAP: readable now, and whose word on the sender is believed. */
async function checkImapInbox(ctx: Context, inbox: Inbox): Promise<CheckResult[]> {
  const subject = `${inbox.address} (${inbox.folder})`;
  const result = await probeInbox(ctx, inbox);
  const found: CheckResult[] = [
    result.ok
      ? ok('imap_inbox', subject, 'readable over IMAP', `${result.messages} messages${result.idle ? '; new mail arrives at once (IDLE)' : '; no IDLE: polled'}`)
      : fail('imap_inbox', subject, 'readable over IMAP', `${result.stage}: ${result.error}`, result.advice ?? ''),
  ];
  if (!inbox.authservId)
    found.push(
      warn(
        'imap_inbox',
        subject,
        'sender authentication',
        'no provider named whose Authentication-Results are believed',
        "add the inbox again with --trust-authserv-id (the receiving server's name in its Authentication-Results): until then no message from this inbox is filed by its sender address alone",
      ),
    );
  else if (result.warning)
    found.push(
      warn('imap_inbox', subject, 'sender authentication', result.warning, 'until it does, no message from this inbox is filed by its sender address alone'),
    );
  return found;
}

/** SPF, DKIM and DMARC of each account's sending domain, once for accounts that send alike. */
async function checkSendingDomains(ctx: Context, resolver: DnsResolver, accounts: readonly Account[]): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  const seen = new Set<string>();
  for (const account of accounts) {
    const key = `${account.fromAddress}|${account.provider}|${account.host}|${account.dkimSelector}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const secret = await ctx.accounts.openSecret(account.id, ctx.keyring());
    checks.push(...(await guarded('sending_domain', account.sendingDomain, 'SPF', () => checkSpf(resolver, account))));
    checks.push(...(await guarded('sending_domain', account.sendingDomain, 'DKIM', () => checkDkim(resolver, account, secret.dkimPrivateKey ?? null))));
    checks.push(...(await guarded('sending_domain', account.sendingDomain, 'DMARC', () => checkDmarc(resolver, account))));
  }
  return checks;
}

/** A test message through each company inbox that forwards to mailroom, sent with the tenant's default account. */
async function forwardingTests(ctx: Context, tenant: Tenant, chain: Tenant[], options: CheckOptions): Promise<CheckResult[]> {
  const inboxes = options.inboxes.length > 0 ? options.inboxes : tenant.inboxes;
  if (inboxes.length === 0) {
    return [
      warn(
        'forwarding',
        tenant.slug,
        'forwarding test',
        'no company inbox to test',
        `name the inboxes that forward to mailroom: --inbox jobs@${tenant.domains[0] ?? 'company.example'} (or \`tenants update ${tenant.slug} --inbox ...\`)`,
      ),
    ];
  }
  let account;
  try {
    account = await chooseAccount(ctx.accounts, chain, undefined, undefined);
  } catch (err) {
    return [fail('forwarding', tenant.slug, 'forwarding test', 'no default account to send the test with', (err as Error).message)];
  }
  const checks: CheckResult[] = [];
  for (const inbox of inboxes)
    checks.push(...(await forwardingTest(ctx, tenant, account, inbox, { timeoutMs: ctx.config.checks.forwardingTimeoutMs, progress: options.progress })));
  return checks;
}

export async function checkTenant(ctx: Context, tenant: Tenant, options: CheckOptions): Promise<CheckReport> {
  const resolver = options.resolver ?? createResolver(ctx.config.dns);
  const mxHosts = list(ctx.config.checks.mxHosts);
  const checks: CheckResult[] = [];
  const chain = await tenantChain(ctx.tenants, tenant.slug);
  const replyDomains = chain.find((t) => t.replyDomains.length > 0)?.replyDomains ?? [];

  const imapInboxes = await ctx.inboxes.list([tenant.id]);
  options.progress('reply domains');
  if (replyDomains.length === 0 && tenant.forwardAddresses.length === 0 && imapInboxes.length === 0) {
    checks.push(
      fail(
        'setup',
        tenant.slug,
        'receives mail',
        'no reply domain, no forwarding address and no inbox read over IMAP',
        `add one: \`npx mailroom tenants update ${tenant.slug} --reply-domain replies.<company domain>\``,
      ),
    );
  }
  for (const domain of replyDomains)
    checks.push(
      ...(await guarded('reply_domain', domain, 'MX points at mailroom', () =>
        checkReplyDomain(resolver, domain, mxHosts.length ? mxHosts : [ctx.config.smtp.hostname]),
      )),
    );

  const accounts = await ctx.accounts.list(tenant.slug);
  options.progress('sending domains');
  checks.push(...(await checkSendingDomains(ctx, resolver, accounts)));

  options.progress('accounts');
  checks.push(...(await checkAccounts(ctx, tenant, accounts, resolver, list(ctx.config.checks.sendingAddresses), options.redact === true)));
  checks.push(...(await checkMailboxSignals(ctx, tenant)));
  if (imapInboxes.length > 0) options.progress('inboxes read over IMAP');
  for (const inbox of imapInboxes) checks.push(...(await checkImapInbox(ctx, inbox)));

  if (options.sendTests) checks.push(...(await forwardingTests(ctx, tenant, chain, options)));

  const summary = { ok: 0, warn: 0, fail: 0 };
  for (const c of checks) summary[c.status]++;
  return { tenant: tenant.slug, ok: summary.fail === 0, summary, checks, accounts: (await ctx.accounts.list(tenant.slug)).map(accountRow) };
}
