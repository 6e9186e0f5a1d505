// Delivers the outbox to the tenants' endpoints: at least once, signed, in
// order per message (a failed delivery holds back the later events of the same
// subject for that endpoint), retried on a fixed schedule for about three days.
// 410 Gone disables the endpoint at once; one failing every delivery for
// webhooks.disableAfterHours is disabled too, with an event and a log line.
import type { DnsResolver } from '../dns/index.ts';
import type { Config } from '../config/index.ts';
import { RefusedError } from '../errors.ts';
import { checkTargetUrl, postPinned, resolvePublicTarget, type TargetRules } from '../net/index.ts';
import type { Logger } from '../log.ts';
import { WakeLoop } from '../runtime/wake-loop.ts';
import type { Keyring } from '../secrets/keyring.ts';
import type { DueDelivery, Repositories, WebhookStore } from '../store/index.ts';
import { signedHeaders } from './signing.ts';
import { withSignedAttachmentUrls } from './attachment-links.ts';

/**
 * Delay before attempt n+1 after n failed attempts, in units of
 * webhooks.retryBaseMs (5 s): 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h six times:
 * about three days in all, then the delivery fails.
 */
const RETRY_STEPS: readonly number[] = [1, 60, 360, 1440, 3600, 7200, 7200, 7200, 7200, 7200, 7200];

export function retryDelayMs(failedAttempts: number, baseMs: number): number | null {
  const step = RETRY_STEPS[failedAttempts - 1];
  return step === undefined ? null : step * baseMs;
}

