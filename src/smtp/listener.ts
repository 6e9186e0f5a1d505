// The SMTP listener. Hooks stay thin: each calls one function and maps its result
// or error to a reply. DATA is answered 250 only after the message, its envelope
// and our Received line are committed and fsynced (commit/group-commit.ts).
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Config } from '../config/index.ts';
import { asError, SmtpError, StorageError, type SmtpReply } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { GroupCommitter } from '../commit/index.ts';
import { newMessageId, spoolFileFor, type Envelope, type RouteTable } from '../store/index.ts';
import { clientKey, RateLimiter } from '../net/index.ts';
import { ConnectionLimiter } from './connection-limits.ts';
import { IncomingMessage, type IncomingResult } from './incoming.ts';
import { receivedHeader } from './received.ts';
import { routeRecipient } from './recipients.ts';
import {
  C250_QUEUED,
  C421_DATA_TOO_SLOW,
  C421_SESSION_TOO_LONG,
  C421_SHUTTING_DOWN,
  C421_TOO_MANY_FROM_IP,
  C451_LOCAL_ERROR,
  C451_TOO_MANY_MESSAGES,
  C451_TOO_MANY_RECIPIENTS,
  C452_ONE_TENANT_PER_MESSAGE,
  C452_STORAGE_FULL,
  C452_TOO_MANY_RECIPIENTS,
  C550_BAD_DATA,
  C552_TOO_BIG,
  refusalReason,
} from './replies.ts';
import type { TlsMaterial } from './tls.ts';

export interface SmtpListenerDeps {
  settings: Config['smtp'];
  dataDir: string;
  tenants: RouteTable;
  committer: GroupCommitter;
  tls: TlsMaterial;
  log: Logger;
  now: () => Date;
  /** Counts what was accepted and refused (Prometheus metrics). */
  metrics?: SmtpMetrics;
  /** Whether the data directory's filesystem is below data.minFreeMb (server/disk-watermark.ts). */
  diskLow?: () => boolean;
}

export interface SmtpMetrics {
  accepted(): void;
  refused(reason: string): void;
}

interface SessionState {
  log: Logger;
  deadline: NodeJS.Timeout;
  tenantId: number | null;
  /** What the per-client limits count this session as (an IPv4 address, an IPv6 /64). */
  client: string;
}

/** The part of smtp-server's connection object we use to answer out of turn. */
interface LiveConnection {
  id: string;
  session: SMTPServerSession;
  send(code: number, text: string): void;
}

export class SmtpListener {
  private readonly deps: SmtpListenerDeps;
  private readonly server: SMTPServer;
  private readonly limiter: ConnectionLimiter;
  private readonly messageRate: RateLimiter<string>;
  private readonly recipientRate: RateLimiter<string>;
  private readonly sessions = new Map<string, SessionState>();
  private shuttingDown = false;
  private inFlight = 0;

