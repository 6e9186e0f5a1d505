// Whether an inbox can be read: connect, log in, open the folder (STATUS), with
// advice for the usual failures: IMAP turned off for the mailbox, an app
// password needed, a shared mailbox reached only through a delegate. Used by
// `inboxes test` and `tenants check`.
import { closeImap, imapErrorText, openImapConnection } from '../imap/index.ts';
import type { Context } from '../runtime/context.ts';
import type { Inbox } from '../store/index.ts';
import { inboxLogin, inboxServer } from './intake.ts';

export type InboxStage = 'login' | 'folder';

export interface InboxTestResult {
  ok: boolean;
  /** The stage that failed, or the last one passed. */
  stage: InboxStage;
  error: string | null;
  advice: string | null;
  /** Messages in the folder, and whether the server can tell us of new ones at once (IDLE). */
  messages: number | null;
  idle: boolean | null;
}

function loginAdvice(err: unknown, inbox: Inbox): string {
  const e = (err ?? {}) as { authenticationFailed?: boolean; message?: string };
  if (e.authenticationFailed || /OAuth2 token endpoint/.test(e.message ?? '')) {
    return (
      'check the user name and password. Gmail and Microsoft 365 take an app password (or OAuth2) when the account has two-step verification, ' +
      'and IMAP must be turned on for the mailbox (Gmail: Settings, Forwarding and POP/IMAP; Microsoft 365: the mailbox\'s "IMAP" app in the admin center). ' +
      `A shared mailbox has no password of its own: log in as a delegate (Microsoft 365: user "delegate@${inbox.address.split('@')[1]}\\${inbox.address}")`
    );
  }
  return `nothing usable answers at ${inbox.host}:${inbox.port}: check the IMAP server name and port (993 with TLS, 143 with STARTTLS) and that it accepts connections from this server`;
}

export async function probeInbox(ctx: Pick<Context, 'inboxes' | 'keyring' | 'config' | 'resolver'>, inbox: Inbox): Promise<InboxTestResult> {
  const failed = (stage: InboxStage, error: string, advice: string): InboxTestResult => ({ ok: false, stage, error, advice, messages: null, idle: null });
  let client: Awaited<ReturnType<typeof openImapConnection>> | null = null;
  try {
    try {
      client = await openImapConnection(inbox, await inboxServer(ctx, inbox), await inboxLogin(ctx, inbox), ctx.config.relay.connectionTimeoutMs);
    } catch (err) {
      return failed('login', imapErrorText(err), loginAdvice(err, inbox));
    }
    try {
      const status = await client.status(inbox.folder, { messages: true });
      if (!status) throw new Error(`the server gave no STATUS for "${inbox.folder}"`);
      return { ok: true, stage: 'folder', error: null, advice: null, messages: status.messages ?? 0, idle: client.capabilities.has('IDLE') };
    } catch (err) {
      const folders = (await client.list().catch(() => [])).map((f) => f.path);
      return failed(
        'folder',
        imapErrorText(err),
        `the mailbox has no folder "${inbox.folder}" that this login may read (folders: ${folders.join(', ') || 'none'}); ` +
          'a shared mailbox needs the delegate to have full access to it',
      );
    }
  } finally {
    await closeImap(client);
  }
}
