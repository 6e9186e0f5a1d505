// The relay loop: takes due messages from the outbound queue, paces them per
// account (delay between emails, per-minute and per-day caps), sends each over a
// pooled connection to the account's server, and records what the server said:
// sent, deferred (a temporary failure: retried with backoff until relay.maxAgeMs),
// or failed (a permanent one), as failure.ts types it. A refused login, a server
// name that does not exist or credentials we cannot read are the account's
// problem, not the message's: the message waits and the account is marked failing.
import type { DnsResolver } from '../dns/index.ts';
import { DomainError } from '../errors.ts';
import { checkedMailServer, type MailServerGuard } from '../net/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { SecretError, unreadableCredentials, type Keyring } from '../secrets/keyring.ts';
import type { Account, AccountSecret, AccountStore, OutboundMessage, OutboundStore, Repositories } from '../store/index.ts';
import { openAccountSecret } from '../store/accounts.ts';
import { WakeLoop } from '../runtime/wake-loop.ts';
import { changeAccountStatus } from '../webhooks/announce.ts';
import { outboundJson } from '../views/json.ts';
import { mailOf } from './mail.ts';
import { readableError } from './advice.ts';
import { blamesAccount, failureOf, localFailure, refusalOf, type OutboundFailure } from './failure.ts';
import { nodemailer, type Transporter } from './nodemailer.ts';
import { dkimOptions, renderMessage } from './render.ts';
import { SentCopier } from './sent-copy.ts';
import { transportOptions } from './transport.ts';

export type SendResult =
  | {
      outcome: 'sent';
      /** The server's reply, as stored and shown. */
      reply: string;
      /** The exact bytes sent: what a copy in the Sent folder files. */
      raw?: Buffer;
    }
  | {
      outcome: 'deferred' | 'failed';
      /** The server's reply (or the network error) in words, as stored and shown. */
      reply: string;
      failure: OutboundFailure;
    };

/** The outcome a failure gives the message: the account's fault holds it, a permanent failure ends it, a temporary one defers it. */
export function outcomeOf(failure: OutboundFailure, reply: string): SendResult {
  return { outcome: failure.permanent && !blamesAccount(failure) ? 'failed' : 'deferred', reply, failure };
}

/** What a send error means for the message: typed once (failure.ts), with its words. */
export function classifySendError(err: unknown): SendResult {
  const failure = failureOf(err);
  const e = (err ?? {}) as { code?: string; message?: string };
  return outcomeOf(failure, failure.line ?? readableError(`${e.code ?? 'error'}: ${e.message ?? String(err)}`));
}

export interface RelayDeps {
  /** Repositories over the relay's own connection (its thread's, or the caller's for a test email). */
  repositories: Repositories;
  keyring: () => Keyring;
  settings: Config['relay'];
  /** Our host name, for EHLO. */
  hostname: string;
  log: Logger;
  nowMs: () => number;
  /** Resolves the accounts' servers, checked before each connection (public only unless allowed). */
  resolver: DnsResolver;
  /** How long a claimed message is this relay's before another (a node's that lives) may take it over: worker.leaseMs. */
  leaseMs?: number;
}

/** How long a claimed message is ours before another claim may take it over (a crash mid-send), unless told otherwise. */
const LEASE_MS = 5 * 60_000;
/** A slot at most this far off is waited for; a later one gives the message back to the queue until then. */
const SLOT_HORIZON_MS = 10_000;

export class Relay {
  private readonly deps: RelayDeps;
  private readonly outbound: OutboundStore;
  private readonly accounts: AccountStore;
  private readonly transports = new Map<number, { key: string; transport: Transporter; secret: AccountSecret }>();
  private readonly copier: SentCopier;
  private readonly guard: MailServerGuard;
  /** The pass filing Sent copies, when one runs: beside the sends, never awaited by them. */
  private copying: Promise<void> | null = null;
  private readonly loop: WakeLoop;
  private stopped = false;