  constructor(deps: SmtpListenerDeps) {
    this.deps = deps;
    const s = deps.settings;
    this.limiter = new ConnectionLimiter(s.maxConnectionsPerIp);
    this.messageRate = new RateLimiter(s.maxMessagesPerClientPerMinute);
    this.recipientRate = new RateLimiter(s.maxRecipientsPerClientPerMinute);
    this.server = new SMTPServer({
      name: s.hostname,
      banner: 'mailroom',
      key: deps.tls.key,
      cert: deps.tls.cert,
      // Inbound MX: nobody logs in here, so AUTH is not offered at all.
      disabledCommands: ['AUTH'],
      authOptional: true,
      // No reverse DNS from the listener: it would stall greetings on slow DNS.
      disableReverseLookup: true,
      size: s.maxMessageBytes,
      maxClients: s.maxConnections,
      socketTimeout: s.idleTimeoutMs,
      closeTimeout: s.shutdownGraceMs,
      maxCommandLength: s.maxCommandLength,
      logger: false,
      onConnect: (session, callback) => callback(this.counted(this.connect(session)) ?? undefined),
      onClose: (session) => this.close(session),
      onMailFrom: (address, session, callback) => callback(this.counted(this.mailFrom(address, session)) ?? undefined),
      onRcptTo: (address, session, callback) => callback(this.counted(this.rcptTo(address, session)) ?? undefined),
      onData: (stream, session, callback) => this.data(stream, session, callback),
    });
    // Resets mid-command, mid-TLS or mid-DATA surface here; without a listener
    // the process would crash on them.
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      this.deps.log.info({ code: err.code, err: err.message }, 'client connection error');
    });
  }

  listen(): Promise<AddressInfo> {
    const { host, port } = this.deps.settings;
    return new Promise((resolve, reject) => {
      const netServer = this.server.listen(port, host, () => {
        netServer.off('error', reject);
        resolve(netServer.address() as AddressInfo);
      });
      netServer.once('error', reject);
    });
  }

  /**
   * Graceful stop: refuse new transactions, tell idle sessions 421 now, let
   * transactions in flight finish; smtp-server answers 421 to whatever is still
   * open when shutdownGraceMs runs out.
   */
  async stop(): Promise<void> {
    this.shuttingDown = true;
    for (const connection of this.connections()) {
      if (!connection.session.envelope?.mailFrom) connection.send(C421_SHUTTING_DOWN.code, `${C421_SHUTTING_DOWN.enhanced} ${C421_SHUTTING_DOWN.text}`);
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const state of this.sessions.values()) clearTimeout(state.deadline);
  }

  get activeSessions(): number {
    return this.limiter.active;
  }

  get transactionsInFlight(): number {
    return this.inFlight;
  }

  private connections(): LiveConnection[] {
    return [...this.server.connections] as unknown as LiveConnection[];
  }

  /** Counts a refusal on its way to the client. */
  private counted<T extends Error | null>(err: T): T {
    if (err instanceof SmtpError) this.deps.metrics?.refused(refusalReason(err));
    return err;
  }

  private sendOutOfTurn(sessionId: string, reply: SmtpReply): void {
    const connection = this.connections().find((c) => c.id === sessionId);
    connection?.send(reply.code, `${reply.enhanced} ${reply.text}`);
  }

  private connect(session: SMTPServerSession): SmtpError | null {
    if (this.shuttingDown) return new SmtpError(C421_SHUTTING_DOWN);
    const log = this.deps.log.child({ session: session.id });
    const client = clientKey(session.remoteAddress);
    if (!this.limiter.admit(session.id, client)) {
      log.warn({ ip: session.remoteAddress }, 'connection refused: too many from this address');
      return new SmtpError(C421_TOO_MANY_FROM_IP);
    }
    const deadline = setTimeout(() => {
      log.info('session deadline reached');
      this.sendOutOfTurn(session.id, C421_SESSION_TOO_LONG);
    }, this.deps.settings.sessionTimeoutMs);
    deadline.unref();
    this.sessions.set(session.id, { log, deadline, tenantId: null, client });
    log.debug({ ip: session.remoteAddress, port: session.remotePort }, 'connected');
    return null;
  }

  private close(session: SMTPServerSession): void {
    const state = this.sessions.get(session.id);
    if (state) clearTimeout(state.deadline);
    this.sessions.delete(session.id);
    this.limiter.release(session.id);
  }

  private mailFrom(_address: SMTPServerAddress, session: SMTPServerSession): SmtpError | null {
    // A session that finished its transaction during shutdown gets no new one.
    if (this.shuttingDown) return new SmtpError(C421_SHUTTING_DOWN);
    const state = this.sessions.get(session.id);
    if (!state) return new SmtpError(C451_LOCAL_ERROR);
    // Refused before any byte is sent: the sender keeps the message and retries.
    if (this.deps.diskLow?.()) {
      state.log.warn('free disk space below data.minFreeMb: message refused with 452');
      return new SmtpError(C452_STORAGE_FULL);
    }
    // A transaction is a message: the rate is counted when it starts.
    if (this.messageRate.take(state.client) > 0) {
      state.log.info({ ip: session.remoteAddress }, 'message rate of this client exceeded (smtp.maxMessagesPerClientPerMinute)');
      return new SmtpError(C451_TOO_MANY_MESSAGES);
    }
    return null;
  }

  private rcptTo(address: SMTPServerAddress, session: SMTPServerSession): SmtpError | null {
    const state = this.sessions.get(session.id);
    if (!state) return new SmtpError(C451_LOCAL_ERROR);
    const accepted = session.envelope.rcptTo;
    if (accepted.length >= this.deps.settings.maxRecipients) return new SmtpError(C452_TOO_MANY_RECIPIENTS);
    if (this.recipientRate.take(state.client) > 0) {
      state.log.info({ ip: session.remoteAddress }, 'recipient rate of this client exceeded (smtp.maxRecipientsPerClientPerMinute)');
      return new SmtpError(C451_TOO_MANY_RECIPIENTS);
    }
    try {
      const routed = routeRecipient(address.address, this.deps.tenants);
      // One message belongs to one tenant; recipients of another tenant come back
      // in a transaction of their own (452 makes the sender retry them).
      if (accepted.length === 0) state.tenantId = routed.tenantId;
      else if (state.tenantId !== routed.tenantId) return new SmtpError(C452_ONE_TENANT_PER_MESSAGE);
      return null;
    } catch (err) {
      if (err instanceof SmtpError) {
        state.log.info({ rcpt: address.address, reply: err.responseCode }, 'recipient refused');
        return err;
      }
      state.log.error({ err }, 'recipient lookup failed');
      return new SmtpError(C451_LOCAL_ERROR);
    }
  }

  private data(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void {
    const state = this.sessions.get(session.id);
    const log = state?.log ?? this.deps.log;
    // The id and our Received line are fixed when DATA starts: the envelope is complete then.
    const id = newMessageId();
    const receivedAt = this.deps.now();
    const envelope = envelopeOf(session);
    const incoming = new IncomingMessage({
      prefix: Buffer.from(receivedHeader(envelope, this.deps.settings.hostname, id, receivedAt), 'latin1'),
      maxBytes: this.deps.settings.maxMessageBytes,
      spoolThresholdBytes: this.deps.settings.spoolThresholdBytes,
      spoolPath: () => spoolFileFor(this.deps.dataDir, id).absolute,
      pause: () => stream.pause(),
      resume: () => stream.resume(),
    });
    const deadline = setTimeout(() => {
      log.info({ bytes: incoming.size }, 'DATA deadline reached; nothing stored');
      this.sendOutOfTurn(session.id, C421_DATA_TOO_SLOW);
      finish(new SmtpError(C421_DATA_TOO_SLOW));
      stream.destroy();
    }, this.deps.settings.dataTimeoutMs);
    this.inFlight++;
    let settled = false;
    let ended = false;
    const finish = (err: Error | null, message?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      this.inFlight--;
      if (err) void incoming.discard();
      if (err) this.counted(err);
      else this.deps.metrics?.accepted();
      callback(err, message);
    };
    stream.on('data', (chunk: Buffer) => incoming.push(chunk));
    stream.on('error', (err) => {
      log.info({ err: err.message, bytes: incoming.size }, 'client went away during DATA; nothing stored');
      finish(err);
    });
    // A stream destroyed under us (client gone, deadline) ends with 'close' alone.
    stream.on('close', () => {
      if (!ended) finish(new SmtpError(C451_LOCAL_ERROR));
    });
    stream.on('end', () => {
      ended = true;
      this.accept(incoming, { id, receivedAt, envelope, state, log }).then(
        (reply) => finish(null, reply),
        (err: unknown) => finish(asError(err)),
      );
    });
  }

  /** Turns a received message into a stored one, or into the SmtpError that refuses it. */
  private async accept(
    incoming: IncomingMessage,
    m: { id: string; receivedAt: Date; envelope: Envelope; state: SessionState | undefined; log: Logger },
  ): Promise<string> {
    const limit = this.deps.settings.maxMessageBytes;
    let result: IncomingResult;
    try {
      result = await incoming.finish();
    } catch (err) {
      const full = (err as NodeJS.ErrnoException).code === 'ENOSPC';
      m.log.error({ err }, full ? 'spool disk full: message refused with 452' : 'writing the spool file failed: refused with 451');
      throw new SmtpError(full ? C452_STORAGE_FULL : C451_LOCAL_ERROR);
    }
    if (result.verdict !== 'ok') {
      if (result.verdict === 'too_big') throw new SmtpError(C552_TOO_BIG, { detail: `${C552_TOO_BIG.text}: the limit is ${limit} bytes` });
      m.log.warn({ bytes: incoming.size }, 'refused DATA with bare CR/LF or NUL');
      throw new SmtpError(C550_BAD_DATA);
    }
    if (!m.state || m.state.tenantId === null) throw new SmtpError(C451_LOCAL_ERROR);
    const spoolFile = result.spooled ? spoolFileFor(this.deps.dataDir, m.id).relative : null;
    try {
      await this.deps.committer.commit({
        id: m.id,
        tenantId: m.state.tenantId,
        receivedAt: m.receivedAt.toISOString(),
        envelope: m.envelope,
        size: result.size,
        raw: result.raw,
        spoolFile,
      });
    } catch (err) {
      const full = err instanceof StorageError && err.full;
      m.log.error({ err }, full ? 'storage full: message refused with 452' : 'storing the message failed: refused with 451');
      throw new SmtpError(full ? C452_STORAGE_FULL : C451_LOCAL_ERROR);
    }
    m.state.log.info(
      { message: m.id, size: result.size, rcpts: m.envelope.rcptTo.length, tls: m.envelope.tls !== null, spooled: result.spooled },
      'message accepted',
    );
    return `${C250_QUEUED.enhanced} ${C250_QUEUED.text} ${m.id}`;
  }
}

function envelopeOf(session: SMTPServerSession): Envelope {
  return {
    sessionId: session.id,
    clientIp: session.remoteAddress,
    clientPort: session.remotePort,
    helo: session.hostNameAppearsAs || '',
    mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    rcptTo: session.envelope.rcptTo.map((r) => r.address),
    tls: session.tlsOptions ? { protocol: session.tlsOptions.version ?? 'TLS', cipher: session.tlsOptions.name } : null,
  };
}
