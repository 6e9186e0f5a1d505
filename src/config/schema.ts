// The configuration schema: every key, its type, its default and what it means.
// Defaults here are the embedded defaults; config/default.yaml repeats them for
// people to read, and a unit test keeps the two in step.
import { z } from 'zod';
import { parseCidrs } from '../net/client-address.ts';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const millis = z.number().int().positive();
/** A duration where 0 switches the thing off. */
const millisOrOff = z.number().int().min(0);

const dataSection = z
  .object({
    dir: z.string().min(1).default('./data').describe('Directory for the SQLite database, TLS material and spool files.'),
    groupCommitWindowMs: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(0)
      .describe(
        'Extra wait in ms before a batch is committed when none is in flight; messages finishing during a commit always join the next batch (0 = no extra wait).',
      ),
    groupCommitMaxMessages: positiveInt.max(10_000).default(128).describe('Most messages in one group commit.'),
    maxSizeMb: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Largest the database may grow, in MB, so the disk never fills up under it; past it messages get 452 4.3.1 (0 = no limit).'),
    minFreeMb: z
      .number()
      .int()
      .min(0)
      .default(512)
      .describe(
        "Free space, in MB, the data directory's filesystem must keep (database, spool, attachments); below it new messages get 452 4.3.1 (0 = no watermark).",
      ),
  })
  .strict();

const tlsSection = z
  .object({
    cert: z.string().default('').describe('PEM certificate chain for STARTTLS. Empty: a self-signed one is generated into the data dir.'),
    key: z.string().default('').describe('PEM private key for STARTTLS, paired with tls.cert.'),
  })
  .strict();

const smtpSection = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('Address the SMTP listener binds to.'),
    port: port.default(2525).describe('TCP port of the SMTP listener (0 picks a free port).'),
    hostname: z.string().min(1).default('mailroom.localhost').describe('Name used in the greeting and in our Received header.'),
    maxMessageBytes: positiveInt.default(35 * 1024 * 1024).describe('Largest message accepted; advertised as EHLO SIZE and enforced with 552 5.3.4.'),
    spoolThresholdBytes: positiveInt
      .default(128 * 1024)
      .describe('Messages larger than this are written to a spool file while they arrive instead of being held in memory.'),
    maxRecipients: positiveInt.max(10_000).default(100).describe('Recipients per message; past this RCPT gets 452 4.5.3.'),
    maxConnections: positiveInt.default(500).describe('Concurrent connections in all; past this the client gets 421.'),
    maxConnectionsPerIp: positiveInt
      .default(20)
      .describe('Concurrent connections from one client (an IPv4 address, or an IPv6 /64); past this the client gets 421.'),
    maxMessagesPerClientPerMinute: positiveInt
      .default(600)
      .describe('Messages one client (an IPv4 address, or an IPv6 /64) may send in a minute; past this DATA gets 451 4.7.1 and the sender retries later.'),
    maxRecipientsPerClientPerMinute: positiveInt
      .default(3000)
      .describe('Recipients one client (an IPv4 address, or an IPv6 /64) may name in a minute; past this RCPT gets 451 4.7.1.'),
    idleTimeoutMs: millis.default(120_000).describe('Idle time between commands before the connection is closed (RFC 5321 4.5.3.2).'),
    sessionTimeoutMs: millis.default(30 * 60_000).describe('Deadline for a whole session; a client still connected then gets 421.'),
    dataTimeoutMs: millis.default(10 * 60_000).describe('Deadline for receiving one message after 354; cuts slow-drip clients with 421.'),
    maxCommandLength: positiveInt
      .min(512)
      .max(65_536)
      .default(2048)
      .describe('Longest command line accepted (RFC 5321 4.5.3.1.4 allows 512, extensions need more).'),
    shutdownGraceMs: millis.default(10_000).describe('On SIGTERM/SIGINT, how long sessions in flight may finish before they get 421.'),
    tls: tlsSection.prefault({}).describe('STARTTLS certificate.'),
  })
  .strict();

