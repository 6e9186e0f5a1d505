// Whether an inbox can be read: connect, log in, open the folder (STATUS), with
// advice for the usual failures: IMAP turned off for the mailbox, an app
// password needed, a shared mailbox reached only through a delegate. Then the
// most recent mail in the folder is looked at (read-only): a sender is proven
// only by the provider's own Authentication-Results at the top of the header,
// so a provider that does not stamp one is worth a warning. Used by
// `inboxes test` and `tenants check`.
import type { ImapFlow } from 'imapflow';
import { topmostResults } from '../auth/provider-results.ts';
import { closeImap, imapErrorText, openImapConnection } from '../imap-client/index.ts';
import { isPlainOnTls, plainOnTlsPort, readableError } from '../relay/advice.ts';
import type { Context } from '../context.ts';
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
  /** The most recent messages looked at, and how many carry the trusted provider's Authentication-Results on top. */
  recentChecked: number | null;
  recentStamped: number | null;
  /** What the recent mail says about the provider's Authentication-Results, when it is not as it should be. */
  warning: string | null;
}

/** How many of the newest messages `inboxes test` looks at. */
const RECENT = 20;

/** The topmost Authentication-Results' authserv-id of each of the newest messages (null: none). */
async function recentResultIds(client: ImapFlow, folder: string, messages: number): Promise<(string | null)[]> {
  if (messages === 0) return [];
  const lock = await client.getMailboxLock(folder, { readOnly: true });
  try {
    const ids: (string | null)[] = [];
    for await (const m of client.fetch(`${Math.max(1, messages - RECENT + 1)}:*`, { headers: true })) {
      ids.push(m.headers ? (topmostResults(m.headers)?.authservId ?? null) : null);
    }
    return ids;
  } finally {
    lock.release();
  }
}

/** A warning when the recent mail shows the provider's verdicts cannot be relied on (or which provider to name). */
function stampWarning(inbox: Inbox, ids: readonly (string | null)[]): string | null {
  if (ids.length === 0) return null;
  if (!inbox.authservId) {
    const found = [...new Set(ids.filter((id): id is string => id !== null))];
    return found.length > 0
      ? `no provider named whose Authentication-Results are believed; on top of the recent mail: ${found.join(', ')}. If that is the provider's own, add the inbox again with --trust-authserv-id ${found[0]}`
      : 'no provider named whose Authentication-Results are believed, and the recent mail carries none: senders read from this inbox are never proven';
  }
  const trusted = inbox.authservId.toLowerCase();
  const missing = ids.filter((id) => id !== trusted);
  if (missing.length === 0) return null;
  const instead = [...new Set(missing.map((id) => id ?? 'no Authentication-Results at all'))].join(', ');
  const which =
    missing.length < ids.length
      ? `${missing.length} of the ${ids.length} most recent messages lack`
      : ids.length === 1
        ? 'the most recent message lacks'
        : `the ${ids.length} most recent messages all lack`;
  return (
    `${which} Authentication-Results from ${inbox.authservId} at the top of the header (on top instead: ${instead}): ` +
    'the provider does not stamp its own, or its authserv-id is another; those messages are not filed by their sender address. ' +
    "Check the provider's authserv-id (the first word of its Authentication-Results) and turn its stamping on"
  );
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
  if (inbox.security === 'tls' && isPlainOnTls(imapErrorText(err))) return plainOnTlsPort(inbox.port);
  return `nothing usable answers at ${inbox.host}:${inbox.port}: check the IMAP server name and port (993 with TLS, 143 with STARTTLS) and that it accepts connections from this server`;
}

export async function probeInbox(ctx: Pick<Context, 'inboxes' | 'keyring' | 'config' | 'resolver'>, inbox: Inbox): Promise<InboxTestResult> {
  const failed = (stage: InboxStage, error: string, advice: string): InboxTestResult => ({
    ok: false,
    stage,
    error,
    advice,
    messages: null,
    idle: null,
    recentChecked: null,
    recentStamped: null,
    warning: null,
  });
  let client: Awaited<ReturnType<typeof openImapConnection>> | null = null;
  try {
    try {
      client = await openImapConnection(inbox, await inboxServer(ctx, inbox), await inboxLogin(ctx, inbox), ctx.config.relay.connectionTimeoutMs);
    } catch (err) {
      return failed('login', readableError(imapErrorText(err)), loginAdvice(err, inbox));
    }
    try {
      const status = await client.status(inbox.folder, { messages: true });
      if (!status) throw new Error(`the server gave no STATUS for "${inbox.folder}"`);
      const messages = status.messages ?? 0;
      const ids = await recentResultIds(client, inbox.folder, messages);
      return {
        ok: true,
        stage: 'folder',
        error: null,
        advice: null,
        messages,
        idle: client.capabilities.has('IDLE'),
        recentChecked: ids.length,
        recentStamped: inbox.authservId ? ids.filter((id) => id === inbox.authservId?.toLowerCase()).length : 0,
        warning: stampWarning(inbox, ids),
      };
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
