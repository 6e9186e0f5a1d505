// Which mailbox a Google or Microsoft sign-in is for, read from the id token
// the token endpoint answered (OpenID Connect Core 3.1.3.7). The token comes
// straight from the provider's token endpoint over TLS, so TLS stands in for
// its signature (allowed there, item 6); its claims are still checked: the
// issuer, that it was issued to our client (aud, azp), that it has not
// expired, and that the provider has verified the address. Microsoft's
// preferred_username is a sign-in name that may be any string the directory
// holds, never proof of a mailbox: only a verified `email` counts.
import { RefusedError } from '../errors.ts';

/** Why a sign-in could not finish, as a code the platform's page can act on (the query parameter `error`). */
export type SignInErrorCode =
  | 'unknown_sign_in'
  | 'access_denied'
  | 'grant_refused'
  | 'invalid_id_token'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired_id_token'
  | 'no_email'
  | 'unverified_email'
  | 'account_refused';

export class SignInError extends RefusedError {
  readonly code: SignInErrorCode;

  constructor(code: SignInErrorCode, message: string) {
    super(message, 'code');
    this.code = code;
  }
}

export interface IdTokenRules {
  provider: 'google' | 'microsoft';
  /** The expected `iss`; `{tenantid}` stands for the token's own `tid` (Microsoft's multi-tenant endpoint). */
  issuer: string;
  clientId: string;
  nowMs: number;
}

/** Clock difference tolerated on `exp`. */
const SKEW_MS = 2 * 60_000;

type Claims = Record<string, unknown>;

function claimsOf(idToken: string | undefined): Claims {
  const payload = idToken?.split('.')[1];
  if (!payload) throw new SignInError('invalid_id_token', 'the provider answered without an id token: ask for the openid and email scopes');
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (claims && typeof claims === 'object' && !Array.isArray(claims)) return claims as Claims;
  } catch {
    // said below
  }
  throw new SignInError('invalid_id_token', 'the id token from the provider could not be read');
}

function expectedIssuers(rules: IdTokenRules, claims: Claims): string[] {
  const tid = typeof claims.tid === 'string' ? claims.tid : '';
  const issuer = rules.issuer.replace('{tenantid}', tid);
  // Google writes its issuer with or without the scheme (its OpenID documentation says both occur).
  return issuer.startsWith('https://') ? [issuer, issuer.slice('https://'.length)] : [issuer];
}

/** The mailbox the grant is for, once the id token's claims hold; a SignInError saying which did not. */
export function verifiedMailbox(idToken: string | undefined, rules: IdTokenRules): string {
  const claims = claimsOf(idToken);
  const provider = rules.provider === 'google' ? 'Google' : 'Microsoft';
  if (typeof claims.iss !== 'string' || !expectedIssuers(rules, claims).includes(claims.iss))
    throw new SignInError('wrong_issuer', `the id token was issued by ${JSON.stringify(claims.iss ?? null)}, not ${provider} (oauth.${rules.provider}Issuer)`);
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audience.includes(rules.clientId) || (audience.length > 1 && claims.azp !== rules.clientId))
    throw new SignInError('wrong_audience', 'the id token was issued to another application than this client id');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 + SKEW_MS < rules.nowMs)
    throw new SignInError('expired_id_token', 'the id token has expired: sign in again');
  const email = typeof claims.email === 'string' ? claims.email.trim() : '';
  if (!email)
    throw new SignInError(
      'no_email',
      rules.provider === 'microsoft'
        ? 'Microsoft did not say which mailbox was signed in: add the optional claims email and xms_edov to the app registration (the sign-in name alone is not a mailbox)'
        : 'Google did not say which mailbox was signed in: ask for the email scope',
    );
  // Google says email_verified; Microsoft, when the optional claim is configured, xms_edov (the domain owner verified the address).
  const verified = claims.email_verified === true || claims.email_verified === 'true' || claims.xms_edov === true || claims.xms_edov === '1';
  if (!verified) throw new SignInError('unverified_email', `${provider} has not verified that ${email} belongs to the person who signed in`);
  return email;
}
