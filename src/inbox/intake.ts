// Inbox intake in the server: one watcher per inbox, started at start and when
// an inbox is added (by the API at once, by the CLI within inboxes.refreshMs),
// stopped when it is removed. What they read goes through the store thread like
// SMTP intake, so the pipeline hears of it the same way. Every node watches
// every inbox, and the inbox's reader lease (named by this node's id) lets one
// of them read it at a time.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ImportBatch, ImportOutcome } from '../commit/index.ts';
import type { ImapLogin } from '../imap-client/index.ts';
import { checkedMailServer, type CheckedHost } from '../net/index.ts';
import type { Context } from '../context.ts';
import type { Inbox } from '../store/index.ts';
import { InboxWatcher } from './watcher.ts';

/** What an inbox's sealed secret holds: a password, or an OAuth2 grant. */
export type InboxSecret = { password: string } | { oauth2: { clientId: string; clientSecret: string; refreshToken: string; tokenUrl: string } };

export async function inboxLogin(ctx: Pick<Context, 'inboxes' | 'keyring'>, inbox: Inbox): Promise<ImapLogin> {
  const sealed = await ctx.inboxes.sealedSecret(inbox.id);
  if (!sealed) throw new Error('the inbox has no stored login');
  const secret = JSON.parse(ctx.keyring().open(sealed)) as InboxSecret;
  return 'password' in secret ? { user: inbox.username, password: secret.password } : { user: inbox.username, oauth2: secret.oauth2 };
}

/** The inbox's IMAP server, checked (public unless the operator allowed it) and resolved, to connect to just after. */
export async function inboxServer(ctx: Pick<Context, 'resolver' | 'config'>, inbox: Inbox): Promise<CheckedHost> {
  return await checkedMailServer({ resolver: ctx.resolver, allowPrivateNetworks: ctx.config.relay.allowPrivateNetworks }, inbox, inbox.host, 'the IMAP server');
}

/** Where and as whom an inbox connects, and what it reads. */
const settingsKey = (i: Inbox): string => JSON.stringify([i.host, i.port, i.security, i.username, i.folder, i.afterImport, i.privateHostAllowed]);

export interface InboxIntakeOptions {
  store(batch: ImportBatch): Promise<ImportOutcome>;
  /** Told after messages were stored (the pipeline's start on demand). */
  stored(): void;
}

export class InboxIntake {
  private readonly ctx: Context;
  private readonly options: InboxIntakeOptions;
  private readonly watchers = new Map<number, InboxWatcher>();
  /** The settings each watcher was started with: an edited inbox gets a new watcher (and connection). */
  private readonly started = new Map<number, string>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** This node, as it names itself in the inboxes it reads (host and process, for the operator; unique per start). */
  readonly node = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(ctx: Context, options: InboxIntakeOptions) {
    this.ctx = ctx;
    this.options = options;
  }

  start(): void {
    const refresh = (): void => {
      this.refresh().catch((err: unknown) => this.ctx.log.error({ err }, 'could not read the list of inboxes; trying again at the next refresh'));
    };
    refresh();
    this.timer = setInterval(refresh, this.ctx.config.inboxes.refreshMs);
    this.timer.unref();
  }

  /** Watches every inbox in the database and no other. */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    const inboxes = await this.ctx.inboxes.list();
    if (this.stopped) return;
    const keys = new Map(inboxes.map((i) => [i.id, settingsKey(i)]));
    for (const [id, watcher] of this.watchers) {
      if (keys.get(id) === this.started.get(id)) continue;
      this.watchers.delete(id);
      this.started.delete(id);
      void watcher.stop();
    }
    for (const inbox of inboxes) {
      if (this.watchers.has(inbox.id)) continue;
      const watcher = this.watcherFor(inbox.id);
      this.watchers.set(inbox.id, watcher);
      this.started.set(inbox.id, settingsKey(inbox));
      watcher.start();
    }
  }

  get watching(): number {
    return this.watchers.size;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const watchers = [...this.watchers.values()];
    this.watchers.clear();
    this.started.clear();
    await Promise.all(watchers.map((w) => w.stop()));
  }

  private watcherFor(id: number): InboxWatcher {
    const { ctx, options } = this;
    const settings = ctx.config.inboxes;
    return new InboxWatcher(id, {
      store: async (batch) => {
        const outcome = await options.store(batch);
        if (!outcome.stale && outcome.stored > 0) options.stored();
        return outcome;
      },
      current: (inboxId) => ctx.inboxes.get(inboxId),
      startFolder: (inboxId, uidValidity, rereadBelow) => ctx.inboxes.startFolder(inboxId, uidValidity, rereadBelow),
      node: this.node,
      claim: (inboxId) => ctx.inboxes.claimReader(inboxId, this.node, ctx.clock.now().getTime(), settings.leaseMs),
      release: (inboxId) => ctx.inboxes.releaseReader(inboxId, this.node),
      leaseMs: settings.leaseMs,
      setStatus: (inboxId, status, error) => ctx.inboxes.setStatus(inboxId, status, error),
      login: (inbox) => inboxLogin(ctx, inbox),
      server: (inbox) => inboxServer(ctx, inbox),
      nowMs: () => ctx.clock.now().getTime(),
      log: ctx.log.child({ subsystem: 'inboxes' }),
      batchMessages: settings.batchMessages,
      maxMessageBytes: ctx.config.smtp.maxMessageBytes,
      pollMs: settings.pollMs,
      retryMaxMs: settings.retryMaxMs,
      timeoutMs: ctx.config.relay.connectionTimeoutMs,
    });
  }
}
