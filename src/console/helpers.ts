// What the console's routes share: the session's variables, form fields, the
// cookie, and the guard for administrators' pages.
import type { Context as HonoContext } from 'hono';
import { timingSafeEqual } from 'node:crypto';
import { listAccounts, type Reach, type SignedIn } from '../operations/index.ts';
import type { Context } from '../context.ts';
import { page } from './pages.ts';

export type ConsoleEnv = { Variables: { signedIn: SignedIn; sessionId: string } };
export type ConsoleContext = HonoContext<ConsoleEnv>;

export const COOKIE = 'mailroom_session';

/** What a console page may load: itself (its styles, the console's one script, the candidate search), nothing else; no one may frame it. Forms post to us, or to the origins named. */
export function pagePolicy(formTargets: readonly string[] = []): string {
  const forms = ["'self'", ...formTargets].join(' ');
  return `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; form-action ${forms}; frame-ancestors 'none'; base-uri 'none'`;
}
/** Rows on a page of a list (the queue, the outbound queue, a delivery log). */
export const PAGE = 50;

/** Equal in constant time; compares bytes, since a string of multibyte characters is longer in bytes than in characters. */
export const sameText = (a: string, b: string): boolean => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Behind a TLS proxy (X-Forwarded-Proto) or on https: the cookie is Secure. */
export const secure = (c: HonoContext): boolean => new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';

export function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value : '';
}

/** Pages for administrators and operators: a recruiter is told so. */
export async function adminOnly(c: ConsoleContext, next: () => Promise<void>): Promise<Response | void> {
  const { user } = c.get('signedIn');
  if (user.role === 'recruiter') return c.html(page('Not allowed', 'This page is for administrators.', user), 403);
  await next();
}

/** Account names by id ("name (from address)"), for the pages that would otherwise show ids. */
export async function accountNames(ctx: Context, reach: Reach): Promise<Map<number, string>> {
  return new Map((await listAccounts(ctx, reach)).map((a) => [a.id, `${a.name} (${a.fromAddress})`]));
}
