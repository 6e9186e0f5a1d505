// Changes the platform hears about: the change and its event (rendered as the
// public JSON of views/) are written in one transaction, so a webhook never
// announces a change that was rolled back, and no change goes unannounced.
import type { Account, AccountStatus, EventType, Repositories, StoredMessage } from '../store/index.ts';
import { accountJson, messageJson } from '../views/json.ts';

/** Records `type` for a message as it now stands (read after the change); call it inside the transaction that changed it. */
export async function announceMessage(tx: Repositories, tenantId: number, type: EventType, message: StoredMessage, at: string): Promise<void> {
  await tx.events.record(tenantId, type, message.id, messagePayload(message), new Date(at));
}

/** Records a test or send outcome on an account; a change of status is announced (account.status_changed). */
export function changeAccountStatus(repositories: Repositories, accountId: number, status: AccountStatus, error: string | null, at: string): Promise<void> {
  return repositories.transaction(async (tx) => {
    const before = await tx.accounts.get(accountId);
    await tx.accounts.setStatus(accountId, status, error, at);
    const after = await tx.accounts.get(accountId);
    const event = statusEvent(before, after);
    if (event) await tx.events.record(event.tenantId, 'account.status_changed', event.subject, event.payload, new Date(at));
  });
}

/** Records a connection test's verdict on the account: active, or failing with the stage and the error. */
export function recordAccountTest(
  repositories: Repositories,
  accountId: number,
  result: { ok: boolean; stage: string; error: string | null },
  at: string,
): Promise<void> {
  return changeAccountStatus(repositories, accountId, result.ok ? 'active' : 'failing', result.ok ? null : `${result.stage}: ${result.error}`, at);
}

function messagePayload(message: StoredMessage): Record<string, unknown> {
  return { message: messageJson(message) };
}

function statusEvent(before: Account | null, after: Account | null): { tenantId: number; subject: string; payload: Record<string, unknown> } | null {
  if (!before || !after || before.status === after.status) return null;
  return { tenantId: after.tenantId, subject: `account:${after.id}`, payload: { account: accountJson(after), previousStatus: before.status } };
}
