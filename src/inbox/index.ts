// Inbox intake: company mailboxes read over IMAP, a second way in beside the MX
// for companies that cannot forward their inbox to mailroom. Each inbox is
// watched (IDLE, with a poll), what is new is stored exactly once with its UID
// (read-folder.ts), and the pipeline takes it from there like SMTP mail, with
// the receiving provider's Authentication-Results as its verdicts.
export { InboxIntake, inboxLogin, type InboxSecret } from './intake.ts';
export { InboxWatcher } from './watcher.ts';
export { readFolder, type PassResult } from './read-folder.ts';
export { probeInbox, type InboxStage, type InboxTestResult } from './probe.ts';
