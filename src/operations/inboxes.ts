// Inboxes read over IMAP: add (settings checked, login sealed), remove, and
// test (inbox/probe.ts: log in, open the folder, advice when a step fails).
import { ConflictError, InvalidError, NotFoundError } from '../errors.ts';
import { probeInbox, type InboxSecret, type InboxTestResult } from '../inbox/index.ts';
import type { Context } from '../context.ts';
import type { Inbox, InboxSecurity } from '../store/index.ts';
import { normalizeAddress } from '../store/index.ts';
import { checkedServerHost, isOperator } from './mail-servers.ts';
import { reaches, tenantWithin, type Reach } from './reach.ts';

/** Known providers: their IMAP server and the authserv-id their Authentication-Results carry. */
export const INBOX_PROVIDERS = {
  gmail: { host: 'imap.gmail.com', port: 993, security: 'tls', authservId: 'mx.google.com', tokenUrl: 'https://oauth2.googleapis.com/token' },
  zoho: { host: 'imap.zoho.com', port: 993, security: 'tls', authservId: 'mx.zohomail.com', tokenUrl: null },
  custom: { host: null, port: 993, security: 'tls', authservId: null, tokenUrl: null },
} as const satisfies Record<string, { host: string | null; port: number; security: InboxSecurity; authservId: string | null; tokenUrl: string | null }>;

export type InboxProvider = keyof typeof INBOX_PROVIDERS;

export interface InboxInput {
  tenant: string;
  address: string;
  provider?: InboxProvider | undefined;
  host?: string | undefined;
  port?: number | undefined;
  security?: InboxSecurity | undefined;
  username?: string | undefined;
  /** A password (an app password), or an OAuth2 grant (the token URL defaults to the provider's). */
  credentials: { password: string } | { oauth2: { clientId: string; clientSecret: string; refreshToken: string; tokenUrl?: string | undefined } };
  folder?: string | undefined;
  /** `leave` (default), `seen`, or `move:<folder>`. */
  afterImport?: string | undefined;
  /** Back-fill on the first connection from this day (YYYY-MM-DD); default: everything in the folder. */
  since?: string | undefined;
  /** Whose Authentication-Results to believe; default: the provider's. */
  authservId?: string | undefined;
  /** IMAP without TLS (a server on a trusted network). */
  allowPlain?: boolean | undefined;
}

export async function inboxWithin(ctx: Context, reach: Reach, id: number): Promise<Inbox> {
  const inbox = await ctx.inboxes.get(id);
  if (!inbox || !reaches(reach, inbox.tenantId)) throw new NotFoundError(`no inbox ${id}`, 'inbox');
  return inbox;
}

export function credentialsOf(given: InboxInput['credentials'], presetTokenUrl: string | null): InboxSecret {
  if ('password' in given) {
    if (!given.password) throw new InvalidError('an inbox needs a password (an app password) or an OAuth2 grant', 'password');
    return { password: given.password };
  }
  const tokenUrl = given.oauth2.tokenUrl ?? presetTokenUrl;
  if (!tokenUrl) throw new InvalidError('an OAuth2 grant needs the token URL of its provider', 'oauth2TokenUrl');
  if (!given.oauth2.refreshToken || !given.oauth2.clientId) throw new InvalidError('an OAuth2 grant needs a client id and a refresh token', 'password');
  return { oauth2: { ...given.oauth2, tokenUrl } };
}

export function afterImportOf(value: string | undefined): string {
  const v = value ?? 'leave';
  if (v === 'leave' || v === 'seen') return v;
  if (v.startsWith('move:') && v.length > 'move:'.length) return v;
  throw new InvalidError('after import, a message is left (leave), flagged read (seen) or moved (move:FOLDER)', 'afterImport');
}

function sinceOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidError('since is a day, YYYY-MM-DD', 'since');
  return value;
}

export async function addInbox(ctx: Context, reach: Reach, input: InboxInput): Promise<Inbox> {
  const tenant = await tenantWithin(ctx, reach, input.tenant);
  const address = normalizeAddress(input.address);
  if (!address) throw new InvalidError(`"${input.address}" is not an email address`, 'address');
  const provider = input.provider ?? 'custom';
  if (!Object.hasOwn(INBOX_PROVIDERS, provider))
    throw new InvalidError(`unknown provider "${provider}" (${Object.keys(INBOX_PROVIDERS).join(', ')})`, 'provider');
  const preset = INBOX_PROVIDERS[provider];
  const given = input.host ?? preset.host;
  if (!given) throw new InvalidError('an inbox needs its IMAP server', 'imapHost');
  const security = input.security ?? preset.security;
  if (security !== 'tls' && security !== 'starttls' && security !== 'none')
    throw new InvalidError('IMAP security must be tls (implicit, port 993), starttls (143) or none', 'imapSecurity');
  if (security === 'none' && !input.allowPlain)
    throw new InvalidError('IMAP without TLS sends the password in the clear; allow it explicitly if this server is on a trusted network', 'allowPlain');
  const port = input.port ?? (input.host ? (security === 'tls' ? 993 : 143) : preset.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidError('the IMAP port must be from 1 to 65535', 'imapPort');
  const credentials = credentialsOf(input.credentials, preset.tokenUrl);
  const folder = input.folder ?? 'INBOX';
  if (!folder.trim()) throw new InvalidError('the folder name is empty', 'folder');
  const afterImport = afterImportOf(input.afterImport);
  if (afterImport === `move:${folder}`) throw new InvalidError('moving messages into the folder they are read from would read them again', 'afterImport');
  const since = sinceOf(input.since);
  if ((await ctx.inboxes.list([tenant.id])).some((i) => i.address === address && i.folder === folder))
    throw new ConflictError(`tenant "${tenant.slug}" already reads ${address} (${folder})`, 'address');
  const host = await checkedServerHost(ctx, reach, given, 'the IMAP server', 'imapHost');
  return await ctx.inboxes.add({
    tenantId: tenant.id,
    address,
    host,
    port,
    security,
    username: input.username ?? address,
    sealedSecret: ctx.keyring().seal(JSON.stringify(credentials)),
    folder,
    afterImport,
    since,
    authservId: input.authservId ?? preset.authservId,
    createdAt: ctx.clock.now().toISOString(),
    privateHostAllowed: isOperator(reach),
  });
}

export async function removeInbox(ctx: Context, reach: Reach, id: number): Promise<Inbox> {
  const inbox = await inboxWithin(ctx, reach, id);
  await ctx.inboxes.remove(inbox.id);
  return inbox;
}

/** Connects, logs in and opens the folder, saying what to change when a step fails. */
export async function testInbox(ctx: Context, reach: Reach, id: number): Promise<{ inbox: Inbox; result: InboxTestResult }> {
  const inbox = await inboxWithin(ctx, reach, id);
  const result = await probeInbox(ctx, inbox);
  // The server's own words are the operator's to see only (the stage and the advice stay).
  if (result.ok || isOperator(reach) || result.error?.startsWith('the IMAP server ')) return { inbox, result };
  return { inbox, result: { ...result, error: result.stage === 'login' ? 'could not connect or log in' : 'the folder could not be opened' } };
}
