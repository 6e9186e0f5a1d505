// Editing a sending account from the console: where and as whom it connects,
// what its mail says it is from, the delay between emails. A new password is
// sealed like the first; an empty one keeps it. Changed settings are untested,
// so the account goes back to Pending (announced like any change of status).
import { InvalidError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { Account } from '../store/index.ts';
import { changeAccountStatus } from '../webhooks/announce.ts';
import { checkedDelay, checkedFrom, checkedPort, checkedReplyLocal, checkedSecurity } from './account-fields.ts';
import { accountWithin, type Reach } from './reach.ts';

export interface AccountEdit {
  host: string;
  port: number;
  security: string;
  username: string;
  /** Empty or absent: the stored password stays. */
  password?: string | undefined;
  from: string;
  fromName: string | null;
  replyTo: string;
  delayMs: number;
}

export async function editAccount(ctx: Context, reach: Reach, id: number, edit: AccountEdit): Promise<Account> {
  const account = await accountWithin(ctx, reach, id);
  if (!edit.host.trim()) throw new InvalidError('the server is required', 'host');
  if (!edit.username.trim()) throw new InvalidError('the username is required', 'username');
  // Plain text stays allowed only where it already was (the CLI's --allow-plain).
  const security = checkedSecurity(edit.security, account.security === 'none');
  const from = checkedFrom(edit.from);
  let sealedSecret: string | null = null;
  if (edit.password) {
    if (account.authMethod !== 'password') throw new InvalidError('this account signs in with OAuth2: sign in with the provider again instead', 'password');
    const secret = await ctx.accounts.openSecret(account.id, ctx.keyring());
    sealedSecret = ctx.keyring().seal(JSON.stringify({ ...secret, password: edit.password }));
  }
  const fromDomain = from.slice(from.indexOf('@') + 1);
  const at = ctx.clock.now().toISOString();
  await ctx.transaction(async (tx) => {
    await tx.accounts.updateSettings(account.id, {
      host: edit.host.trim(),
      port: checkedPort(edit.port),
      security,
      username: edit.username.trim(),
      sealedSecret,
      fromAddress: from,
      fromName: edit.fromName,
      // A new sender domain signs and aligns as that domain; the same domain keeps what was set (a sending subdomain).
      sendingDomain: fromDomain === account.fromAddress.slice(account.fromAddress.indexOf('@') + 1) ? account.sendingDomain : fromDomain,
      replyLocal: checkedReplyLocal(edit.replyTo),
      delayMs: checkedDelay(edit.delayMs),
    });
    await changeAccountStatus(tx, account.id, 'pending', null, at);
  });
  return (await ctx.accounts.get(account.id)) as Account;
}