const workerSection = z
  .object({
    pollIntervalMs: millis.default(1000).describe('How often the worker looks for due jobs when it has not been woken.'),
    concurrency: positiveInt
      .max(64)
      .default(16)
      .describe(
        "Messages the worker has in flight at once within a stage (authentication, parsing), so one waiting on DNS or the disk does not hold up the rest; more also keeps each stage's code hot (bench:pipeline).",
      ),
    leaseMs: millis.default(5 * 60_000).describe('How long a claimed job is reserved before another worker may take it over.'),
    maxAttempts: positiveInt.max(100).default(10).describe('Attempts before a job is given up and its message marked failed.'),
    retryBaseMs: millis.default(5_000).describe('First retry delay; each later retry doubles it.'),
    retryMaxMs: millis.default(60 * 60_000).describe('Longest delay between two retries.'),
    burstPauseMs: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(1000)
      .describe(
        'While messages keep arriving, the worker waits between batches of 16 until intake has committed nothing for 50 ms, but at most this long, so accepting mail keeps the CPU (0 = never wait).',
      ),
    idleStopMs: millisOrOff
      .default(60_000)
      .describe(
        "The pipeline thread stops after this long without work and is started again when work arrives, so an idle server holds ~50 MB less (0 = it runs from the server's start and never stops, so no message waits for it to start and load its modules).",
      ),
    startDelayMaxMs: millis
      .max(600_000)
      .default(10_000)
      .describe(
        'While mail keeps arriving, a stopped pipeline thread is started once intake has been quiet for 250 ms, so the burst is accepted first; a message never waits longer than this for it.',
      ),
    heapSoftLimitMb: positiveInt
      .min(16)
      .max(16_384)
      .default(64)
      .describe(
        'Memory in use by the pipeline thread (JS heap and buffers) in MB past which it collects garbage after each message. V8 would otherwise let the garbage of large messages grow the process by hundreds of MB before collecting it.',
      ),
  })
  .strict();

const pipelineSection = z
  .object({
    threads: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(0)
      .describe(
        "Pipeline worker threads sharing the job queue, each with its own event loop, connection and worker.concurrency messages in flight (0 = the machine's cores minus one, at least one).",
      ),
  })
  .strict();

const dnsSection = z
  .object({
    zoneFile: z.string().default('').describe('A static JSON zone answering every DNS lookup (offline runs and tests); empty: the system resolver.'),
    timeoutMs: millis.max(60_000).default(5000).describe('Timeout of one DNS query; a timeout is a temporary failure and the message is retried later.'),
  })
  .strict();

const databaseSection = z
  .object({
    url: z
      .string()
      .default('')
      .refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'a postgres:// URL, or empty for SQLite')
      .describe(
        'PostgreSQL for several nodes over one shared database (postgres://user:password@host:5432/db). Empty: the SQLite file in the data dir (one machine).',
      ),
    poolSize: positiveInt
      .max(100)
      .default(10)
      .describe('Connections each process of a node keeps to PostgreSQL (the server, its relay and pipeline threads: each its own pool).'),
  })
  .strict();

const secretSection = z
  .object({
    key: z
      .string()
      .default('')
      .describe(
        'Key that seals account passwords, OAuth2 tokens and reply-token keys at rest: 32 bytes as base64 or hex. Set it by environment, not in a file. Empty: a key file (mode 0600) is created in the data dir on first use.',
      ),
    previousKey: z.string().default('').describe('The key before secret.key, while `npx mailroom keys rotate` re-seals everything with the new one.'),
  })
  .strict();

const relaySection = z
  .object({
    pollIntervalMs: millis.default(1000).describe('How often the relay looks for outbound messages due to be sent when it has not been woken.'),
    idleStopMs: millisOrOff
      .default(60_000)
      .describe(
        'The relay thread stops after this long with nothing to send or deliver (outbound mail, webhooks) and is started again when some is due, so an idle server holds ~25 MB less; while a tenant has a sending account it stays ready, so a send starts at once (0 = it always runs).',
      ),
    maxAgeMs: millis.default(2 * 24 * 60 * 60_000).describe('How long a deferred outbound message (4xx or network failure) is retried before it fails.'),
    retryBaseMs: millis.default(30_000).describe('First retry delay of a deferred outbound message; each later retry doubles it.'),
    retryMaxMs: millis.default(60 * 60_000).describe('Longest delay between two retries of an outbound message.'),
    platformTenant: z
      .string()
      .default('')
      .describe('Managed sending: the tenant whose default account sends for tenants that have none of their own (empty: such sends are refused).'),
    connectionTimeoutMs: millis
      .max(300_000)
      .default(15_000)
      .describe('Timeout for connecting, greeting and each SMTP command when sending or testing an account.'),
    allowPrivateNetworks: z
      .boolean()
      .default(false)
      .describe(
        "Allow the mail servers of sending accounts and inboxes (SMTP and IMAP) on loopback, private, link-local and other non-public addresses, whoever sets them (the operator's command line may always set them for one account or inbox).",
      ),
  })
  .strict();

