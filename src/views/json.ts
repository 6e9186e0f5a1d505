// The public JSON shapes of messages, candidates, accounts and outbound
// messages: one definition for the CLI's --json, the webhook events and the
// HTTP API, so the three never drift apart. Names only ever gain fields (docs/cli.md).
import type { Account, Candidate, Conversation, Inbox, OutboundMessage, StoredMessage, Tenant, Webhook } from '../store/index.ts';
import type { ConversationJson, MessageJson, OutboundJson } from './schemas.ts';

/** The API path of a message's attachment (the download route serves it with a token). */
export const attachmentPath = (messageId: string, sha256: string): string => `/v1/messages/${messageId}/attachments/${sha256}`;

/** The public JSON shape of a message (schemas.ts); operators' scripts rely on these names (docs/cli.md). */
export function messageJson(m: StoredMessage): MessageJson {
  return {
    id: m.id,
    tenant: m.tenant,
    status: m.status,
    candidate: m.decision?.candidate ?? null,
    conversationId: m.conversationId,
    outboundId: m.outboundId,
    method: m.decision?.method ?? null,
    reason: m.decision?.reason ?? null,
    suggestions: m.decision?.suggestions ?? [],
    kind: m.classification?.kind ?? null,
    bounce: m.classification?.bounce ?? null,
    messageId: m.messageId,
    from: m.from,
    originalFrom: m.classification?.forward?.originalFrom?.address ?? m.from,
    forwardedBy: m.classification?.forward?.forwardedBy ?? null,
    subject: m.subject,
    replyText: m.classification?.replyText ?? null,
    auth: m.auth ? { spf: m.auth.spf, dkim: m.auth.dkim, dmarc: m.auth.dmarc, arc: m.auth.arc } : null,
    authenticationResults: m.auth?.authenticationResults ?? null,
    attachments: m.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      sha256: a.sha256,
      url: attachmentPath(m.id, a.sha256),
    })),
    receivedAt: m.receivedAt,
    size: m.size,
    source: m.source,
    envelope: m.envelope,
    processedAt: m.processedAt,
    error: m.error,
  };
}

/** The public JSON shape of a candidate (docs/cli.md). */
export function candidateJson(c: Candidate) {
  return {
    id: c.id,
    tenant: c.tenant,
    externalId: c.externalId,
    name: c.name,
    emails: c.emails,
    bouncing: c.bouncing,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** The public JSON shape of an inbox read over IMAP (docs/cli.md); the login never leaves. */
export function inboxJson(i: Inbox, imported?: number) {
  return {
    id: i.id,
    tenant: i.tenant,
    address: i.address,
    host: i.host,
    port: i.port,
    security: i.security,
    username: i.username,
    password: '********',
    folder: i.folder,
    afterImport: i.afterImport,
    since: i.since,
    authservId: i.authservId,
    status: i.status,
    lastError: i.lastError,
    lastImportAt: i.lastImportAt,
    uidValidity: i.uidValidity,
    lastUid: i.lastUid,
    ...(imported !== undefined ? { imported } : {}),
    createdAt: i.createdAt,
  };
}

/** The public JSON shape of an account: never the secret itself. */
export function accountJson(a: Account) {
  return {
    id: a.id,
    tenant: a.tenant,
    name: a.name,
    provider: a.provider,
    host: a.host,
    port: a.port,
    security: a.security,
    tlsCa: a.tlsCa ? ('custom' as const) : null,
    username: a.username,
    auth: a.authMethod,
    password: a.authMethod === 'password' ? '********' : null,
    from: a.fromAddress,
    fromName: a.fromName,
    sendingDomain: a.sendingDomain,
    dkim: a.dkimSelector ? { selector: a.dkimSelector, domain: a.sendingDomain } : null,
    replyTo: a.replyLocal,
    owner: a.owner,
    default: a.isDefault,
    delayMs: a.delayMs,
    perMinute: a.perMinute,
    perDay: a.perDay,
    status: a.status,
    lastError: a.lastError,
    lastTestedAt: a.lastTestedAt,
    createdAt: a.createdAt,
    sentCopy: {
      mode: a.sentCopy.mode,
      ...(a.sentCopy.mode === 'imap'
        ? {
            host: a.sentCopy.host,
            port: a.sentCopy.port,
            security: a.sentCopy.security,
            username: a.sentCopy.username ?? a.username,
            password: a.sentCopy.ownCredentials ? '********' : 'the SMTP password',
            folder: a.sentCopy.folder ?? '\\Sent',
            lastError: a.sentCopy.lastError,
          }
        : {}),
    },
  };
}

/** The public JSON shape of an outbound message (schemas.ts, docs/cli.md). */
export function outboundJson(o: OutboundMessage): OutboundJson {
  return {
    id: o.id,
    tenant: o.tenant,
    status: o.status,
    accountId: o.accountId || null,
    candidateId: o.candidateId,
    conversationId: o.conversationId || null,
    purpose: o.purpose,
    messageId: `<${o.messageId}>`,
    to: o.recipient,
    replyTo: o.replyTo,
    subject: o.subject,
    inReplyTo: o.inReplyTo,
    references: o.references,
    attempts: o.attempts,
    lastReply: o.lastReply,
    failure: o.lastFailure,
    nextAttemptAt: o.status === 'queued' || o.status === 'deferred' ? new Date(o.nextAttemptAt).toISOString() : null,
    bounced: o.bounced,
    createdAt: o.createdAt,
    sentAt: o.sentAt,
    sentCopy: o.sentCopy,
  };
}

/** The public JSON shape of a conversation, without its messages (schemas.ts). */
export function conversationJson(c: Conversation, candidate: Candidate | null): ConversationJson {
  return {
    id: c.id,
    tenant: c.tenant,
    subject: c.subject,
    candidate: candidate ? { id: candidate.id, externalId: candidate.externalId, name: candidate.name } : null,
    createdAt: c.createdAt,
    lastMessageAt: c.lastMessageAt,
  };
}

/** The public JSON shape of a webhook endpoint (never its secret). */
export function webhookJson(w: Webhook) {
  return {
    id: w.id,
    tenant: w.tenant,
    url: w.url,
    events: w.events,
    status: w.status,
    disabledReason: w.disabledReason,
    failingSince: w.failingSince,
    lastSuccessAt: w.lastSuccessAt,
    pending: w.pending,
    previousSecretValidUntil: w.previousSecretUntil,
    createdAt: w.createdAt,
  };
}

/** The public JSON shape of a tenant: addressed by its slug (the row id stays inside). */
export function tenantJson(t: Tenant) {
  return {
    slug: t.slug,
    name: t.name,
    parent: t.parent,
    createdAt: t.createdAt,
    domains: t.domains,
    replyDomains: t.replyDomains,
    forwardAddresses: t.forwardAddresses,
    inboxes: t.inboxes,
  };
}
