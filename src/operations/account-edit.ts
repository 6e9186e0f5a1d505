// Editing a sending account (console, API): where and as whom it connects,
// the private CA it trusts, what its mail says it is from, the delay between
// emails. The stored credential belongs to the server it was typed for: any
// change of server, port, security or user name, or a new private CA (which
// decides what server passes for that one), needs it again (a new password; an
// OAuth2 account signs in with its provider again), so an edit can never send
// the stored one somewhere else. A changed server is checked
// like a new one (mail-servers.ts). Changed settings are untested, so the
// account goes back to Pending (announced like any change of status).
import { InvalidError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { Account } from '../store/index.ts';
import { changeAccountStatus } from '../webhooks/announce.ts';
import { checkedDelay, checkedFrom, checkedPort, checkedReplyLocal, checkedSecurity } from './account-fields.ts';
import { checkedServerHost, checkedTlsCa, isOperator } from './mail-servers.ts';
import { accountWithin, type Reach } from './reach.ts';

export interface AccountEdit {
  host: string;
  port: number;
  security: string;
  username: string;
  /** Empty or absent: the stored password stays (allowed only while server, port, security and user name stay). */
  password?: string | undefined;
  /** PEM of a private CA to trust; empty or null: the public CAs; absent: unchanged. */
  tlsCa?: string | null | undefined;
  from: string;
  fromName: string | null;
  replyTo: string;
  delayMs: number;
}

/** A PEM as compared: line ends and surrounding space as a form or a file may give them. */
const pemText = (pem: string | null): string => (pem ?? '').replace(/\r\n?/g, '\n').trim();

/** The credential again, or a refusal naming it, when where or as whom the account connects changes. */
function requireCredential(account: Account, edit: AccountEdit, changed: string[]): void {
  if (edit.password && account.authMethod !== 'password')
    throw new InvalidError('this account signs in with OAuth2: sign in with the provider again instead', 'password');
  if (changed.length === 0 || edit.password) return;
  if (account.authMethod === 'oauth2')
    throw new InvalidError(
      `changing the ${changed.join(', ')} of an account that signs in with OAuth2 needs a new sign-in with the provider: add the account again with "Sign in with ${account.provider === 'gmail' ? 'Google' : 'Microsoft'}"`,
      'password',
    );
  throw new InvalidError(
    `changing the ${changed.join(', ')} needs the password again: the stored one is only ever sent to the server it was typed for`,
    'password',
  );
}

export async function editAccount(ctx: Context, reach: Reach, id: number, edit: AccountEdit): Promise<Account> {
  const account = await accountWithin(ctx, reach, id);
  if (!edit.host.trim()) throw new InvalidError('the server is required', 'host');
  if (!edit.username.trim()) throw new InvalidError('the username is required', 'username');
  // Plain text stays allowed only where it already was (the CLI's --allow-plain).
  const security = checkedSecurity(edit.security, account.security === 'none');
  const port = checkedPort(edit.port);
  const from = checkedFrom(edit.from);
  const tlsCa = edit.tlsCa === undefined ? account.tlsCa : checkedTlsCa(edit.tlsCa);
  const username = edit.username.trim();
  const hostGiven = edit.host.trim().toLowerCase().replace(/\.$/, '');
  const moved = hostGiven !== account.host.toLowerCase() || port !== account.port;
  const changed = [
    ...(hostGiven !== account.host.toLowerCase() ? ['server'] : []),
    ...(port !== account.port ? ['port'] : []),
    ...(security !== account.security ? ['security'] : []),
    ...(username !== account.username ? ['user name'] : []),
    // A CA of the editor's choosing would pass a server of theirs as this one; going back to the public CAs would not.
    ...(tlsCa !== null && pemText(tlsCa) !== pemText(account.tlsCa) ? ['trusted CA'] : []),
  ];
  requireCredential(account, edit, changed);
  // Checked when it moves; the operator's permission for a private server stays only while it does not (or when the operator moves it).
  const host = moved ? await checkedServerHost(ctx, reach, edit.host, 'the SMTP server', 'host') : account.host;
  const privateHostAllowed = isOperator(reach) || (!moved && account.privateHostAllowed);
  let sealedSecret: string | null = null;
  if (edit.password) {
    const secret = await ctx.accounts.openSecret(account.id, ctx.keyring());
    sealedSecret = ctx.keyring().seal(JSON.stringify({ ...secret, password: edit.password }));
  }
  const fromDomain = from.slice(from.indexOf('@') + 1);
  const at = ctx.clock.now().toISOString();
  await ctx.transaction(async (tx) => {
    await tx.accounts.updateSettings(account.id, {
      host,
      port,
      security,
      tlsCa,
      username,
      sealedSecret,
      fromAddress: from,
      fromName: edit.fromName,
      // A new sender domain signs and aligns as that domain; the same domain keeps what was set (a sending subdomain).
      sendingDomain: fromDomain === account.fromAddress.slice(account.fromAddress.indexOf('@') + 1) ? account.sendingDomain : fromDomain,
      replyLocal: checkedReplyLocal(edit.replyTo),
      delayMs: checkedDelay(edit.delayMs),
      privateHostAllowed,
    });
    await changeAccountStatus(tx, account.id, 'pending', null, at);
  });
  return (await ctx.accounts.get(account.id)) as Account;
}