/** A URL as the log shows it: without its query string and fragment, where tokens are often put. */
export function loggableUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.origin}${url.pathname}${url.search ? '?…' : ''}`;
  } catch {
    return '(not a URL)';
  }
}

export interface DispatcherDeps {
  repositories: Repositories;
  keyring: () => Keyring;
  settings: Config['webhooks'];
  /** Resolves endpoint host names once per attempt; the connection goes to the address checked. */
  resolver: DnsResolver;
  log: Logger;
  nowMs: () => number;
  /** Where the API is reached from outside (http.publicUrl, else the listener's address): signed attachment URLs start with it. */
  publicUrl: string;
  /** Reports each attempt (for metrics). */
  onAttempt?: (ok: boolean) => void;
}

export class WebhookDispatcher {
  private readonly deps: DispatcherDeps;
  private readonly store: WebhookStore;
  private readonly loop: WakeLoop;
  private stopped = false;

  constructor(deps: DispatcherDeps) {
    this.deps = deps;
    this.store = deps.repositories.webhooks;
    this.loop = new WakeLoop({
      pass: () => this.runOnce(),
      nextDueAt: () => this.store.nextDueAt(),
      pollMs: deps.settings.pollIntervalMs,
      nowMs: deps.nowMs,
      onError: (err, during) =>
        this.deps.log.error(
          { err },
          during === 'pass' ? 'webhook pass failed; retrying at the next poll' : 'could not read when the next delivery is due; looking again at the next poll',
        ),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Events were written: deliver now instead of at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  /** A pass is delivering now. */
  get busy(): boolean {
    return this.loop.busy;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
  }

  /** How long a claimed delivery is this node's: past its timeout, so only a dead node's claims are taken over. */
  private leaseMs(): number {
    return Math.max(30_000, this.deps.settings.timeoutMs * 3);
  }

  /** One pass over what is due; endpoints in parallel, each one's deliveries in order. Returns attempts made. */
  async runOnce(): Promise<number> {
    const due = await this.store.claimDue(this.deps.nowMs(), 200, this.leaseMs());
    const byEndpoint = new Map<number, DueDelivery[]>();
    for (const d of due) byEndpoint.set(d.webhookId, [...(byEndpoint.get(d.webhookId) ?? []), d]);
    const counts = await Promise.all([...byEndpoint.values()].map((list) => this.deliverInOrder(list)));
    return counts.reduce((a, b) => a + b, 0);
  }

  private async deliverInOrder(list: DueDelivery[]): Promise<number> {
    const heldBack = new Set<string>();
    let attempts = 0;
    let stop = false;
    for (const delivery of list) {
      // Claimed but not attempted (stopping, the endpoint disabled, an earlier event of the message failing): due again now.
      if (stop || this.stopped || heldBack.has(delivery.subject)) {
        await this.store.release(delivery, this.deps.nowMs());
        continue;
      }
      const outcome = await this.attempt(delivery);
      attempts++;
      if (outcome === 'disabled') stop = true;
      if (outcome === 'failed') heldBack.add(delivery.subject);
    }
    return attempts;
  }

  private async attempt(d: DueDelivery): Promise<'delivered' | 'failed' | 'disabled'> {
    const nowMs = this.deps.nowMs();
    const at = new Date(nowMs).toISOString();
    const ring = this.deps.keyring();
    const secrets = (await this.store.signingSecrets(d.webhookId, at)).map((sealed) => ring.open(sealed));
    const minutes = this.deps.settings.signedAttachmentUrlsMinutes;
    // Signed at each attempt: a retry hours later carries URLs that still work.
    const body = minutes > 0 ? withSignedAttachmentUrls(d.payload, ring, this.deps.publicUrl, Math.floor(nowMs / 1000) + minutes * 60) : d.payload;
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'mailroom-webhooks/1',
      ...signedHeaders(secrets, d.eventId, Math.floor(nowMs / 1000), body),
    };
    let status: number | null = null;
    let error: string;
    try {
      // Checked again at every delivery, against the address actually connected to:
      // DNS may have changed since the endpoint was added.
      const rules: TargetRules = { allowPrivateNetworks: this.deps.settings.allowPrivateNetworks, what: 'webhook URL' };
      const target = await resolvePublicTarget(checkTargetUrl(d.url, rules), this.deps.resolver, rules);
      const response = await postPinned(target, headers, body, this.deps.settings.timeoutMs);
      status = response.status;
      if (status >= 200 && status < 300) {
        await this.store.delivered(d, status, at);
        this.deps.onAttempt?.(true);
        return 'delivered';
      }
      error = `HTTP ${status}`;
    } catch (err) {
      // A refused target says why; the tenant never learns how a private address answered.
      error =
        err instanceof RefusedError
          ? `refused: ${err.message}`
          : err instanceof Error
            ? `${err.name}: ${(err.cause as Error | undefined)?.message ?? err.message}`
            : String(err);
    }
    this.deps.onAttempt?.(false);
    const log = this.deps.log.child({ webhookId: d.webhookId, eventId: d.eventId });
    if (status === 410) {
      await this.disable(d.webhookId, `the endpoint answered 410 Gone at ${at}`, at);
      log.warn({ url: loggableUrl(d.url) }, 'webhook endpoint answered 410 Gone: disabled it; add it again when it is back');
      await this.store.failed(d, status, error, nowMs, at);
      return 'disabled';
    }
    const next = retryDelayMs(d.attempts + 1, this.deps.settings.retryBaseMs);
    const failingSince = await this.store.failed(d, status, error, next === null ? null : nowMs + next, at);
    if (next === null) log.warn({ url: loggableUrl(d.url), error }, 'webhook delivery given up after about three days of retries');
    if (nowMs - Date.parse(failingSince) >= this.deps.settings.disableAfterHours * 3_600_000) {
      await this.disable(d.webhookId, `every delivery failed since ${failingSince} (last: ${error})`, at);
      log.warn(
        { url: loggableUrl(d.url), failingSince, error },
        'webhook endpoint failing for too long: disabled it; fix it, then `mailroom webhooks enable` and `mailroom webhooks replay`',
      );
      return 'disabled';
    }
    return 'failed';
  }

  private async disable(webhookId: number, reason: string, at: string): Promise<void> {
    await this.deps.repositories.transaction(async (tx) => {
      const webhook = await tx.webhooks.get(webhookId);
      if (!webhook || webhook.status === 'disabled') return;
      await tx.webhooks.disable(webhookId, reason);
      await tx.events.record(
        webhook.tenantId,
        'webhook.disabled',
        `webhook:${webhookId}`,
        { webhook: { id: webhookId, url: webhook.url, reason } },
        new Date(at),
      );
    });
  }
}
