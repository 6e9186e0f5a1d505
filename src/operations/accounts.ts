// Sending accounts: the staged connection test, the test email that proves the
// round trip back through our MX, and the default account of a tenant or user.
// Each records the outcome on the account (and announces a change of status).
import { createPrivateKey } from 'node:crypto';
import { ConflictError, InvalidError } from '../errors.ts';
import { isProvider, PROVIDERS, type ProviderName } from '../relay/providers.ts';
import type { DiagnosisResult } from '../relay/diagnose.ts';
import type { TestEmailResult } from '../relay/test-email.ts';
import type { Context } from '../context.ts';
import { SecretError, unreadableCredentials } from '../secrets/keyring.ts';
import { normalizeDomain, type Account, type AccountSecret, type SentCopySettings } from '../store/index.ts';
import { changeAccountStatus, recordAccountTest } from '../webhooks/announce.ts';
import { checkedDelay, checkedFrom, checkedPort, checkedReplyLocal, checkedSecurity } from './account-fields.ts';
import { checkedServerHost, checkedTlsCa, isOperator } from './mail-servers.ts';
import { accountWithin, reaches, tenantWithin, type Reach } from './reach.ts';

/** The accounts within reach, oldest first. */
export async function listAccounts(ctx: Context, reach: Reach): Promise<Account[]> {
  return (await ctx.accounts.list()).filter((a) => reaches(reach, a.tenantId));
}

/** The sealed credentials, opened; unreadable ones mark the account failing and say what to do. */
async function openCredentials(ctx: Context, account: Account): Promise<AccountSecret> {
  try {
    return await ctx.accounts.openSecret(account.id, ctx.keyring());
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    const reason = unreadableCredentials(err);
    await changeAccountStatus(ctx, account.id, 'failing', reason, ctx.clock.now().toISOString());
    throw new ConflictError(
      `${reason}. Enter the password again (npx mailroom accounts add --tenant ${account.tenant} --name ${account.name} ...) or restore the secret key.`,
    );
  }
}

/** Resolve, connect, TLS, EHLO, AUTH, MAIL FROM (then the IMAP login and the Sent folder, for sent copies), in turn: ok, or the stage that failed with advice. */
export async function testAccount(ctx: Context, reach: Reach, id: number): Promise<{ account: Account; result: DiagnosisResult }> {
  const account = await accountWithin(ctx, reach, id);
  const secret = await openCredentials(ctx, account);
  // Loaded on first use: the SMTP thread needs nodemailer only when someone tests an account.
  const { diagnoseAccount } = await import('../relay/diagnose.ts');
  const result = await diagnoseAccount(account, secret, {
    guard: { resolver: ctx.resolver, allowPrivateNetworks: ctx.config.relay.allowPrivateNetworks },
    // Someone else's server's words, and which network error it was, are the operator's to see only.
    redact: !isOperator(reach),
    connectionTimeoutMs: ctx.config.relay.connectionTimeoutMs,
    hostname: ctx.config.smtp.hostname,
    imapSecret: await ctx.accounts.openImapSecret(account.id, ctx.keyring()),
  });
  await recordAccountTest(ctx, account.id, result, ctx.clock.now().toISOString());
  return { account, result };
}

/** The accounts whose test email is on its way, per server (context): each holds a send and minutes of polling for its return. */
const testEmailsOnTheirWay = new WeakMap<Context, Set<number>>();

/**
 * Starts a test email to the account's own reply address: `done` settles when
 * it came back through our MX (or did not in time). One at a time per account,
 * so a caller cannot pile them up; refused (a conflict) while one is on its way.
 */
export async function startAccountTestEmail(
  ctx: Context,
  reach: Reach,
  id: number,
  options: { timeoutMs: number; progress?: (line: string) => void },
): Promise<{ account: Account; done: Promise<TestEmailResult> }> {
  const account = await accountWithin(ctx, reach, id);
  const onTheirWay = testEmailsOnTheirWay.get(ctx) ?? new Set<number>();
  testEmailsOnTheirWay.set(ctx, onTheirWay);
  if (onTheirWay.has(account.id))
    throw new ConflictError(
      `the test email of account ${account.id} is still on its way: wait for its result (account.status_changed, or GET the account)`,
      'account',
    );
  onTheirWay.add(account.id);
  const done = (async () => {
    await openCredentials(ctx, account);
    const { sendTestEmail } = await import('../relay/test-email.ts');
    return await sendTestEmail(ctx, account, { timeoutMs: options.timeoutMs, progress: options.progress ?? (() => undefined) });
  })().finally(() => onTheirWay.delete(account.id));
  // Settled by whoever awaits it; a start whose caller lets it run on must not leave an unhandled rejection.
  done.catch(() => undefined);
  return { account, done };
}

