// "Sign in with Google / Microsoft" for a sending account: the OAuth 2.0
// authorization code flow with PKCE (RFC 7636, S256). The console keeps the
// verifier with the state until the provider sends the browser back; the code
// is traded for a refresh token, sealed at rest like a password, and the relay
// sends with XOAUTH2 as for any OAuth2 account.
import { createHash, randomBytes } from 'node:crypto';
import { InvalidError, NotFoundError, RefusedError } from '../errors.ts';
import type { Config } from '../config/index.ts';
import type { Context } from '../runtime/context.ts';
import type { Account } from '../store/index.ts';
import { addAccount } from './accounts.ts';
import { checkedServerHost } from './mail-servers.ts';
import { tenantWithin, type Reach } from './reach.ts';

export type SignInProvider = 'google' | 'microsoft';

interface OAuthApp {
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
  scope: string;
  /** The sending preset the account gets (host, port, limits). */
  preset: 'gmail' | 'office365';
}

/** The configured app of a provider, or null when its client id is not set. */
export function signInApp(config: Config, provider: string): OAuthApp | null {
  if (provider !== 'google' && provider !== 'microsoft') return null;
  const o = config.oauth;
  const app =
    provider === 'google'
      ? { clientId: o.googleClientId, clientSecret: o.googleClientSecret, authorizeUrl: o.googleAuthorizeUrl, tokenUrl: o.googleTokenUrl, scope: o.googleScope }
      : {
          clientId: o.microsoftClientId,
          clientSecret: o.microsoftClientSecret,
          authorizeUrl: o.microsoftAuthorizeUrl,
          tokenUrl: o.microsoftTokenUrl,
          scope: o.microsoftScope,
        };
  return app.clientId ? { ...app, preset: provider === 'google' ? 'gmail' : 'office365' } : null;
}

/** The account to be, as the administrator asked for it before leaving for the provider. */
export interface SignInRequest {
  provider: SignInProvider;
  tenant: string;
  name: string;
  isDefault: boolean;
  /** A server other than the provider preset's (a relay in between, a test stand-in). */
  host?: string | undefined;
  port?: number | undefined;
  security?: string | undefined;
}

/** What waits for the provider's answer: kept by the caller under `state`, never sent anywhere but the verifier's hash. */
export interface PendingSignIn extends SignInRequest {
  state: string;
  verifier: string;
  redirectUri: string;
  expiresAt: number;
}

const PENDING_MS = 10 * 60_000;
const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/** Where to send the browser (the provider's consent page), and what to keep until it comes back. */
export async function beginAccountSignIn(
  ctx: Context,
  reach: Reach,
  request: SignInRequest,
  redirectUri: string,
): Promise<{ url: string; pending: PendingSignIn }> {
  const app = signInApp(ctx.config, request.provider);
  if (!app) throw new NotFoundError(`sign-in with ${request.provider} is not configured (oauth.${request.provider}ClientId)`, 'provider');
  await tenantWithin(ctx, reach, request.tenant);
  if (!request.name.trim()) throw new InvalidError('the account needs a name', 'name');
  // Said before the trip to the provider, not after it: the server is checked again when the account is added.
  if (request.host) await checkedServerHost(ctx, reach, request.host, 'the SMTP server', 'host');
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(24));
  const url = new URL(app.authorizeUrl);
  const params = {
    response_type: 'code',
    client_id: app.clientId,
    redirect_uri: redirectUri,
    scope: app.scope,
    state,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    // Google gives a refresh token only when asked for offline access, and again only with consent.
    ...(request.provider === 'google' ? { access_type: 'offline', prompt: 'consent' } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { url: url.toString(), pending: { ...request, state, verifier, redirectUri, expiresAt: ctx.clock.now().getTime() + PENDING_MS } };
}

interface TokenAnswer {
  refresh_token?: string;
  id_token?: string;
  error?: string;
  error_description?: string;
}

/** The mailbox the grant is for: the id token's email (Microsoft: preferred_username), as the provider sent it over TLS. */
function mailboxOf(idToken: string | undefined): string | null {
  const payload = idToken?.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { email?: string; preferred_username?: string };
    return claims.email ?? claims.preferred_username ?? null;
  } catch {
    return null;
  }
}

/** Trades the code (with the verifier) for a refresh token and adds the account; the provider's refusal is said in its words. */
export async function completeAccountSignIn(ctx: Context, reach: Reach, pending: PendingSignIn, code: string): Promise<Account> {
  const app = signInApp(ctx.config, pending.provider);
  if (!app) throw new NotFoundError(`sign-in with ${pending.provider} is not configured`, 'provider');
  if (pending.expiresAt < ctx.clock.now().getTime()) throw new RefusedError('the sign-in took longer than 10 minutes: start it again');
  const response = await fetch(app.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: pending.redirectUri,
      client_id: app.clientId,
      client_secret: app.clientSecret,
      code_verifier: pending.verifier,
    }),
    signal: AbortSignal.timeout(15_000),
  });
  const answer = (await response.json().catch(() => ({}))) as TokenAnswer;
  if (!response.ok || !answer.refresh_token) {
    const said = answer.error ? `${answer.error}${answer.error_description ? `: ${answer.error_description}` : ''}` : `HTTP ${response.status}`;
    throw new RefusedError(`${pending.provider} did not grant access (${said}); check the app's client id, secret and redirect URI, then sign in again`);
  }
  const mailbox = mailboxOf(answer.id_token);
  if (!mailbox)
    throw new RefusedError(`${pending.provider} did not say which mailbox was signed in (no email in the id token): ask for the openid and email scopes`);
  const { account } = await addAccount(ctx, reach, {
    tenant: pending.tenant,
    name: pending.name,
    provider: app.preset,
    host: pending.host,
    port: pending.port,
    security: pending.security,
    username: mailbox,
    credentials: { oauth2: { clientId: app.clientId, clientSecret: app.clientSecret, refreshToken: answer.refresh_token, tokenUrl: app.tokenUrl } },
    from: mailbox,
    isDefault: pending.isDefault,
  });
  return account;
}
