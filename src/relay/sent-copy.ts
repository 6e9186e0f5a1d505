// Filing a copy of each sent message in the account's Sent folder over IMAP
// (APPEND, flagged \Seen), for servers that do not do it themselves. The bytes
// are the ones sent; a copy is retried on its own schedule and never sends the
// mail again; a failure shows on the outbound message and on the account.
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../log.ts';
import type { Keyring } from '../secrets/keyring.ts';
import type { Account, DueSentCopy, Repositories } from '../store/index.ts';
import { closeImap, imapErrorText, type ImapLogin } from '../imap-client/index.ts';
import type { MailServerGuard } from '../net/index.ts';
import { findSentFolder, imapLogin, openImap } from './account-imap.ts';

/** Attempts before a copy is given up (about two days with the doubling below). */
const MAX_ATTEMPTS = 10;
const RETRY_BASE_MS = 60_000;
const RETRY_MAX_MS = 6 * 3_600_000;
const LEASE_MS = 5 * 60_000;
const TIMEOUT_MS = 15_000;

export interface SentCopierDeps {
  repositories: Repositories;
  keyring: () => Keyring;
  log: Logger;
  nowMs: () => number;
  /** The IMAP server is checked before each connection, as the SMTP one is. */
  guard: MailServerGuard;
}

export class SentCopier {
  private readonly deps: SentCopierDeps;
  private stopped = false;

  constructor(deps: SentCopierDeps) {
    this.deps = deps;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Files every copy that is due, one IMAP connection per account; returns how many were tried. */
  async runOnce(): Promise<number> {
    const due = await this.deps.repositories.sentCopies.claimDue(this.deps.nowMs(), LEASE_MS, 50);
    const byAccount = new Map<number, DueSentCopy[]>();
    for (const copy of due) byAccount.set(copy.accountId, [...(byAccount.get(copy.accountId) ?? []), copy]);
    await Promise.all([...byAccount].map(([accountId, copies]) => this.copyForAccount(accountId, copies)));
    return due.length;
  }

  private async copyForAccount(accountId: number, copies: DueSentCopy[]): Promise<void> {
    const { accounts, sentCopies } = this.deps.repositories;
    const account = await accounts.get(accountId);
    if (!account || account.sentCopy.mode !== 'imap') {
      for (const copy of copies) await sentCopies.markAttemptFailed(copy.outboundId, 'the account no longer files sent copies over IMAP', null);
      return;
    }
    let client: ImapFlow | null = null;
    /** How many of `copies` are filed; the rest are what a failure leaves pending. */
    let filed = 0;
    try {
      client = await openImap(account, this.deps.guard, await this.loginOf(account), TIMEOUT_MS);
      const folder = await findSentFolder(client, account.sentCopy.folder);
      for (const copy of copies) {
        if (this.stopped) break;
        await client.append(folder, copy.raw, ['\\Seen']);
        await sentCopies.markCopied(copy.outboundId, folder, new Date(this.deps.nowMs()).toISOString());
        filed++;
      }
      if (account.sentCopy.lastError) await accounts.setSentCopyError(account.id, null);
    } catch (err) {
      const error = imapErrorText(err);
      const pending = copies.slice(filed);
      for (const copy of pending) await sentCopies.markAttemptFailed(copy.outboundId, error, this.nextAttemptAt(copy.attempts + 1));
      await accounts.setSentCopyError(account.id, error);
      this.deps.log.warn(
        { accountId: account.id, copies: pending.length, error },
        "could not file sent copies in the account's Sent folder; retrying later (check the IMAP settings with `npx mailroom accounts test`)",
      );
    } finally {
      await closeImap(client);
    }
  }

  private async loginOf(account: Account): Promise<ImapLogin> {
    const { accounts } = this.deps.repositories;
    const keyring = this.deps.keyring();
    return imapLogin(account, await accounts.openSecret(account.id, keyring), await accounts.openImapSecret(account.id, keyring));
  }

  /** When the copy is tried again after `failedAttempts` failures, or null: given up. */
  private nextAttemptAt(failedAttempts: number): number | null {
    if (failedAttempts >= MAX_ATTEMPTS) return null;
    return this.deps.nowMs() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failedAttempts - 1));
  }
}