/** Sends a test email to the account's own reply address and waits for it to come back through our MX. */
export async function sendAccountTestEmail(
  ctx: Context,
  reach: Reach,
  id: number,
  options: { timeoutMs: number; progress?: (line: string) => void },
): Promise<{ account: Account; result: TestEmailResult }> {
  const { account, done } = await startAccountTestEmail(ctx, reach, id, options);
  return { account, result: await done };
}

/** Makes the account the default of its owner (a user) or of its tenant. */
export async function makeDefaultAccount(ctx: Context, reach: Reach, id: number): Promise<Account> {
  const account = await accountWithin(ctx, reach, id);
  await ctx.accounts.setDefault(account.id);
  return (await ctx.accounts.get(account.id)) as Account;
}

/** Removes the account; the messages it sent stay. */
export async function removeAccount(ctx: Context, reach: Reach, id: number): Promise<Account> {
  const account = await accountWithin(ctx, reach, id);
  await ctx.accounts.remove(account.id);
  return account;
}

const OAUTH_TOKEN_URLS: Partial<Record<ProviderName, string>> = {
  gmail: 'https://oauth2.googleapis.com/token',
  office365: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  outlook: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
};

/** An account as an administrator fills it in (PCRecruiter's alias fields); what is left out comes from the provider's preset. */
export interface AccountInput {
  tenant: string;
  name: string;
  provider: string;
  host?: string | undefined;
  port?: number | undefined;
  security?: string | undefined;
  /** Required to send without TLS: the password would cross the network in the clear. */
  allowPlain?: boolean | undefined;
  /** PEM of a private CA to trust. */
  tlsCa?: string | null | undefined;
  username: string;
  credentials: { password: string } | { oauth2: { clientId: string; clientSecret: string; refreshToken: string; tokenUrl?: string | undefined } };
  from: string;
  fromName?: string | undefined;
  /** The local part of the Reply-To: <replyTo>+<token>@<reply domain>. */
  replyTo?: string | undefined;
  sendingDomain?: string | undefined;
  dkim?: { selector: string; privateKey: string } | undefined;
  owner?: string | undefined;
  isDefault?: boolean | undefined;
  delayMs?: number | undefined;
  perMinute?: number | undefined;
  perDay?: number | undefined;
  /** A copy of each sent message in the mailbox's Sent folder (PCRecruiter's IMAP settings). */
  sentCopy?: SentCopyInput | undefined;
}

export interface SentCopyInput {
  /** Default: `provider` for providers that file it themselves, `imap` when a host is given, else `off`. */
  mode?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  security?: string | undefined;
  /** Default: the SMTP user name. */
  username?: string | undefined;
  /** Default: the SMTP password. */
  password?: string | undefined;
  /** Default: the folder the server marks \Sent. */
  folder?: string | undefined;
}

/** The sent-copy settings as given, completed from the provider preset and checked. */
function sentCopyOf(input: AccountInput, provider: ProviderName): { settings: SentCopySettings; password: string | null } {
  const given = input.sentCopy ?? {};
  const preset = PROVIDERS[provider].sentCopy;
  const mode = given.mode ?? (given.host ? 'imap' : preset === 'provider' ? 'provider' : 'off');
  if (mode !== 'off' && mode !== 'provider' && mode !== 'imap') throw new InvalidError('the sent copy is off, provider or imap', 'sentCopy');
  const off = { mode, host: null, port: null, security: null, username: null, folder: null } as const;
  if (mode !== 'imap') return { settings: off, password: null };
  const fromPreset = preset !== null && preset !== 'provider' ? preset : null;
  const host = given.host ?? fromPreset?.host;
  if (!host) throw new InvalidError('a copy in the Sent folder over IMAP needs the IMAP server', 'imapHost');
  const security = given.security ?? fromPreset?.security ?? 'tls';
  if (security !== 'tls' && security !== 'starttls' && security !== 'none')
    throw new InvalidError('IMAP security must be tls (implicit, port 993), starttls (143) or none', 'imapSecurity');
  if (security === 'none' && !input.allowPlain)
    throw new InvalidError('IMAP without TLS sends the password in the clear; allow it explicitly if this server is on a trusted network', 'allowPlain');
  const port = given.port ?? (given.host ? undefined : fromPreset?.port) ?? (security === 'tls' ? 993 : 143);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidError('the IMAP port must be from 1 to 65535', 'imapPort');
  return {
    settings: { mode, host, port, security, username: given.username ?? null, folder: given.folder ?? null },
    password: given.password ?? null,
  };
}

