// A local stand-in for a customer's mail provider (Gmail, Microsoft 365, ...):
// a real smtp-server on 127.0.0.1 with AUTH (password and XOAUTH2) over implicit
// TLS or STARTTLS, a certificate from its own test CA, and replies the tests can
// script per stage (421, 450, 535, 550, dropped connections). What it accepts it
// keeps, and can pass on to mailroom's MX as the internet would. Also a local
// OAuth2 token endpoint.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ScriptedReply {
  code: number;
  text: string;
}

export interface ProviderOptions {
  secure: boolean;
  users?: Record<string, string>;
  /** XOAUTH2 access tokens the provider accepts. */
  accessTokens?: Set<string>;
  /** Where an accepted message goes on to: a port on 127.0.0.1 (mailroom's MX) for these recipients, or null to keep it only. */
  deliverTo?: (to: readonly string[]) => number | null;
  /** What the provider does with a message before passing it on (a mailbox's redirect or forward rule). */
  passOn?: (mail: ReceivedMail) => { to: string[]; raw: string };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  user: string | undefined;
}

export interface Provider {
  port: number;
  /** PEM of the provider's certificate (self-signed, for 127.0.0.1): pass as --tls-ca. */
  ca: string;
  received: ReceivedMail[];
  /** Replies to give at a stage, used up one per command (then normal service). */
  script: { auth: ScriptedReply[]; mailFrom: ScriptedReply[]; rcpt: ScriptedReply[]; data: ScriptedReply[] };
  /** Close the connection instead of answering DATA, this many times. */
  dropOnData: number;
  close(): Promise<void>;
}

let certificate: Promise<{ cert: string; key: string }> | null = null;

function providerCertificate(): Promise<{ cert: string; key: string }> {
  certificate ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  }).then((p) => ({ cert: p.cert, key: p.private }));
  return certificate;
}

function scripted(reply: ScriptedReply): Error {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}

export async function startProvider(options: ProviderOptions): Promise<Provider> {
  const { cert, key } = await providerCertificate();
  const received: ReceivedMail[] = [];
  const script: Provider['script'] = { auth: [], mailFrom: [], rcpt: [], data: [] };
  const state = { dropOnData: 0 };
  const serverOptions: SMTPServerOptions = {
    secure: options.secure,
    key,
    cert,
    authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
    authOptional: false,
    logger: false,
    onAuth(auth, _session, callback) {
      const reply = script.auth.shift();
      if (reply) return callback(scripted(reply));
      if (auth.method === 'XOAUTH2') {
        if (auth.accessToken && options.accessTokens?.has(auth.accessToken)) return callback(null, { user: auth.username });
        return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
      }
      if (options.users?.[auth.username ?? ''] === auth.password) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('5.7.8 Username and Password not accepted'), { responseCode: 535 }));
    },
    onMailFrom(_address, _session, callback) {
      const reply = script.mailFrom.shift();
      callback(reply ? scripted(reply) : null);
    },
    onRcptTo(_address, _session, callback) {
      const reply = script.rcpt.shift();
      callback(reply ? scripted(reply) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (state.dropOnData > 0) {
          state.dropOnData--;
          // The connection drops before the reply: the client cannot know whether it was taken.
          for (const connection of server.connections) (connection as { _socket: { destroy(): void } })._socket.destroy();
          return;
        }
        const reply = script.data.shift();
        if (reply) return callback(scripted(reply));
        const mail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        };
        received.push(mail);
        const next = options.passOn ? options.passOn(mail) : { to: mail.to, raw: mail.raw };
        const port = options.deliverTo?.(next.to);
        if (!port) return callback();
        const onward = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
        onward.sendMail({ envelope: { from: mail.from, to: next.to }, raw: next.raw }).then(
          () => callback(),
          (err: Error) => callback(Object.assign(new Error(`4.4.0 onward delivery failed: ${err.message}`), { responseCode: 451 })),
        );
      });
    },
  };
  const server = new SMTPServer(serverOptions) as SMTPServer & { connections: Set<unknown> };
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    ca: cert,
    received,
    script,
    get dropOnData() {
      return state.dropOnData;
    },
    set dropOnData(n: number) {
      state.dropOnData = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A local OAuth2 authorization server: its token endpoint trades a known refresh
 * token for an access token; its introspection endpoint (RFC 7662, as Dovecot's
 * oauth2 passdb asks it) says whose that access token is.
 */
export async function startTokenEndpoint(
  refreshToken: string,
  accessToken: string,
  owner = 'recruiter@acme.com',
): Promise<{ url: string; introspectionUrl: string; requests: number; close(): Promise<void> }> {
  const state = { requests: 0 };
  const server: HttpServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/introspect')) {
        const active = params.get('token') === accessToken;
        res.end(JSON.stringify(active ? { active: 'true', email: owner } : { active: 'false' }));
        return;
      }
      state.requests++;
      if (params.get('grant_type') === 'refresh_token' && params.get('refresh_token') === refreshToken) {
        res.end(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'Bad Request' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/token`,
    introspectionUrl: `${base}/introspect`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
