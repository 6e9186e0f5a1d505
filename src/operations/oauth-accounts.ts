// "Sign in with Google / Microsoft" for a sending account: the OAuth 2.0
// authorization code flow with PKCE (RFC 7636, S256), for the console's
// administrator and for a platform's customer alike. The pending sign-in
// (state, verifier, who started it, the account to be) is kept in the
// database under the state's hash, so the provider may send the browser back
// to any node; it is taken once and lapses after ten minutes. The code is
// traded for a refresh token, sealed at rest like a password, and the relay
// sends with XOAUTH2 as for any OAuth2 account.
import { createHash, randomBytes } from 'node:crypto';
import { DomainError, InvalidError, NotFoundError, RefusedError } from '../errors.ts';
import type { Config } from '../config/index.ts';
import type { Context } from '../context.ts';
import type { Account, StoredSignIn } from '../store/index.ts';
import { addAccount } from './accounts.ts';
import { SignInError, verifiedMailbox } from './oauth-id-token.ts';
import { checkedServerHost } from './mail-servers.ts';
import { tenantWithin, type Reach } from './reach.ts';

export type SignInProvider = 'google' | 'microsoft';

interface OAuthApp {
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
  scope: string;
  issuer: string;
  /** The sending preset the account gets (host, port, limits). */
  preset: 'gmail' | 'office365';
}

/** The configured app of a provider, or null when its client id is not set. */
export function signInApp(config: Config, provider: string): OAuthApp | null {
  if (provider !== 'google' && provider !== 'microsoft') return null;
  const o = config.oauth;
  const app =
    provider === 'google'
      ? {
          clientId: o.googleClientId,
          clientSecret: o.googleClientSecret,
          authorizeUrl: o.googleAuthorizeUrl,
          tokenUrl: o.googleTokenUrl,
          scope: o.googleScope,
          issuer: o.googleIssuer,
        }
      : {
          clientId: o.microsoftClientId,
          clientSecret: o.microsoftClientSecret,
          authorizeUrl: o.microsoftAuthorizeUrl,
          tokenUrl: o.microsoftTokenUrl,
          scope: o.microsoftScope,
          issuer: o.microsoftIssuer,
        };
  return app.clientId ? { ...app, preset: provider === 'google' ? 'gmail' : 'office365' } : null;
}

/** The one callback (the console's and the platform's sign-ins alike), so the provider's app registers one redirect URI. */
export const SIGN_IN_CALLBACK = '/console/accounts/oauth/callback';

/** Where the provider sends the browser back: http.publicUrl behind a proxy, else the origin of the request that started it. */
export const signInRedirectUri = (config: Config, requestUrl: string): string =>
  `${config.http.publicUrl.replace(/\/$/, '') || new URL(requestUrl).origin}${SIGN_IN_CALLBACK}`;

/** The account to be, as asked for before leaving for the provider. */
export interface SignInRequest {
  provider: SignInProvider;
  tenant: string;
  /** Default: the mailbox signed in. */
  name?: string | undefined;
  isDefault?: boolean | undefined;
  /** The console user whose account it is (their default), instead of the tenant's. */
  owner?: string | undefined;
  /** A server other than the provider preset's (a relay in between, a test stand-in). */
  host?: string | undefined;
  port?: number | undefined;
  security?: string | undefined;
}

/** Who starts a sign-in, and so who may finish it: a console session, or the platform (then the browser goes on to its page). */
export type SignInStarter = { session: string } | { platform: string; returnUrl: string };

const PENDING_MS = 10 * 60_000;
const base64url = (bytes: Buffer): string => bytes.toString('base64url');
const hashOf = (text: string): string => createHash('sha256').update(text).digest('hex');
const starterKey = (s: SignInStarter): string => ('session' in s ? `session:${hashOf(s.session)}` : `platform:${s.platform}`);
/** Who finishes a sign-in: the console session that started it, or the callback of a platform's (the state alone is the capability). */
export type SignInFinisher = { session: string } | 'platform';
const mayFinish = (startedBy: string, finisher: SignInFinisher): boolean =>
  finisher === 'platform' ? startedBy.startsWith('platform:') : startedBy === starterKey(finisher);

/** Where to send the browser (the provider's consent page); the sign-in waits in the database. */
export async function beginAccountSignIn(
  ctx: Context,
  reach: Reach,
  request: SignInRequest,
  redirectUri: string,
  starter: SignInStarter,
): Promise<{ url: string; expiresAt: string }> {
  const app = signInApp(ctx.config, request.provider);
  if (!app) throw new NotFoundError(`sign-in with ${request.provider} is not configured (oauth.${request.provider}ClientId)`, 'provider');
  // The browser comes back with the new account's id: only to a page the operator allowed.
  if ('returnUrl' in starter && !allowedReturnUrl(ctx.config, starter.returnUrl))
    throw new RefusedError(`returnUrl ${starter.returnUrl} is not under one of oauth.allowedReturnUrls (same origin, path at or under an allowed one)`);
  const tenant = await tenantWithin(ctx, reach, request.tenant);
  if (request.name !== undefined && !request.name.trim()) throw new InvalidError('the account needs a name', 'name');
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
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + PENDING_MS).toISOString();
  await ctx.oauthSignIns.add(
    hashOf(state),
    {
      tenantId: tenant.id,
      provider: request.provider,
      startedBy: starterKey(starter),
      request: { ...request, tenant: tenant.slug, ...('returnUrl' in starter ? { returnUrl: starter.returnUrl } : {}) },
      verifier,
      redirectUri,
      expiresAt,
    },
    now.toISOString(),
  );
  return { url: url.toString(), expiresAt };
}

