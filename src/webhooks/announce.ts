// Changes the platform hears about: the change and its event (rendered as the
// public JSON of views/) are written in one transaction, so a webhook never
// announces a change that was rolled back, and no change goes unannounced.
import type { AccountStatus, EventType, Repositories, StoredMessage } from '../store/index.ts';
import { accountJson, messageJson } from '../views/json.ts';

/** Records `type` for a message as it now stands (read after the change); call it inside the transaction that changed it. */
export function announceMessage(tx: Repositories, tenantId: number, type: EventType, message: StoredMessage, at: string): void {
  tx.events.record(tenantId, type, message.id, { message: messageJson(message) }, new Date(at));
}

/** Records a test or send outcome on an account; a change of status is announced (account.status_changed). */
export function changeAccountStatus(repositories: Repositories, accountId: number, status: AccountStatus, error: string | null, at: string): void {
  repositories.transaction((tx) => {
    const before = tx.accounts.get(accountId);
    tx.accounts.setStatus(accountId, status, error, at);
    const after = tx.accounts.get(accountId);
    if (before && after && before.status !== after.status) {
      tx.events.record(
        after.tenantId,
        'account.status_changed',
        `account:${accountId}`,
        { account: accountJson(after), previousStatus: before.status },
        new Date(at),
      );
    }
  });
}
