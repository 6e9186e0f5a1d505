// Editing an inbox read over IMAP (API): its server, login, folder and what is
// done after a message is read. As for accounts, the stored login belongs to
// the server it was typed for: a new server, port, security or user name needs
// the password (or OAuth2 grant) again, and a new server is checked like a new
// one. The watcher reconnects with the new settings (inbox/intake.ts).
import { InvalidError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { Inbox, InboxSecurity } from '../store/index.ts';
import { afterImportOf, credentialsOf, inboxWithin, INBOX_PROVIDERS, type InboxInput } from './inboxes.ts';
import { checkedServerHost, isOperator } from './mail-servers.ts';
import type { Reach } from './reach.ts';

/** What changes; anything absent stays as it is. */
export interface InboxEdit {
  host?: string | undefined;
  port?: number | undefined;
  security?: InboxSecurity | undefined;
  username?: string | undefined;
  credentials?: InboxInput['credentials'] | undefined;
  folder?: string | undefined;
  afterImport?: string | undefined;
  authservId?: string | null | undefined;
  /** IMAP without TLS (a server on a trusted network). */
  allowPlain?: boolean | undefined;
}

export async function editInbox(ctx: Context, reach: Reach, id: number, edit: InboxEdit): Promise<Inbox> {
  const inbox = await inboxWithin(ctx, reach, id);
  const port = edit.port ?? inbox.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidError('the IMAP port must be from 1 to 65535', 'imapPort');
  const security = edit.security ?? inbox.security;
  if (security !== 'tls' && security !== 'starttls' && security !== 'none')
    throw new InvalidError('IMAP security must be tls (implicit, port 993), starttls (143) or none', 'imapSecurity');
  if (security === 'none' && inbox.security !== 'none' && !edit.allowPlain)
    throw new InvalidError('IMAP without TLS sends the password in the clear; allow it explicitly if this server is on a trusted network', 'allowPlain');
  const username = edit.username?.trim() ?? inbox.username;
  if (!username) throw new InvalidError('the user name is empty', 'username');
  const hostGiven = edit.host?.trim().toLowerCase().replace(/\.$/, '') ?? inbox.host;
  if (!hostGiven) throw new InvalidError('an inbox needs its IMAP server', 'imapHost');
  const moved = hostGiven !== inbox.host.toLowerCase() || port !== inbox.port;
  const changed = [
    ...(hostGiven !== inbox.host.toLowerCase() ? ['server'] : []),
    ...(port !== inbox.port ? ['port'] : []),
    ...(security !== inbox.security ? ['security'] : []),
    ...(username !== inbox.username ? ['user name'] : []),
  ];
  if (changed.length > 0 && !edit.credentials)
    throw new InvalidError(
      `changing the ${changed.join(', ')} needs the password (or OAuth2 grant) again: the stored one is only ever sent to the server it was typed for`,
      'password',
    );
  const folder = edit.folder ?? inbox.folder;
  if (!folder.trim()) throw new InvalidError('the folder name is empty', 'folder');
  const afterImport = edit.afterImport === undefined ? inbox.afterImport : afterImportOf(edit.afterImport);
  if (afterImport === `move:${folder}`) throw new InvalidError('moving messages into the folder they are read from would read them again', 'afterImport');
  const presetTokenUrl = inbox.host === INBOX_PROVIDERS.gmail.host ? INBOX_PROVIDERS.gmail.tokenUrl : null;
  const sealedSecret = edit.credentials ? ctx.keyring().seal(JSON.stringify(credentialsOf(edit.credentials, presetTokenUrl))) : null;
  const host = moved ? await checkedServerHost(ctx, reach, hostGiven, 'the IMAP server', 'imapHost') : inbox.host;
  await ctx.inboxes.updateSettings(inbox.id, {
    host,
    port,
    security,
    username,
    sealedSecret,
    folder,
    afterImport,
    authservId: edit.authservId === undefined ? inbox.authservId : edit.authservId,
    privateHostAllowed: isOperator(reach) || (!moved && inbox.privateHostAllowed),
  });
  return (await ctx.inboxes.get(inbox.id)) as Inbox;
}
