// `mailroom accounts test`: the connection test in stages, stopping at the first
// that fails and saying what to do. Resolve the host, connect, TLS (implicit or
// STARTTLS), EHLO, AUTH, and MAIL FROM accepted for the From address (the
// transaction is then abandoned before any message data, so nothing is sent).
import { connect as tcpConnect } from 'node:net';
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import { DomainError, RefusedError } from '../errors.ts';
import { checkedMailServer, NoAddressError, type MailServerGuard } from '../net/index.ts';
import type { Account, AccountSecret } from '../store/index.ts';
import { adviceFor, readableError, type Stage } from './advice.ts';
import { failureOf } from './failure.ts';
import { closeImap, imapErrorText } from '../imap-client/index.ts';
import { findSentFolder, imapLogin, openImap } from './account-imap.ts';
import { transportOptions } from './transport.ts';

export interface DiagnosisResult {
  ok: boolean;
  /** The stage that failed, or the last one passed when ok. */
  stage: Stage;
  error: string | null;
  advice: string | null;
  /** Every stage reached, with how long it took. */
  stages: { stage: Stage; ok: boolean; ms: number }[];
}

export interface DiagnoseOptions {
  connectionTimeoutMs: number;
  hostname: string;
  /** How the account's servers are resolved and checked (public only, unless allowed) before the test connects. */
  guard: MailServerGuard;
  /**
   * For a caller who is not the operator: a failure says only the stage and
   * the server's reply code, never the server's words or which network error
   * it was (a refused port and a silent one look the same).
   */
  redact?: boolean;
  /** Our public sending addresses (checks.sendingAddresses), named in the advice for IP allowlists. */
  sendingAddresses?: readonly string[];
  /** The account's own IMAP credentials, when it files sent copies with credentials apart from SMTP's. */
  imapSecret?: AccountSecret | null;
}

interface SmtpError {
  code?: string;
  response?: string;
  command?: string;
  message?: string;
}

/**
 * What went wrong, in one line: a server's reply is cut to its code and first
 * line (a banner or multi-line reply of someone else's server is not ours to
 * relay to whoever runs the test), and kept short.
 */
function describe(err: unknown): string {
  const e = err as SmtpError;
  const text = readableError(e?.response ?? e?.message ?? String(err));
  const first = text.split(/\r?\n/)[0] ?? '';
  return first.length > 300 ? `${first.slice(0, 300)}…` : first;
}

const REFUSED_ADVICE =
  "use the provider's public server name; a server on a private network is set up by the operator (or allowed for every account with relay.allowPrivateNetworks).";

/**
 * A failure in words that tell a caller who is not the operator nothing about
 * someone else's server beyond the stage and its reply code: the enhanced code
 * stays (the known providers' advice keys on it), the server's text does not;
 * a TLS failure says only which kind it was, from our own TLS stack.
 */
function redacted(stage: Stage, err: unknown): string {
  const e = err as SmtpError;
  const { code, enhancedCode } = failureOf(err);
  if (code !== null) return `the server answered ${code}${enhancedCode ? ` ${enhancedCode}` : ''}`;
  if (stage === 'tls') {
    const text = `${e?.code ?? ''} ${e?.message ?? ''}`;
    if (/certificate|self[- ]signed|unable to verify|altnames/i.test(text)) return 'TLS failed: the certificate is not trusted or does not name this host';
    if (/wrong version number|packet length too long|unknown protocol/i.test(text))
      return 'TLS failed: wrong version number (the port does not speak TLS first)';
    return 'TLS failed';
  }
  return stage === 'connect' ? 'could not connect' : `no usable answer at the ${stage.replace('_', ' ')} step`;
}

/** Which stage a connect() error belongs to. */
function connectStage(err: unknown): Stage {
  return failureOf(err).cause === 'tls' ? 'tls' : 'ehlo';
}

/** The stages as they pass or fail, each timed; a failure becomes the result, with its advice. */
function stageRecorder(account: Account, options: DiagnoseOptions) {
  const stages: DiagnosisResult['stages'] = [];
  const context = {
    port: account.port,
    security: account.security,
    host: account.host,
    provider: account.provider,
    imapPort: account.sentCopy.port,
    sendingAddresses: options.sendingAddresses ?? [],
  };
  let started = performance.now();
  const pass = (stage: Stage): void => {
    stages.push({ stage, ok: true, ms: Math.round(performance.now() - started) });
    started = performance.now();
  };
  const fail = (stage: Stage, err: unknown): DiagnosisResult => {
    stages.push({ stage, ok: false, ms: Math.round(performance.now() - started) });
    // The rules' own refusal (a private server) names the rule: said as it is.
    if (err instanceof RefusedError && !(err instanceof NoAddressError)) return { ok: false, stage, error: err.message, advice: REFUSED_ADVICE, stages };
    if (err instanceof DomainError) return { ok: false, stage, error: err.message, advice: adviceFor(stage, err.message, context), stages };
    const error = options.redact ? redacted(stage, err) : describe(err);
    return { ok: false, stage, error, advice: adviceFor(stage, error, context), stages };
  };
  return { stages, pass, fail };
}

