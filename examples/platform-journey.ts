// A recruiting platform built on mailroom, through the typed client only: the
// code docs/http-api.md shows under "Building on mailroom" is the region below,
// word for word (test/e2e/platform-journey.test.ts runs it against a real
// server on both backends, and checks the docs still show it), so the compiler
// checks every path, body and answer the documentation promises.
// #region journey
import { Webhook } from 'standardwebhooks';
import { createMailroomClient, type Account, type MailroomClient, type WebhookEvent, type WebhookPayload } from '../src/client/index.ts';

/** The answer's data, or an error carrying the problem document (the client does not throw). */
function must<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) throw new Error(`${answer.response.status} ${JSON.stringify(answer.error)}`);
  return answer.data;
}

export function connect(baseUrl: string, platformToken: string): MailroomClient {
  return createMailroomClient({ baseUrl, token: platformToken });
}

/** A customer signs up: its tenant, a subcompany, and the platform's webhook for it. */
export async function onboardCustomer(mailroom: MailroomClient, slug: string, hookUrl: string) {
  const tenant = must(
    await mailroom.POST('/v1/tenants', {
      params: { header: { 'idempotency-key': `signup-${slug}` } },
      body: { slug, name: 'Northwind', domains: ['northwind.example'], replyDomains: [`replies.${slug}.example`] },
    }),
  );
  const subcompany = must(await mailroom.POST('/v1/tenants', { body: { slug: `${slug}-uk`, parent: slug, domains: ['northwind.co.uk'] } }));
  // The secret is answered once: keep it to verify every delivery (Standard Webhooks).
  const { secret } = must(await mailroom.POST('/v1/webhooks', { body: { url: hookUrl, tenant: slug } }));
  return { tenant, subcompany, webhookSecret: secret };
}

/** "Connect your email" with a server and password: added Pending, tested, then proven by a test email. */
export async function connectSmtpAccount(
  mailroom: MailroomClient,
  tenant: string,
  smtp: { host: string; port: number; tlsCa?: string; username: string; password: string; from: string },
) {
  const account = must(
    await mailroom.POST('/v1/accounts', {
      body: { tenant, name: 'recruiting', provider: 'custom', security: 'starttls', fromName: 'Northwind Recruiting', isDefault: true, ...smtp },
    }),
  );
  const test = must(await mailroom.POST('/v1/accounts/{id}/test', { params: { path: { id: account.id } } }));
  // 202: the account turns Active when the email comes back (webhook account.status_changed).
  must(await mailroom.POST('/v1/accounts/{id}/test-email', { params: { path: { id: account.id } } }));
  return { account, test };
}

export async function accountStatus(mailroom: MailroomClient, id: number): Promise<Account['status']> {
  return must(await mailroom.GET('/v1/accounts/{id}', { params: { path: { id } } })).status;
}

/** The platform's candidates, then outreach to one of them (a new conversation). */
export async function reachOut(mailroom: MailroomClient, tenant: string, candidate: { externalId: string; name: string; email: string }) {
  const synced = must(
    await mailroom.POST('/v1/candidates/bulk', {
      body: { tenant, candidates: [{ externalId: candidate.externalId, name: candidate.name, emails: [candidate.email] }] },
    }),
  );
  const outbound = must(
    await mailroom.POST('/v1/send', {
      body: { tenant, candidate: candidate.externalId, to: candidate.email, subject: 'Your application: Data Engineer', text: 'When can we talk?' },
    }),
  );
  return { synced, outbound };
}

/** The webhook endpoint: a delivery's body and headers, verified with the secret of onboardCustomer (throws if forged or stale). */
export function readWebhook(secret: string, body: string, headers: Record<string, string>): WebhookEvent {
  return new Webhook(secret).verify(body, headers) as WebhookEvent;
}

/** The webhook handler's work for a reply: its attachments' bytes and its whole thread. */
export async function onReply(mailroom: MailroomClient, event: WebhookPayload<'message.assigned'>) {
  const reply = event.data.message;
  const files = [];
  for (const attachment of reply.attachments) {
    const bytes = must(
      await mailroom.GET('/v1/messages/{id}/attachments/{sha256}', {
        params: { path: { id: reply.id, sha256: attachment.sha256 } },
        parseAs: 'arrayBuffer',
      }),
    );
    files.push({ filename: attachment.filename, contentType: attachment.contentType, bytes: Buffer.from(bytes) });
  }
  const thread = reply.conversationId ? must(await mailroom.GET('/v1/conversations/{id}', { params: { path: { id: reply.conversationId } } })) : null;
  return { answers: reply.outboundId, text: reply.replyText, files, thread };
}

/** "Sign in with Google": send the customer's browser to authorizeUrl; it comes back to returnUrl?account=<id>. */
export async function startGoogleSignIn(mailroom: MailroomClient, tenant: string, returnUrl: string): Promise<string> {
  return must(await mailroom.POST('/v1/accounts/oauth', { body: { provider: 'google', tenant, returnUrl } })).authorizeUrl;
}

/** The setup checklist: each finding ok, warn or fail, with what to do. */
export async function checkSetup(mailroom: MailroomClient, slug: string) {
  return must(await mailroom.POST('/v1/tenants/{slug}/check', { params: { path: { slug } }, body: {} }));
}
// #endregion journey