  constructor(deps: RelayDeps) {
    this.deps = deps;
    this.outbound = deps.repositories.outbound;
    this.accounts = deps.repositories.accounts;
    this.guard = { resolver: deps.resolver, allowPrivateNetworks: deps.settings.allowPrivateNetworks };
    this.copier = new SentCopier({ repositories: deps.repositories, keyring: deps.keyring, log: deps.log, nowMs: deps.nowMs, guard: this.guard });
    this.loop = new WakeLoop({
      pass: () => this.runOnce(),
      nextDueAt: async () => {
        const dues = [await this.outbound.nextDueAt(), await this.deps.repositories.sentCopies.nextDueAt()].filter((d): d is number => d !== null);
        return dues.length > 0 ? Math.min(...dues) : null;
      },
      pollMs: deps.settings.pollIntervalMs,
      nowMs: deps.nowMs,
      onError: (err, during) =>
        this.deps.log.error(
          { err },
          during === 'pass' ? 'relay pass failed; retrying at the next poll' : 'could not read when the next message is due; looking again at the next poll',
        ),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** A pass is sending now. */
  get busy(): boolean {
    return this.loop.busy;
  }

  /** New work was queued: look now instead of at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.copier.stop();
    await this.loop.stop();
    await this.copying;
    for (const { transport } of this.transports.values()) transport.close();
    this.transports.clear();
  }

  /**
   * A lease outlasts any send that is still alive (waiting for its slot, then
   * the connection, greeting and data timeouts), so only a dead relay's
   * messages are taken over, and each at most once more, with the same Message-ID.
   */
  private leaseMs(): number {
    return Math.max(this.deps.leaseMs ?? LEASE_MS, SLOT_HORIZON_MS + 4 * this.deps.settings.connectionTimeoutMs);
  }

  /** One pass: claim what is due, send it account by account (accounts in parallel). */
  async runOnce(): Promise<number> {
    const claimed = await this.outbound.claimDue(this.deps.nowMs(), this.leaseMs(), 32);
    const byAccount = new Map<number, OutboundMessage[]>();
    for (const message of claimed) byAccount.set(message.accountId, [...(byAccount.get(message.accountId) ?? []), message]);
    const copying = await this.startCopies();
    await Promise.all([...byAccount].map(([accountId, messages]) => this.sendForAccount(accountId, messages)));
    return claimed.length + (copying ? 1 : 0);
  }

  /**
   * Files due Sent copies in a pass of their own (one at a time): an IMAP login
   * and its appends take longer than a pass of sends, which must not wait for
   * them. When the pass ends with more due, the relay looks again at once.
   */
  private async startCopies(): Promise<boolean> {
    if (this.stopped) return false;
    if (this.copying) return true;
    const due = await this.deps.repositories.sentCopies.nextDueAt();
    if (due === null || due > this.deps.nowMs()) return false;
    this.copying = this.copier
      .runOnce()
      .then((tried) => {
        if (tried > 0) this.wake();
      })
      .catch((err: unknown) => this.deps.log.error({ err }, 'filing sent copies failed; retrying at the next pass'))
      .finally(() => (this.copying = null));
    return true;
  }

  private async sendForAccount(accountId: number, messages: OutboundMessage[]): Promise<void> {
    const account = await this.accounts.get(accountId);
    if (!account) {
      for (const m of messages) await this.outbound.markFailed(m.id, 'the sending account was removed', localFailure(true));
      return;
    }
    for (const message of messages) {
      if (this.stopped) return await this.outbound.release(message.id, this.deps.nowMs());
      // Booked in the database when due: the delay and the caps hold across every node's relay.
      const slot = await this.bookedSlot(account, message.id);
      // Far off (caps reached): give the lease back and come back then.
      if (slot !== null) {
        await this.outbound.release(message.id, slot);
        continue;
      }
      const result = await this.send(account, message);
      await this.record(account, message, result);
      // The delay is a pause between two emails: counted from when this one was done.
      if (account.delayMs > 0) await this.accounts.holdUntil(account.id, this.deps.nowMs() + account.delayMs);
    }
  }

  /** Waits for the account's next slot and books it (null), or the slot when it is further off than the horizon. */
  private async bookedSlot(account: Account, outboundId: string): Promise<number | null> {
    for (;;) {
      const now = this.deps.nowMs();
      const slot = await this.accounts.reserveSlot(account, outboundId, now);
      if (slot <= now) return null;
      if (slot - now > SLOT_HORIZON_MS || this.stopped) return slot;
      await sleep(slot - now);
    }
  }

  private async transportFor(account: Account): Promise<{ transport: Transporter; secret: AccountSecret }> {
    const sealed = (await this.accounts.sealedSecret(account.id)) ?? '';
    // Checked before every send (DNS answers are cached): a name that now resolves to a private address is refused, and the pool
    // connects to the address checked, never to another DNS answer.
    const pin = await checkedMailServer(this.guard, account, account.host, 'the SMTP server');
    // A changed account (new password, host, address) gets a new pool.
    const key = [account.host, pin.address, account.port, account.security, account.username, account.tlsCa, sealed].join('|');
    const cached = this.transports.get(account.id);
    if (cached?.key === key) return cached;
    cached?.transport.close();
    // Opened from the value just read for the key, not read again.
    const secret = openAccountSecret(this.deps.keyring(), sealed);
    const transport = nodemailer.createTransport(
      transportOptions(account, secret, { connectionTimeoutMs: this.deps.settings.connectionTimeoutMs, pool: true, name: this.deps.hostname }, pin),
    );
    const entry = { key, transport, secret };
    this.transports.set(account.id, entry);
    return entry;
  }

  async send(account: Account, message: OutboundMessage): Promise<SendResult> {
    let transport: Transporter;
    let secret: AccountSecret;
    try {
      ({ transport, secret } = await this.transportFor(account));
    } catch (err) {
      // The password cannot be read (its key is gone, or the row was altered): like
      // a refused login, the account is failing and its messages wait for a fix.
      if (err instanceof SecretError) return outcomeOf(localFailure(true), unreadableCredentials(err));
      // A server outside the allowed networks, or a name that does not exist: the account's problem, the message waits.
      // A resolver that did not answer (SERVFAIL, a timeout) may answer next time: the message is only deferred.
      if (err instanceof DomainError) return outcomeOf(refusalOf(err), err.message);
      throw err;
    }
    try {
      // For a Sent copy, the bytes are rendered (and signed) here and sent as they are, so the copy is exactly what was sent;
      // otherwise nodemailer streams the message straight to the socket, a few percent faster (bench:relay).
      if (account.sentCopy.mode === 'imap') {
        const raw = await renderMessage(account, secret, message);
        const info = (await transport.sendMail({ envelope: { from: account.fromAddress, to: [message.recipient] }, raw })) as { response?: string };
        return { outcome: 'sent', reply: info.response ?? '250 accepted', raw };
      }
      const dkim = dkimOptions(account, secret);
      const info = (await transport.sendMail({ ...mailOf(account, message), ...(dkim ? { dkim } : {}) })) as { response?: string };
      return { outcome: 'sent', reply: info.response ?? '250 accepted' };
    } catch (err) {
      return classifySendError(err);
    }
  }

  /** Sends one message the caller has claimed and records the outcome. */
  async sendClaimed(account: Account, message: OutboundMessage): Promise<SendResult> {
    const result = await this.send(account, message);
    await this.record(account, { ...message, attempts: message.attempts + 1 }, result);
    return result;
  }

  private async record(account: Account, message: OutboundMessage, result: SendResult): Promise<void> {
    // The outcome and its event in one transaction: the event never claims what the queue does not show.
    await this.deps.repositories.transaction((tx) => this.recordOutcome(tx, account, message, result));
  }

  private async announce(tx: Repositories, message: OutboundMessage, type: 'outbound.sent' | 'outbound.deferred' | 'outbound.failed', at: Date): Promise<void> {
    const current = await tx.outbound.get(message.id);
    if (current) await tx.events.record(message.tenantId, type, message.id, { outbound: outboundJson(current) }, at);
  }

  private async recordOutcome(tx: Repositories, account: Account, message: OutboundMessage, result: SendResult): Promise<void> {
    const nowMs = this.deps.nowMs();
    const at = new Date(nowMs).toISOString();
    const log = this.deps.log.child({ outboundId: message.id, accountId: account.id });
    if (result.outcome === 'sent') {
      await tx.outbound.markSent(message.id, result.reply, at);
      if (account.sentCopy.mode === 'imap' && result.raw) await tx.sentCopies.queue(message.id, account.id, result.raw, nowMs);
      await this.announce(tx, message, 'outbound.sent', new Date(nowMs));
      if (account.status === 'failing') await changeAccountStatus(tx, account.id, 'active', null, at);
      log.info({ reply: result.reply }, 'outbound message sent');
      return;
    }
    if (blamesAccount(result.failure)) {
      await changeAccountStatus(tx, account.id, 'failing', result.reply, at);
      log.warn(
        { reply: result.reply },
        'the account cannot send (its login was refused, its credentials cannot be read, or its server is refused or has no address); the message waits. Fix it with `npx mailroom accounts add` and check with `npx mailroom accounts test`',
      );
    }
    const age = nowMs - Date.parse(message.createdAt);
    if (result.outcome === 'failed' || age >= this.deps.settings.maxAgeMs) {
      const reply = result.outcome === 'failed' ? result.reply : `gave up after ${Math.round(age / 3_600_000)} h: ${result.reply}`;
      await tx.outbound.markFailed(message.id, reply, result.failure);
      await this.announce(tx, message, 'outbound.failed', new Date(nowMs));
      log.warn({ reply }, 'outbound message failed');
      return;
    }
    const delay = Math.min(this.deps.settings.retryMaxMs, this.deps.settings.retryBaseMs * 2 ** Math.max(0, message.attempts - 1));
    await tx.outbound.markDeferred(message.id, result.reply, result.failure, nowMs + delay);
    await this.announce(tx, message, 'outbound.deferred', new Date(nowMs));
    log.info({ reply: result.reply, retryInMs: delay }, 'outbound message deferred');
  }
}

/** Waits until an account's paced slot comes round. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