const webhooksSection = z
  .object({
    pollIntervalMs: millis.default(1000).describe('How often webhook deliveries that are due are looked for.'),
    timeoutMs: millis.max(120_000).default(10_000).describe('How long an endpoint has to answer one delivery before it counts as failed.'),
    retryBaseMs: millis
      .default(5000)
      .describe(
        'Unit of the retry schedule: retries after 1, 60, 360, 1440, 3600 and then 7200 units six times (5 s, 5 min, 30 min, 2 h, 5 h, 10 h...: about three days), then the delivery fails.',
      ),
    disableAfterHours: positiveInt
      .default(120)
      .describe('An endpoint that has failed every delivery for this long is disabled (with an event and a log line).'),
    rotationGraceHours: positiveInt.default(24).describe('After `webhooks rotate-secret`, how long the old secret keeps signing too.'),
    allowPrivateNetworks: z
      .boolean()
      .default(false)
      .describe(
        "Allow webhook URLs on loopback, private, link-local and other non-public addresses (receivers on the operator's own network); such targets may use http.",
      ),
    maxPerTenant: positiveInt.max(1000).default(10).describe('Most webhook endpoints one tenant may have.'),
    signedAttachmentUrlsMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(0)
      .describe(
        "A message event's attachments carry a signed URL that downloads them without an API token for this many minutes after each delivery attempt (0: the API path, fetched with a token). The URL starts with http.publicUrl: set it, else it is the API's listening address.",
      ),
  })
  .strict();

const httpSection = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP API binds to (loopback: put a TLS proxy in front to expose it).'),
    port: port.default(8025).describe('TCP port of the HTTP API (0 picks a free port).'),
    enabled: z.boolean().default(true).describe('Whether `npx mailroom serve` starts the HTTP API.'),
    maxBodyBytes: positiveInt
      .default(1024 * 1024)
      .describe('Largest request body the API reads (413 beyond it); the bulk candidate upsert allows ten times this.'),
    rateLimitPerMinute: positiveInt.default(600).describe('Requests one API token may make in a minute; past this 429 with Retry-After.'),
    publicUrl: z
      .string()
      .default('')
      .describe(
        'Where people reach this server (https://mailroom.example.com behind a TLS proxy), for the console links `npx mailroom users add` prints; empty: http://<http.host>:<http.port>.',
      ),
    trustedProxies: z
      .string()
      .default('')
      .refine((v) => !('error' in parseCidrs(v)), { message: 'a comma-separated list of IP addresses or CIDRs (10.0.0.0/8, 2001:db8::/32)' })
      .describe(
        'Comma-separated addresses or CIDRs of the reverse proxies in front of the HTTP server: a request from one of them is counted (sign-in limits) as the right-most X-Forwarded-For address that is not itself listed. Empty: the socket address, whatever the header says.',
      ),
    downloadMbPerSecond: z
      .number()
      .min(0)
      .default(30)
      .describe(
        'Raw message and attachment downloads all draw from this many MB a second, so they cannot take the CPU from SMTP intake on the same event loop (0 = no limit).',
      ),
  })
  .strict();

const checksSection = z
  .object({
    mxHosts: z
      .string()
      .default('')
      .describe("Comma-separated public host names of this server that reply domains' MX records must point at (empty: smtp.hostname)."),
    sendingAddresses: z
      .string()
      .default('')
      .describe(
        'Comma-separated public IP addresses mailroom sends from, for customers whose SMTP server has an IP allowlist (shown in `tenants check` advice).',
      ),
    forwardingTimeoutMs: millis.max(600_000).default(120_000).describe('How long `tenants check --send-tests` waits for a forwarding test to arrive.'),
  })
  .strict();

const authSection = z
  .object({
    trustedArcSealers: z
      .string()
      .default('google.com,microsoft.com')
      .describe(
        'Comma-separated domains whose ARC seal (the d= of the newest ARC-Seal, or a subdomain of it) is believed about the sender: what Gmail and Microsoft 365 seal mail they forward with.',
      ),
  })
  .strict();

const retentionSection = z
  .object({
    rawDays: z
      .number()
      .int()
      .min(0)
      .default(90)
      .describe(
        'Raw bytes and attachment files of processed messages older than this many days are deleted (metadata, decisions and reply text stay); `serve` does it daily, `npx mailroom purge` by hand (0 = keep forever).',
      ),
  })
  .strict();

const inboxesSection = z
  .object({
    enabled: z.boolean().default(true).describe('Whether `npx mailroom serve` reads the inboxes added with `npx mailroom inboxes add` (IMAP intake).'),
    pollMs: millis
      .min(1000)
      .default(60_000)
      .describe('While watching a folder with IDLE, look for new messages this often anyway (a server without IDLE, or a notification lost).'),
    retryMaxMs: millis
      .min(1000)
      .default(5 * 60_000)
      .describe('Longest wait before reconnecting to an inbox that failed (it starts at 1 s and doubles); the failure shows in `inboxes list`.'),
    batchMessages: positiveInt.max(1000).default(100).describe('Messages read and stored per transaction while catching up on a folder.'),
    refreshMs: millis.min(100).default(30_000).describe('How often the list of inboxes is read again, so inboxes added or removed by the CLI are picked up.'),
    leaseMs: millis
      .min(1000)
      .default(60_000)
      .describe(
        "How long a node holds an inbox as its one reader without renewing (it renews every third of this); a dead node's inboxes are read by another once it runs out.",
      ),
  })
  .strict();

