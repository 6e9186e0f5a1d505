// A tenant's webhook endpoints. Adding: the URL reaches only the public
// internet (over https) unless the operator allows private networks, and a
// tenant has at most webhooks.maxPerTenant endpoints. Rotating a secret: the
// old one keeps signing for webhooks.rotationGraceHours. Replay: every event
// since a time is queued again for the endpoints named (or all within reach).
import { NotFoundError, RefusedError } from '../errors.ts';
import { checkTargetUrl, resolvePublicTarget } from '../net/index.ts';
import type { Context } from '../context.ts';
import type { Webhook, WebhookDelivery } from '../store/index.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';
import { reaches, tenantWithin, type Reach } from './reach.ts';

export async function webhookWithin(ctx: Context, reach: Reach, id: number): Promise<Webhook> {
  const webhook = await ctx.webhooks.get(id);
  if (!webhook || !reaches(reach, webhook.tenantId)) throw new NotFoundError(`no webhook ${id}`, 'webhook');
  return webhook;
}

/** Checks the URL (and what its host resolves to now), then adds the endpoint; the secret is returned once. */
export async function addWebhook(
  ctx: Context,
  reach: Reach,
  request: { tenant: string; url: string; events: readonly string[] | null },
): Promise<{ webhook: Webhook; secret: string }> {
  const tenant = await tenantWithin(ctx, reach, request.tenant);
  const settings = ctx.config.webhooks;
  const rules = { allowPrivateNetworks: settings.allowPrivateNetworks, what: 'webhook URL' };
  const checked = checkTargetUrl(request.url, rules);
  await resolvePublicTarget(checked, ctx.resolver, rules);
  // Counted after the only wait, right before the insert, so two requests at once cannot both slip under the cap.
  const have = (await ctx.webhooks.list([tenant.id])).length;
  if (have >= settings.maxPerTenant) {
    throw new RefusedError(`the tenant already has ${have} webhook endpoints, the most allowed (webhooks.maxPerTenant); remove one first`);
  }
  const secret = newWebhookSecret();
  const events = request.events ? [...request.events] : null;
  const webhook = await ctx.webhooks.add(tenant.id, checked.toString(), events, ctx.keyring().seal(secret), ctx.clock.now().toISOString());
  return { webhook, secret };
}

/** A new signing secret (returned once); the old one signs too until `previousSecretValidUntil`. */
export async function rotateWebhookSecret(
  ctx: Context,
  reach: Reach,
  id: number,
): Promise<{ webhook: Webhook; secret: string; previousSecretValidUntil: string }> {
  const webhook = await webhookWithin(ctx, reach, id);
  const secret = newWebhookSecret();
  const previousSecretValidUntil = new Date(ctx.clock.now().getTime() + ctx.config.webhooks.rotationGraceHours * 3_600_000).toISOString();
  await ctx.webhooks.rotate(webhook.id, ctx.keyring().seal(secret), previousSecretValidUntil);
  return { webhook, secret, previousSecretValidUntil };
}

/** Removes the endpoint; its undelivered events are dropped for it. */
export async function removeWebhook(ctx: Context, reach: Reach, id: number): Promise<Webhook> {
  const webhook = await webhookWithin(ctx, reach, id);
  await ctx.webhooks.remove(webhook.id);
  return webhook;
}

/** Turns a disabled endpoint on again; deliveries still pending resume (replay brings the rest). */
export async function enableWebhook(ctx: Context, reach: Reach, id: number): Promise<Webhook> {
  const webhook = await webhookWithin(ctx, reach, id);
  await ctx.webhooks.enable(webhook.id);
  return webhook;
}

/** Queues every event since `since` again for one endpoint, or every endpoint within reach (of one tenant when named); returns how many deliveries and to how many endpoints. */
export async function replayWebhooks(
  ctx: Context,
  reach: Reach,
  request: { since: string; webhookId?: number | undefined; tenant?: string | undefined },
): Promise<{ queued: number; endpoints: number }> {
  const scope = request.tenant ? [(await tenantWithin(ctx, reach, request.tenant)).id] : reach.tenantIds === 'all' ? undefined : reach.tenantIds;
  const targets = request.webhookId !== undefined ? [await webhookWithin(ctx, reach, request.webhookId)] : await ctx.webhooks.list(scope);
  const queued = await ctx.webhooks.replay(
    targets.map((w) => w.id),
    request.since,
    ctx.clock.now().getTime(),
  );
  return { queued, endpoints: targets.length };
}

/** An endpoint within reach and its latest deliveries, newest first. */
export async function webhookDeliveries(ctx: Context, reach: Reach, id: number, limit = 100): Promise<{ webhook: Webhook; deliveries: WebhookDelivery[] }> {
  const webhook = await webhookWithin(ctx, reach, id);
  return { webhook, deliveries: await ctx.webhooks.deliveries(webhook.id, limit) };
}

/** Sends one event to one endpoint again, now (the relay thread is woken by the caller's server, or finds it at its next look). */
export async function replayDelivery(ctx: Context, reach: Reach, webhookId: number, eventId: string): Promise<void> {
  const webhook = await webhookWithin(ctx, reach, webhookId);
  if (!(await ctx.webhooks.replayDelivery(webhook.id, eventId, ctx.clock.now().getTime())))
    throw new NotFoundError(`webhook ${webhook.id} never had event ${eventId}`, 'eventId');
}