type StageRecorder = ReturnType<typeof stageRecorder>;
type CheckedServer = Awaited<ReturnType<typeof checkedMailServer>>;

export async function diagnoseAccount(account: Account, secret: AccountSecret, options: DiagnoseOptions): Promise<DiagnosisResult> {
  const recorder = stageRecorder(account, options);
  const { pass, fail } = recorder;
  let pin: CheckedServer;
  try {
    pin = await checkedMailServer(options.guard, account, account.host, 'the SMTP server');
    pass('resolve');
  } catch (err) {
    return fail('resolve', err);
  }

  try {
    await tcpProbe(pin.address, account.port, options.connectionTimeoutMs);
    pass('connect');
  } catch (err) {
    return fail('connect', err);
  }
  return diagnoseSmtp(account, secret, options, pin, recorder);
}

/** The SMTP conversation, stage by stage (TLS, EHLO, AUTH, MAIL FROM), then the sent copy's IMAP side. */
async function diagnoseSmtp(
  account: Account,
  secret: AccountSecret,
  options: DiagnoseOptions,
  pin: CheckedServer,
  recorder: StageRecorder,
): Promise<DiagnosisResult> {
  const { stages, pass, fail } = recorder;
  // Connects to the address checked above, keeping the host name for TLS.
  const connection = new SMTPConnection(
    transportOptions(account, secret, { connectionTimeoutMs: options.connectionTimeoutMs, pool: false, name: options.hostname }, pin) as ConstructorParameters<
      typeof SMTPConnection
    >[0],
  );
  // Failures (to connect, or a connection lost later) arrive as events, not
  // always through the callbacks: each stage's promise listens for them.
  let failed: (err: Error) => void = () => undefined;
  connection.on('error', (err: Error) => failed(err));
  connection.on('end', () => failed(new Error('the server closed the connection')));
  const step = (run: (done: (err?: Error | null) => void) => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      failed = reject;
      run((err) => (err ? reject(err) : resolve()));
    });
  try {
    try {
      await step((done) => connection.connect(() => done()));
    } catch (err) {
      return fail(connectStage(err), err);
    }
    if (account.security !== 'none') pass('tls');
    pass('ehlo');

    try {
      await step((done) => connection.login(loginData(account, secret), (err?: Error | null) => done(err)));
      pass('auth');
    } catch (err) {
      return fail('auth', err);
    }

    try {
      await step((done) => mailFromOnly(connection, account.fromAddress, done));
      pass('mail_from');
    } catch (err) {
      return fail('mail_from', err);
    }
    if (account.sentCopy.mode !== 'imap') return { ok: true, stage: 'mail_from', error: null, advice: null, stages };
    return (await diagnoseSentCopy(account, secret, options, pass, fail)) ?? { ok: true, stage: 'sent_folder', error: null, advice: null, stages };
  } finally {
    connection.close();
  }
}

/** The IMAP side of an account that files sent copies: the login, then the Sent folder found; null when both pass. */
async function diagnoseSentCopy(
  account: Account,
  secret: AccountSecret,
  options: DiagnoseOptions,
  pass: (stage: Stage) => void,
  fail: (stage: Stage, err: unknown) => DiagnosisResult,
): Promise<DiagnosisResult | null> {
  let client: Awaited<ReturnType<typeof openImap>> | null = null;
  try {
    try {
      client = await openImap(account, options.guard, imapLogin(account, secret, options.imapSecret ?? null), options.connectionTimeoutMs);
      pass('imap_login');
    } catch (err) {
      return fail('imap_login', err instanceof DomainError ? err : new Error(imapErrorText(err)));
    }
    try {
      await findSentFolder(client, account.sentCopy.folder);
      pass('sent_folder');
    } catch (err) {
      return fail('sent_folder', err);
    }
    return null;
  } finally {
    await closeImap(client);
  }
}

function loginData(account: Account, secret: AccountSecret): Parameters<SMTPConnection['login']>[0] {
  if (secret.oauth2) {
    const oauth2 = new XOAuth2({ user: account.username, ...secret.oauth2, accessUrl: secret.oauth2.tokenUrl });
    return { type: 'OAuth2', user: account.username, method: 'XOAUTH2', oauth2 } as Parameters<SMTPConnection['login']>[0];
  }
  return { credentials: { user: account.username, pass: secret.password ?? '' } };
}

/** A bare TCP connect, so a refused or filtered port is told apart from TLS and SMTP trouble. */
function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`ETIMEDOUT: no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * MAIL FROM (and RCPT TO the same address) without sending: the message stream
 * fails on its first read, so the transaction is abandoned before the end of
 * DATA and the server delivers nothing. A stream failure means the envelope
 * was accepted.
 */
function mailFromOnly(connection: SMTPConnection, from: string, done: (err?: Error | null) => void): void {
  const body = new Readable({
    read() {
      this.destroy(new Error('connection test: no message is sent'));
    },
  });
  connection.send({ from, to: [from] }, body, (err) => {
    const code = (err as SmtpError | null)?.code;
    done(!err || code === 'ESTREAM' ? null : err);
  });
}