/** One provider's OAuth 2.0 app: client id and secret from its console, its endpoints, and the scopes SMTP sending needs. */
const oauthSection = z
  .object({
    googleClientId: z
      .string()
      .default('')
      .describe('OAuth client id of the Google Cloud app ("Sign in with Google" on the accounts page); empty: the button is not shown.'),
    googleClientSecret: z.string().default('').describe('Its client secret (set by environment: MAILROOM_OAUTH_GOOGLE_CLIENT_SECRET).'),
    googleAuthorizeUrl: z.string().default('https://accounts.google.com/o/oauth2/v2/auth').describe("Google's authorization endpoint."),
    googleTokenUrl: z.string().default('https://oauth2.googleapis.com/token').describe("Google's token endpoint."),
    googleIssuer: z
      .string()
      .default('https://accounts.google.com')
      .describe("The `iss` Google's id tokens must carry (checked with the audience, expiry and email_verified before an account is added)."),
    googleScope: z
      .string()
      .default('https://mail.google.com/ openid email')
      .describe('Scopes asked of Google: SMTP with XOAUTH2 needs https://mail.google.com/.'),
    microsoftClientId: z
      .string()
      .default('')
      .describe('Application (client) id of the Microsoft Entra app ("Sign in with Microsoft"); empty: the button is not shown.'),
    microsoftClientSecret: z.string().default('').describe('Its client secret (set by environment: MAILROOM_OAUTH_MICROSOFT_CLIENT_SECRET).'),
    microsoftAuthorizeUrl: z
      .string()
      .default('https://login.microsoftonline.com/common/oauth2/v2.0/authorize')
      .describe("Microsoft's authorization endpoint (common: any work or school account)."),
    microsoftTokenUrl: z.string().default('https://login.microsoftonline.com/common/oauth2/v2.0/token').describe("Microsoft's token endpoint."),
    microsoftIssuer: z
      .string()
      .default('https://login.microsoftonline.com/{tenantid}/v2.0')
      .describe("The `iss` Microsoft's id tokens must carry; {tenantid} stands for the token's own tid (the common endpoint serves every directory)."),
    microsoftScope: z
      .string()
      .default('https://outlook.office.com/SMTP.Send offline_access openid email')
      .describe('Scopes asked of Microsoft: SMTP AUTH with XOAUTH2 needs SMTP.Send, a refresh token offline_access.'),
    allowedReturnUrls: z
      .string()
      .default('')
      .refine((v) => v.split(',').every((u) => !u.trim() || /^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(u.trim())), {
        message: 'a comma-separated list of http(s) URLs without query or fragment',
      })
      .describe(
        "Comma-separated URLs a platform's sign-in (POST /v1/accounts/oauth) may send the browser back to: the same origin exactly, and a path at or under one of these. Empty: none.",
      ),
  })
  .strict();

const logSection = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level of the JSON log on stdout.'),
  })
  .strict();

export const configSchema = z
  .object({
    data: dataSection.prefault({}).describe('Storage.'),
    database: databaseSection.prefault({}).describe('Where shared state lives: SQLite in the data dir, or PostgreSQL for several nodes.'),
    smtp: smtpSection.prefault({}).describe('The inbound SMTP listener.'),
    worker: workerSection.prefault({}).describe('The durable job worker that runs the pipeline.'),
    pipeline: pipelineSection.prefault({}).describe('The threads the pipeline runs on.'),
    dns: dnsSection.prefault({}).describe('DNS for SPF, DKIM, DMARC and ARC.'),
    auth: authSection.prefault({}).describe('What is believed about who sent a message.'),
    retention: retentionSection.prefault({}).describe('How long raw messages are kept.'),
    secret: secretSection.prefault({}).describe('Encryption of secrets at rest.'),
    relay: relaySection.prefault({}).describe("Sending through the customers' own SMTP accounts."),
    webhooks: webhooksSection.prefault({}).describe("Delivering events to the tenants' webhook endpoints."),
    http: httpSection.prefault({}).describe('The HTTP API, health checks and metrics.'),
    inboxes: inboxesSection.prefault({}).describe('Company mailboxes read over IMAP, where forwarding to mailroom cannot be set up.'),
    oauth: oauthSection.prefault({}).describe('Signing accounts in with Google or Microsoft from the console (OAuth 2.0 with PKCE).'),
    checks: checksSection.prefault({}).describe('`npx mailroom tenants check`: what a customer set-up is checked against.'),
    log: logSection.prefault({}).describe('Logging.'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