/** The credentials and the DKIM key, checked, as they are sealed. */
function checkedSecret(input: AccountInput, provider: ProviderName): { secret: AccountSecret; authMethod: 'password' | 'oauth2' } {
  const secret: AccountSecret = {};
  let authMethod: 'password' | 'oauth2' = 'password';
  if ('password' in input.credentials) {
    if (!input.credentials.password) throw new InvalidError('the password is empty', 'password');
    secret.password = input.credentials.password;
  } else {
    const tokenUrl = input.credentials.oauth2.tokenUrl ?? OAUTH_TOKEN_URLS[provider];
    if (!tokenUrl) throw new InvalidError(`an OAuth2 token URL is required for provider ${provider}`, 'oauth2TokenUrl');
    secret.oauth2 = { ...input.credentials.oauth2, tokenUrl };
    authMethod = 'oauth2';
  }
  if (input.dkim) {
    try {
      createPrivateKey(input.dkim.privateKey);
    } catch (err) {
      throw new InvalidError(`the DKIM key is not a PEM private key (${(err as Error).message})`, 'dkimKey');
    }
    secret.dkimPrivateKey = input.dkim.privateKey;
  }
  return { secret, authMethod };
}

/** Checks the settings, seals the credentials and adds the account (status pending); warnings are for the person adding it. */
export async function addAccount(ctx: Context, reach: Reach, input: AccountInput): Promise<{ account: Account; warnings: string[] }> {
  if (!isProvider(input.provider)) throw new InvalidError(`the provider must be one of ${Object.keys(PROVIDERS).join(', ')}`, 'provider');
  const preset = PROVIDERS[input.provider];
  const tenant = await tenantWithin(ctx, reach, input.tenant);
  const given = input.host ?? preset.host;
  if (!given) throw new InvalidError(`a host is required for provider ${input.provider}`, 'host');
  const security = checkedSecurity(input.security ?? preset.security, input.allowPlain);
  const warnings = security === 'none' ? ['this account sends without TLS: passwords and messages cross the network in the clear'] : [];
  const port = checkedPort(input.port ?? (security === preset.security ? preset.port : security === 'tls' ? 465 : 587));
  const from = checkedFrom(input.from);
  const sendingDomain = input.sendingDomain ? normalizeDomain(input.sendingDomain) : from.slice(from.indexOf('@') + 1);
  if (!sendingDomain) throw new InvalidError(`"${input.sendingDomain}" is not a domain`, 'sendingDomain');
  const replyLocal = checkedReplyLocal(input.replyTo ?? 'reply');
  const tlsCa = checkedTlsCa(input.tlsCa);
  const { secret, authMethod } = checkedSecret(input, input.provider);
  const sentCopy = sentCopyOf(input, input.provider);
  // Last of the checks, as it may ask DNS: where the account connects, public unless the operator allows it.
  const host = await checkedServerHost(ctx, reach, given, 'the SMTP server', 'host');
  if (sentCopy.settings.host) sentCopy.settings.host = await checkedServerHost(ctx, reach, sentCopy.settings.host, 'the IMAP server', 'imapHost');
  if ((await ctx.accounts.list(tenant.slug)).some((a) => a.tenantId === tenant.id && a.name === input.name))
    throw new ConflictError(`tenant "${tenant.slug}" already has an account named "${input.name}"`, 'name');
  const account = await ctx.accounts.add(
    {
      tenantId: tenant.id,
      name: input.name,
      provider: input.provider,
      host,
      port,
      security,
      tlsCa,
      username: input.username,
      authMethod,
      sealedSecret: ctx.keyring().seal(JSON.stringify(secret)),
      fromAddress: from,
      fromName: input.fromName ?? null,
      sendingDomain,
      dkimSelector: input.dkim?.selector ?? null,
      replyLocal,
      owner: input.owner ?? null,
      isDefault: input.isDefault === true,
      delayMs: checkedDelay(input.delayMs ?? 0),
      perMinute: input.perMinute ?? preset.perMinute,
      perDay: input.perDay ?? preset.perDay,
      sentCopy: sentCopy.settings,
      sealedImapSecret: sentCopy.password ? ctx.keyring().seal(JSON.stringify({ password: sentCopy.password } satisfies AccountSecret)) : null,
      privateHostAllowed: isOperator(reach),
    },
    ctx.clock.now().toISOString(),
  );
  return { account, warnings };
}
