// The public JSON shapes as zod schemas: the single source of the types the
// views return (json.ts), of the OpenAPI document's components and of the
// webhook payloads it describes. Plain zod with `.meta({ id })`: the document
// generator names each as a component, and no interface framework is needed here.
import { z } from 'zod';

export const CandidateRefSchema = z
  .object({ id: z.number().int(), externalId: z.string(), name: z.string() })
  .meta({ id: 'CandidateRef', description: 'a candidate as a decision names it' });

export const AttachmentJsonSchema = z
  .strictObject({
    filename: z.string().nullable(),
    contentType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    url: z.string().meta({
      description:
        'where to fetch it: the API path (with the token), or in a webhook, when webhooks.signedAttachmentUrlsMinutes is set, a signed URL that needs no token until it expires',
    }),
  })
  .meta({ id: 'Attachment' });

const EnvelopeSchema = z
  .object({
    sessionId: z.string(),
    clientIp: z.string(),
    clientPort: z.number().int(),
    helo: z.string(),
    mailFrom: z.string(),
    rcptTo: z.array(z.string()),
    tls: z.object({ protocol: z.string(), cipher: z.string() }).nullable(),
    imap: z
      .object({
        inboxId: z.number().int(),
        host: z.string(),
        folder: z.string(),
        uidValidity: z.number().int(),
        uid: z.number().int(),
        authservId: z.string().nullable(),
      })
      .optional()
      .meta({ description: 'for a message read from an inbox over IMAP (then the SMTP fields are empty)' }),
  })
  .meta({ id: 'Envelope', description: 'the SMTP envelope as it arrived' });

const BounceSchema = z
  .object({
    recipient: z.string().nullable(),
    status: z.string().nullable().meta({ description: 'enhanced status code (RFC 3463), e.g. 5.1.1' }),
    action: z.string().nullable(),
    diagnostic: z.string().nullable(),
    hard: z.boolean(),
    originalMessageId: z.string().nullable(),
  })
  .meta({ id: 'Bounce' });

export const MESSAGE_STATUSES = ['received', 'processed', 'assigned', 'unassigned', 'dismissed', 'failed'] as const;

export const MessageJsonSchema = z
  .strictObject({
    id: z.string(),
    tenant: z.string(),
    status: z.enum(MESSAGE_STATUSES),
    candidate: CandidateRefSchema.nullable(),
    conversationId: z.number().int().nullable(),
    outboundId: z.string().nullable().meta({
      description:
        'the outbound message it answers (the newest of ours its In-Reply-To or References name, whichever rule matched it), reports on (a bounce) or is',
    }),
    method: z.string().nullable().meta({ description: 'how it was matched: `token`, `header`, `sender` or `manual`' }),
    reason: z.string().nullable().meta({ description: 'why it is unassigned (docs/matching.md lists the reasons)' }),
    suggestions: z.array(CandidateRefSchema),
    kind: z
      .string()
      .nullable()
      .meta({ description: '`message`, `bounce`, `auto_reply`, `forwarding_verification`, `feedback_report`, `mailing_list` or `unparseable`' }),
    bounce: BounceSchema.nullable(),
    messageId: z.string().nullable(),
    from: z.string().nullable(),
    originalFrom: z.string().nullable(),
    forwardedBy: z.string().nullable(),
    subject: z.string().nullable(),
    replyText: z.string().nullable(),
    auth: z.object({ spf: z.string(), dkim: z.string(), dmarc: z.string(), arc: z.string() }).nullable(),
    authenticationResults: z.string().nullable(),
    attachments: z.array(AttachmentJsonSchema),
    receivedAt: z.string(),
    size: z.number().int(),
    source: z.string().meta({ description: 'how it came in: `smtp`, or `imap:<inbox id>` (read from an inbox)' }),
    envelope: EnvelopeSchema,
    processedAt: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'Message', description: 'a received message, as the API, the CLI (--json) and the webhooks show it' });

export type MessageJson = z.infer<typeof MessageJsonSchema>;

