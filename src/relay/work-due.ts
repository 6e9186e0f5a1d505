// When the relay thread next has work: the earlier of the outbound queue's and
// the webhook deliveries' next due time. The relay thread reads it to say it is
// idle, the main thread to start it again (on-demand-thread.ts).
import type { Repositories } from '../store/index.ts';

export function relayWorkDueAt({ outbound, webhooks: deliveries, sentCopies }: Repositories): () => Promise<number | null> {
  return async () => {
    const dues = (await Promise.all([outbound.nextDueAt(), deliveries.nextDueAt(), sentCopies.nextDueAt()])).filter((due): due is number => due !== null);
    return dues.length > 0 ? Math.min(...dues) : null;
  };
}
