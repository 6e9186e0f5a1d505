// A stand-in OAuth 2.0 authorization server on loopback, as Google's or
// Microsoft's behave for the authorization code flow with PKCE: /authorize
// answers at once (the person "consents") with a code bound to the S256
// challenge, /token trades it only for the matching verifier, client secret
// and redirect URI (a refresh token, an access token, an id token naming the
// mailbox), and later refreshes the access token for XOAUTH2. The id token's
// claims are a real provider's (iss: the stand-in's URL, aud: the client id,
// exp, email_verified); a test overrides them to play a provider's mistake or
// an attacker's token (`claims`, where undefined removes a claim).
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInAuthServer {
  url: string;
  clientId: string;
  clientSecret: string;
  /** The access token XOAUTH2 logins carry (give it to the stand-in SMTP provider). */
  accessToken: string;
  /** Token requests refused, with the reason (a wrong verifier shows here). */
  refused: string[];
  /** Changes to the next id tokens' claims (undefined removes one). */
  claims: Record<string, unknown>;
  close(): Promise<void>;
}

export async function startAuthServer(mailbox: string): Promise<StandInAuthServer> {
  const clientId = 'mailroom-test-client';
  const clientSecret = 'client-secret-1';
  const accessToken = `at-${randomBytes(8).toString('hex')}`;
  const refreshToken = `rt-${randomBytes(8).toString('hex')}`;
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const refused: string[] = [];
  const claims: Record<string, unknown> = {};
  let url = '';
  const idToken = (): string => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { iss: url, aud: clientId, sub: '1', iat: now, exp: now + 3600, email: mailbox, email_verified: true, ...claims };
    return ['{"alg":"RS256","kid":"stand-in"}', JSON.stringify(payload)].map((part) => Buffer.from(part).toString('base64url')).join('.') + '.c2lnbmF0dXJl';
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname === '/authorize') {
      const p = url.searchParams;
      if (p.get('client_id') !== clientId || p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
        res.statusCode = 400;
        return res.end('bad authorization request');
      }
      const code = randomBytes(12).toString('hex');
      codes.set(code, { challenge: p.get('code_challenge') ?? '', redirectUri: p.get('redirect_uri') ?? '' });
      const back = new URL(p.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', p.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const p = new URLSearchParams(body);
      const answer = (status: number, json: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const refuse = (why: string): void => {
        refused.push(why);
        answer(400, { error: 'invalid_grant', error_description: why });
      };
      if (p.get('client_id') !== clientId || p.get('client_secret') !== clientSecret) return refuse('wrong client');
      if (p.get('grant_type') === 'refresh_token') {
        return p.get('refresh_token') === refreshToken
          ? answer(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 })
          : refuse('unknown refresh token');
      }
      const issued = codes.get(p.get('code') ?? '');
      if (!issued) return refuse('unknown or used code');
      codes.delete(p.get('code') ?? '');
      if (issued.redirectUri !== p.get('redirect_uri')) return refuse('redirect_uri differs');
      if (
        createHash('sha256')
          .update(p.get('code_verifier') ?? '')
          .digest('base64url') !== issued.challenge
      )
        return refuse('code_verifier does not match');
      answer(200, { access_token: accessToken, refresh_token: refreshToken, id_token: idToken(), token_type: 'Bearer', expires_in: 3600 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    clientId,
    clientSecret,
    accessToken,
    refused,
    claims,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
