// Watching one inbox: connect, open the folder, read what is new, then wait in
// IDLE for the server to say more arrived (or for the poll timer, should the
// server not support IDLE or a notification go missing) and read again. A lost
// connection, a refused login or a folder that disappeared marks the inbox
// failing with the reason and is tried again after a delay that doubles up to
// inboxes.retryMaxMs; a folder that comes back with a new UIDVALIDITY is read
// again without storing anything twice.
//
// Every node runs a watcher for every inbox, but only the one holding the
// inbox's reader lease connects: it takes the lease before connecting, renews
// it every third of inboxes.leaseMs while connected, gives it up when it stops,
// and drops the connection as soon as a renewal fails. The others try to take
// the lease as often, so a dead node's inbox is read again within a lease.
import type { ImapFlow } from 'imapflow';
import { closeImap, imapErrorText, openImapConnection, type ImapLogin } from '../imap-client/index.ts';
import type { Logger } from '../log.ts';
import type { CheckedHost } from '../net/index.ts';
import type { Inbox, InboxStatus } from '../store/index.ts';
import { readFolder, type FolderReaderDeps } from './read-folder.ts';

export interface WatcherDeps extends FolderReaderDeps {
  /** The inbox's login, opened from its sealed secret. */
  login(inbox: Inbox): Promise<ImapLogin>;
  /** The inbox's server, checked (public unless allowed) and resolved before each connection. */
  server(inbox: Inbox): Promise<CheckedHost>;
  setStatus(id: number, status: InboxStatus, error: string | null): Promise<void>;
  /** Takes or renews this node's reader lease on the inbox; false: another node reads it. */
  claim(id: number): Promise<boolean>;
  /** Gives the lease up. */
  release(id: number): Promise<void>;
  leaseMs: number;
  pollMs: number;
  retryMaxMs: number;
  timeoutMs: number;
}

const RETRY_FIRST_MS = 1000;

export class InboxWatcher {
  readonly inboxId: number;
  private readonly deps: WatcherDeps;
  private readonly log: Logger;
  private client: ImapFlow | null = null;
  private stopped = false;
  /** Wakes the loop: new mail, the poll timer, a lost connection, or stop. */
  private nudge: (() => void) | null = null;
  private pending = false;
  /** The lease could not be renewed: this connection must end. */
  private lost = false;
  private running: Promise<void> | null = null;

  constructor(inboxId: number, deps: WatcherDeps) {
    this.inboxId = inboxId;
    this.deps = deps;
    this.log = deps.log.child({ inboxId });
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    const client = this.client;
    this.client = null;
    await closeImap(client);
    await this.running;
  }

  private wake(): void {
    this.pending = true;
    this.nudge?.();
  }

  private async loop(): Promise<void> {
    let retryMs = RETRY_FIRST_MS;
    while (!this.stopped) {
      const inbox = await this.deps.current(this.inboxId);
      if (!inbox) return; // removed
      if (!(await this.claim())) {
        // Another node reads it: look again within a third of its lease.
        await this.sleep(this.deps.leaseMs / 3);
        continue;
      }
      const renewal = setInterval(() => void this.renew(), this.deps.leaseMs / 3);
      this.lost = false;
      let failed = false;
      try {
        await this.watch(inbox, () => (retryMs = RETRY_FIRST_MS));
      } catch (err) {
        if (this.stopped) return;
        failed = !this.lost;
        if (failed) {
          const error = imapErrorText(err);
          await this.deps.setStatus(this.inboxId, 'failing', error);
          this.log.warn({ error, retryInMs: retryMs }, 'cannot read the inbox; trying again later (`mailroom inboxes test` says what to change)');
        }
      } finally {
        clearInterval(renewal);
        const client = this.client;
        this.client = null;
        await closeImap(client);
        await this.deps
          .release(this.inboxId)
          .catch((err: unknown) => this.log.warn({ err }, 'could not give up the inbox reader lease; it runs out by itself'));
      }
      if (this.stopped) return;
      if (!failed) continue;
      await this.sleep(retryMs);
      retryMs = Math.min(retryMs * 2, this.deps.retryMaxMs);
    }
  }

  /** Takes the lease; a database that does not answer means not now. */
  private async claim(): Promise<boolean> {
    try {
      return await this.deps.claim(this.inboxId);
    } catch (err) {
      this.log.warn({ err }, 'could not take the inbox reader lease; trying again');
      return false;
    }
  }

  /** Renews the lease while connected; when it is lost (or cannot be renewed), the connection ends before it runs out. */
  private async renew(): Promise<void> {
    if (this.stopped || this.lost) return;
    if (await this.claim()) return;
    this.lost = true;
    this.log.warn('the inbox reader lease was lost (another node reads the inbox now, or the database did not answer): disconnecting');
    const client = this.client;
    this.client = null;
    this.wake();
    await closeImap(client);
  }

  /** One connection's life: returns (or throws) when it ends. */
  private async watch(inbox: Inbox, connected: () => void): Promise<void> {
    const client = await openImapConnection(inbox, await this.deps.server(inbox), await this.deps.login(inbox), this.deps.timeoutMs, {
      autoIdleDelayMs: 200,
      maxIdleMs: Math.min(this.deps.pollMs, 4 * 60_000),
    });
    this.client = client;
    if (this.stopped || this.lost) return;
    let closed = false;
    client.on('exists', () => this.wake());
    client.on('close', () => {
      closed = true;
      this.wake();
    });
    const target = inbox.afterImport.startsWith('move:') ? inbox.afterImport.slice('move:'.length) : null;
    if (target) await client.mailboxCreate(target).catch(() => undefined); // exists already, most times
    await client.mailboxOpen(inbox.folder);
    await this.deps.setStatus(inbox.id, 'active', null);
    connected();
    this.pending = true;
    while (!this.stopped) {
      if (this.lost) throw new Error('the inbox reader lease was lost');
      if (this.pending) {
        this.pending = false;
        const result = await readFolder(client, this.inboxId, this.deps);
        if (result.stored > 0 || result.duplicates > 0) this.log.info(result, 'messages read from the inbox');
        if (!(await this.deps.current(this.inboxId))) return; // removed meanwhile
      }
      if (!this.pending && !closed) await this.sleep(this.deps.pollMs);
      if (closed && !this.stopped) throw new Error('the IMAP server closed the connection');
      this.pending = true; // woken by new mail, or the poll's turn
    }
  }

  /** Waits `ms`, or less when woken. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.nudge = () => {
        this.nudge = null;
        done();
      };
    });
  }
}