/** Where a platform's sign-in sends the browser when it ends, or null for the console's own (or an unknown state). */
export async function signInReturnUrl(ctx: Context, state: string): Promise<string | null> {
  const waiting = await ctx.oauthSignIns.peek(hashOf(state), ctx.clock.now().toISOString());
  const returnUrl = waiting?.request.returnUrl;
  return typeof returnUrl === 'string' ? returnUrl : null;
}

/** Ends a platform's sign-in the person refused at the provider: it is spent, nothing is added. */
export async function abandonSignIn(ctx: Context, state: string): Promise<void> {
  await ctx.oauthSignIns.take(hashOf(state), ctx.clock.now().toISOString());
}

interface TokenAnswer {
  refresh_token?: string;
  id_token?: string;
  error?: string;
  error_description?: string;
}

/**
 * Finishes the sign-in of a state for whoever started it: takes it (once),
 * trades the code with the verifier, checks the id token and adds the account
 * within the reach it was started in. Errors are SignInErrors with a code.
 */
export async function completeAccountSignIn(ctx: Context, state: string, code: string, finisher: SignInFinisher, reach?: Reach): Promise<Account> {
  const now = ctx.clock.now();
  const key = hashOf(state);
  // Only who started it may finish it: someone else's link leaves it in place for its owner.
  const waiting = await ctx.oauthSignIns.peek(key, now.toISOString());
  const taken = waiting && mayFinish(waiting.startedBy, finisher) ? await ctx.oauthSignIns.take(key, now.toISOString()) : null;
  if (!taken) throw new SignInError('unknown_sign_in', 'This sign-in is unknown, was used already, expired, or was started elsewhere: start it again.');
  const app = signInApp(ctx.config, taken.provider);
  if (!app) throw new NotFoundError(`sign-in with ${taken.provider} is not configured`, 'provider');
  const refreshToken = await tradeCode(app, taken, code);
  const mailbox = verifiedMailbox(refreshToken.idToken, {
    provider: taken.provider as SignInProvider,
    issuer: app.issuer,
    clientId: app.clientId,
    nowMs: now.getTime(),
  });
  const request = taken.request as unknown as SignInRequest;
  try {
    const { account } = await addAccount(ctx, reach ?? { tenantIds: [taken.tenantId] }, {
      tenant: request.tenant,
      name: request.name?.trim() || mailbox,
      provider: app.preset,
      host: request.host,
      port: request.port,
      security: request.security,
      owner: request.owner,
      username: mailbox,
      credentials: { oauth2: { clientId: app.clientId, clientSecret: app.clientSecret, refreshToken: refreshToken.token, tokenUrl: app.tokenUrl } },
      from: mailbox,
      isDefault: request.isDefault ?? false,
    });
    return account;
  } catch (err) {
    if (err instanceof DomainError) throw new SignInError('account_refused', err.message);
    throw err;
  }
}

/** The code (with the verifier) for a refresh token; the provider's refusal is said in its words. */
async function tradeCode(app: OAuthApp, pending: StoredSignIn, code: string): Promise<{ token: string; idToken: string | undefined }> {
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
    throw new SignInError(
      'grant_refused',
      `${pending.provider} did not grant access (${said}); check the app's client id, secret and redirect URI, then sign in again`,
    );
  }
  return { token: answer.refresh_token, idToken: answer.id_token };
}

/**
 * Whether a platform's return URL is one the operator allowed
 * (oauth.allowedReturnUrls): the same origin exactly, and a path at or under
 * an allowed one, so the browser (with the new account's id) goes nowhere else.
 */
export function allowedReturnUrl(config: Config, returnUrl: string): boolean {
  let given: URL;
  try {
    given = new URL(returnUrl);
  } catch {
    return false;
  }
  if ((given.protocol !== 'https:' && given.protocol !== 'http:') || given.username || given.password) return false;
  return config.oauth.allowedReturnUrls
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .some((entry) => {
      const allowed = new URL(entry);
      const base = allowed.pathname.endsWith('/') ? allowed.pathname : `${allowed.pathname}/`;
      return allowed.origin === given.origin && (given.pathname === allowed.pathname || given.pathname.startsWith(base));
    });
}
