// Operations on a tenant's webhook endpoints that the CLI and the API both call,
// so the rules hold whichever way a request comes in. Adding: the URL reaches
// only the public internet (over https) unless the operator allows private
// networks, and a tenant has at most webhooks.maxPerTenant endpoints. Rotating
// a secret: the old one keeps signing for webhooks.rotationGraceHours. Replay:
// every event since a time is queued again for the endpoints named.
import type { DnsResolver } from '../auth/resolver.ts';
import type { Config } from '../config/index.ts';
import { RefusedError } from '../errors.ts';
import { checkTargetUrl, resolvePublicTarget } from '../net/index.ts';
import type { Keyring } from '../secrets/keyring.ts';
import type { Webhook, WebhookStore } from '../store/index.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';

export interface AddWebhookDeps {
  webhooks: WebhookStore;
  keyring: () => Keyring;
  settings: Config['webhooks'];
  resolver: DnsResolver;
  now: Date;
}

/** Checks the URL (and what its host resolves to now), then adds the endpoint; the secret is returned once. */
export async function addWebhook(
  deps: AddWebhookDeps,
  tenantId: number,
  url: string,
  events: readonly string[] | null,
): Promise<{ webhook: Webhook; secret: string }> {
  const rules = { allowPrivateNetworks: deps.settings.allowPrivateNetworks, what: 'webhook URL' };
  const checked = checkTargetUrl(url, rules);
  await resolvePublicTarget(checked, deps.resolver, rules);
  // Counted after the only wait, right before the insert, so two requests at once cannot both slip under the cap.
  const have = deps.webhooks.list([tenantId]).length;
  if (have >= deps.settings.maxPerTenant) {
    throw new RefusedError(`the tenant already has ${have} webhook endpoints, the most allowed (webhooks.maxPerTenant); remove one first`);
  }
  const secret = newWebhookSecret();
  const webhook = deps.webhooks.add(tenantId, checked.toString(), events ? [...events] : null, deps.keyring().seal(secret), deps.now.toISOString());
  return { webhook, secret };
}

/** A new signing secret (returned once); the old one signs too until `previousSecretValidUntil`. */
export function rotateWebhookSecret(deps: Omit<AddWebhookDeps, 'resolver'>, webhookId: number): { secret: string; previousSecretValidUntil: string } {
  const secret = newWebhookSecret();
  const previousSecretValidUntil = new Date(deps.now.getTime() + deps.settings.rotationGraceHours * 3_600_000).toISOString();
  deps.webhooks.rotate(webhookId, deps.keyring().seal(secret), previousSecretValidUntil);
  return { secret, previousSecretValidUntil };
}

/** Queues every event since `since` again for these endpoints; returns how many deliveries. */
export function replayWebhooks(webhooks: WebhookStore, endpoints: readonly Webhook[], since: string, now: Date): number {
  return webhooks.replay(
    endpoints.map((w) => w.id),
    since,
    now.getTime(),
  );
}
