// People who use the web console: added by an operator (or a tenant's admin)
// with a one-time link to set their own password; signing in makes a session
// whose reach is the user's tenant and its subcompanies (an operator's: every
// tenant), exactly as an API token's. Secrets are kept only as hashes.
import { createHash, randomBytes } from 'node:crypto';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import { hashPassword, NO_USER_HASH, verifyPassword, weakPasswordReason } from '../secrets/index.ts';
import { normalizeAddress, type ConsoleRole, type ConsoleUser } from '../store/index.ts';
import { ALL_TENANTS, reaches, tenantWithin, type Reach } from './reach.ts';

/** How long a setup link works. */
const SETUP_HOURS = 72;
/** How long a session lasts without signing in again. */
export const SESSION_HOURS = 12;
const MIN_PASSWORD = 12;

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const token = (): string => randomBytes(24).toString('base64url');

export interface SignedIn {
  user: ConsoleUser;
  reach: Reach;
  csrf: string;
}

/**
 * The one spelling of a console user's address, for storing, signing in and
 * the per-address sign-in limit alike: Unicode NFKC (full-width letters fold
 * to ASCII), lower case, no trailing dot on the domain. Whitespace inside it,
 * or anything else that is not an address, is refused rather than cleaned up,
 * so `rick @acme.com` is not rick@acme.com.
 */
export function consoleAddress(input: string): string | null {
  const text = input.normalize('NFKC').trim();
  if (/\s/u.test(text)) return null;
  return normalizeAddress(text);
}

async function reachOf(ctx: Context, user: ConsoleUser): Promise<Reach> {
  return user.tenantId === null ? ALL_TENANTS : { tenantIds: await ctx.tenants.subtreeIds(user.tenantId) };
}

function setupLink(ctx: Context): { token: string; hash: string; expiresAt: string } {
  const t = token();
  return { token: t, hash: sha256(t), expiresAt: new Date(ctx.clock.now().getTime() + SETUP_HOURS * 3_600_000).toISOString() };
}

/** Adds a console user; the returned token goes into the one-time link that sets the password. */
export async function addConsoleUser(
  ctx: Context,
  reach: Reach,
  input: { tenant?: string | undefined; email: string; role: string },
): Promise<{ user: ConsoleUser; setupToken: string; expiresAt: string }> {
  const email = consoleAddress(input.email);
  if (!email) throw new InvalidError(`"${input.email}" is not an email address`, 'email');
  if (input.role !== 'recruiter' && input.role !== 'admin' && input.role !== 'operator')
    throw new InvalidError('a console user is a recruiter, an admin or an operator', 'role');
  const role: ConsoleRole = input.role;
  if (role === 'operator' && input.tenant) throw new InvalidError('an operator sees every tenant: give no tenant', 'tenant');
  if (role !== 'operator' && !input.tenant) throw new InvalidError('a recruiter or admin belongs to a tenant', 'tenant');
  if (role === 'operator' && reach.tenantIds !== 'all') throw new ForbiddenError('only an operator adds operators');
  const tenant = input.tenant ? await tenantWithin(ctx, reach, input.tenant) : null;
  if (await ctx.consoleUsers.byEmail(email)) throw new ConflictError(`${email} is already a console user`, 'email');
  const link = setupLink(ctx);
  const user = await ctx.consoleUsers.add({
    tenantId: tenant?.id ?? null,
    email,
    role,
    setupHash: link.hash,
    setupExpiresAt: link.expiresAt,
    createdAt: ctx.clock.now().toISOString(),
  });
  return { user, setupToken: link.token, expiresAt: link.expiresAt };
}

export async function consoleUserWithin(ctx: Context, reach: Reach, id: number): Promise<ConsoleUser> {
  const user = await ctx.consoleUsers.get(id);
  const visible = user && (user.tenantId === null ? reach.tenantIds === 'all' : reaches(reach, user.tenantId));
  if (!user || !visible) throw new NotFoundError(`no console user ${id}`, 'user');
  return user;
}

/** A new one-time link (a forgotten password); the old password works until it is used. */
export async function resetConsoleUser(ctx: Context, reach: Reach, id: number): Promise<{ user: ConsoleUser; setupToken: string; expiresAt: string }> {
  const user = await consoleUserWithin(ctx, reach, id);
  const link = setupLink(ctx);
  await ctx.consoleUsers.renewSetup(user.id, link.hash, link.expiresAt);
  return { user, setupToken: link.token, expiresAt: link.expiresAt };
}

export async function removeConsoleUser(ctx: Context, reach: Reach, id: number): Promise<ConsoleUser> {
  const user = await consoleUserWithin(ctx, reach, id);
  await ctx.consoleUsers.remove(user.id);
  return user;
}

/** The user a setup link is for, while it works. */
export async function setupUser(ctx: Context, setupToken: string): Promise<ConsoleUser> {
  const user = await ctx.consoleUsers.bySetupHash(sha256(setupToken), ctx.clock.now().toISOString());
  if (!user) throw new NotFoundError('this link is unknown, used or expired: ask for a new one', 'setup');
  return user;
}

/** Sets the password through the one-time link, which is then spent. */
export async function completeSetup(ctx: Context, setupToken: string, password: string): Promise<ConsoleUser> {
  const user = await setupUser(ctx, setupToken);
  if (password.length < MIN_PASSWORD) throw new InvalidError(`a password has at least ${MIN_PASSWORD} characters`, 'password');
  if (password.toLowerCase().includes(user.email.split('@')[0] as string)) throw new InvalidError('a password must not contain the user name', 'password');
  const weak = await weakPasswordReason(password, [user.email, ...user.email.split(/[@.]/)]);
  if (weak) throw new InvalidError(weak, 'password');
  await ctx.consoleUsers.setPassword(user.id, await hashPassword(password));
  return user;
}

/** Checks the password; a new session (its id goes into the cookie) or null. A wrong address costs as long as a wrong password. */
export async function signIn(ctx: Context, email: string, password: string): Promise<{ sessionId: string; signedIn: SignedIn } | null> {
  const address = consoleAddress(email);
  const user = address ? await ctx.consoleUsers.byEmail(address) : null;
  const ok = await verifyPassword(password, user?.passwordHash ?? NO_USER_HASH);
  if (!user || !user.passwordHash || !ok) return null;
  const sessionId = token();
  const csrf = token();
  const now = ctx.clock.now();
  await ctx.consoleUsers.createSession(sha256(sessionId), user.id, csrf, now.toISOString(), new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString());
  return { sessionId, signedIn: { user, reach: await reachOf(ctx, user), csrf } };
}

/** The signed-in user of a session cookie, or null (unknown or expired). */
export async function sessionOf(ctx: Context, sessionId: string): Promise<SignedIn | null> {
  const session = await ctx.consoleUsers.session(sha256(sessionId), ctx.clock.now().toISOString());
  const user = session ? await ctx.consoleUsers.get(session.userId) : null;
  return session && user ? { user, reach: await reachOf(ctx, user), csrf: session.csrf } : null;
}

export async function signOut(ctx: Context, sessionId: string): Promise<void> {
  await ctx.consoleUsers.endSession(sha256(sessionId));
}
