// IMAP as a client (imapflow): opening a connection with a password or an
// OAuth2 grant, and the wording of its failures. The relay files Sent copies
// with it (relay/sent-copy.ts), the inbox intake reads mailboxes (inbox/).
export {
  openImapConnection,
  imapErrorText,
  closeImap,
  type ImapLogin,
  type ImapServer,
  type ImapSecurity,
  type OAuth2Grant,
  type WatchOptions,
} from './client.ts';
