// "Send, then wait until it comes back through our MX": the test email of an
// account and the forwarding test of a tenant's inbox both compose a message,
// send it at once through one account (claimed, so the server's relay leaves
// it alone), and then look for it among the messages the pipeline has
// processed. Time is the injected clock's; the look is every quarter second.
import type { Context } from '../context.ts';
import type { Account, OutboundMessage, StoredMessage } from '../store/index.ts';
import { composeOutbound, type ComposeRequest } from './compose.ts';
import { Relay, type SendResult } from './sender.ts';

export interface RoundTrip {
  message: OutboundMessage;
  sent: SendResult;
  /** The processed message it came back as; null when it was not sent, or did not come back in time. */
  arrived: StoredMessage | null;
  /** When sending began (the clock's ms), and how long until it was found (or the wait ended). */
  startedAt: number;
  elapsedMs: number;
}

export interface RoundTripOptions {
  timeoutMs: number;
  /** How to recognise it once processed (by its Message-ID, by a marker in its subject...). */
  find: (message: OutboundMessage) => Promise<StoredMessage | null>;
  /** Told when the message was sent, before the wait. */
  onSent?: (sent: SendResult) => void;
}

export async function sendAndAwaitReturn(
  ctx: Context,
  account: Account,
  request: Omit<ComposeRequest, 'accountId' | 'purpose'>,
  options: RoundTripOptions,
): Promise<RoundTrip> {
  const nowMs = (): number => ctx.clock.now().getTime();
  const started = nowMs();
  const message = await ctx.transaction(async (tx) => {
    const composed = await composeOutbound(
      { repositories: tx, keyring: ctx.keyring(), now: ctx.clock.now() },
      { ...request, accountId: account.id, purpose: 'test' },
    );
    // Ours to send, not the server relay's.
    await tx.outbound.claim(composed.id, nowMs(), 5 * 60_000);
    return composed;
  });
  const relay = new Relay({
    repositories: ctx,
    keyring: ctx.keyring,
    settings: ctx.config.relay,
    hostname: ctx.config.smtp.hostname,
    log: ctx.log,
    nowMs,
    resolver: ctx.resolver,
  });
  const sent = await relay.sendClaimed(account, message).finally(() => relay.stop());
  if (sent.outcome !== 'sent') return { message, sent, arrived: null, startedAt: started, elapsedMs: nowMs() - started };
  options.onSent?.(sent);
  const deadline = nowMs() + options.timeoutMs;
  for (;;) {
    const arrived = await options.find(message);
    if (arrived || nowMs() >= deadline) return { message, sent, arrived, startedAt: started, elapsedMs: nowMs() - started };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