/** A message as one is shown on its own: with the evidence of its decision. */
export const MessageShownSchema = MessageJsonSchema.extend({
  evidence: z.record(z.string(), z.unknown()).meta({ description: 'what the decision rests on' }),
}).meta({ id: 'MessageWithEvidence' });

const SentCopySchema = z
  .object({
    state: z.enum(['pending', 'copied', 'failed']),
    attempts: z.number().int(),
    folder: z.string().nullable(),
    lastError: z.string().nullable(),
    copiedAt: z.string().nullable(),
  })
  .nullable()
  .meta({ description: "its copy in the account's Sent folder (IMAP), when the account files one" });

export const OutboundFailureSchema = z
  .strictObject({
    permanent: z.boolean().meta({ description: 'sending it again unchanged will not succeed' }),
    code: z.number().int().nullable().meta({ description: 'the SMTP reply code, when the server answered' }),
    enhancedCode: z.string().nullable().meta({ description: 'the enhanced status code (RFC 3463), e.g. 5.7.1, when the reply had one', example: '5.1.1' }),
    line: z.string().nullable().meta({ description: "the server's reply as one line, when it answered" }),
    cause: z.enum(['dns', 'connect', 'tls', 'auth', 'refused', 'timeout', 'protocol', 'local']).meta({
      description:
        "what failed: the server's name (dns), the connection (connect), TLS, the login (auth), the server refused the message (refused), no answer in time (timeout), an answer out of turn (protocol), or mailroom before any server was asked (local)",
    }),
  })
  .meta({
    id: 'OutboundFailure',
    description:
      "why the last attempt failed (none once sent, before any attempt failed, and for messages that failed before failures were typed: lastReply has their words). A permanent failure of the login, the server's name or mailroom's own holds the message (deferred) and marks the account failing; any other permanent failure fails the message; a temporary one is retried",
  });

export const OutboundJsonSchema = z
  .strictObject({
    id: z.string(),
    tenant: z.string(),
    status: z.enum(['queued', 'sending', 'sent', 'deferred', 'failed']),
    accountId: z.number().int().nullable(),
    candidateId: z.number().int().nullable(),
    conversationId: z.number().int().nullable(),
    purpose: z.enum(['send', 'test']),
    messageId: z.string().meta({ description: 'ours, in angle brackets: replies name it in In-Reply-To' }),
    to: z.string(),
    replyTo: z.string().nullable(),
    subject: z.string(),
    inReplyTo: z.string().nullable(),
    references: z.array(z.string()),
    attempts: z.number().int(),
    lastReply: z.string().nullable().meta({ description: "the server's last reply, or the error, in words" }),
    // Null once sent, before any attempt failed, and for messages that failed before failures were typed (lastReply has their words).
    failure: OutboundFailureSchema.nullable(),
    nextAttemptAt: z.string().nullable(),
    bounced: z
      .object({ messageId: z.string(), at: z.string(), hard: z.boolean(), status: z.string().nullable(), diagnostic: z.string().nullable() })
      .nullable()
      .meta({ description: 'the bounce that reported on it' }),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    sentCopy: SentCopySchema,
  })
  .meta({ id: 'Outbound', description: 'a message sent (or to be sent) through an account' });

export type OutboundJson = z.infer<typeof OutboundJsonSchema>;

export const ConversationJsonSchema = z
  .strictObject({
    id: z.number().int(),
    tenant: z.string(),
    subject: z.string(),
    candidate: CandidateRefSchema.nullable(),
    createdAt: z.string(),
    lastMessageAt: z.string(),
  })
  .meta({ id: 'Conversation', description: 'a thread of messages in and out with one candidate (or, until one is known, with an address)' });

export type ConversationJson = z.infer<typeof ConversationJsonSchema>;

/** One message of a conversation's thread: received (`in`) or sent (`out`). */
export const ThreadItemSchema = z
  .discriminatedUnion('direction', [
    MessageJsonSchema.extend({ direction: z.literal('in') }).meta({ id: 'ThreadMessageIn' }),
    OutboundJsonSchema.extend({ direction: z.literal('out') }).meta({ id: 'ThreadMessageOut' }),
  ])
  .meta({ id: 'ThreadItem' });

export type ThreadItem = z.infer<typeof ThreadItemSchema>;
