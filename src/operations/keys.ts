// The secret key that seals passwords at rest and the keys that sign reply
// tokens: what exists (never the keys themselves), rotation, and removing an
// old reply-token key. Operator business: the CLI calls these with every tenant
// in reach.
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { TokenKeyInfo } from '../store/index.ts';
import { keyFilePath } from '../secrets/keyring.ts';
import { rotateKeys, type RotationResult } from './key-rotation.ts';

export interface KeyReport {
  secretKey: { id: string; source: string; readable: string[] };
  sealedSecretsByKey: Record<string, number>;
  tokenKeys: TokenKeyInfo[];
}

export async function listKeys(ctx: Context): Promise<KeyReport> {
  const ring = ctx.keyring();
  return {
    secretKey: { id: ring.current.id, source: ctx.config.secret.key ? 'MAILROOM_SECRET_KEY' : keyFilePath(ctx.config.data.dir), readable: ring.ids },
    sealedSecretsByKey: await ctx.sealed.countByKeyId(),
    tokenKeys: await ctx.tokenKeys.list(),
  };
}

/** Re-seals every stored secret with a new key (key file), or with MAILROOM_SECRET_KEY after MAILROOM_SECRET_PREVIOUS_KEY. */
export function rotateSecretKey(ctx: Context): Promise<RotationResult> {
  return rotateKeys(ctx.sealed, { dataDir: ctx.config.data.dir, ...ctx.config.secret });
}

/** A new reply-token signing key; tokens already sent keep working. */
export async function addReplyTokenKey(ctx: Context): Promise<string> {
  return await ctx.tokenKeys.add(ctx.keyring(), ctx.clock.now().toISOString());
}

/** Removes an old reply-token key: replies with its tokens become bad_token. The last key stays. */
export async function removeReplyTokenKey(ctx: Context, kid: string): Promise<void> {
  const keys = await ctx.tokenKeys.list();
  if (!keys.some((k) => k.kid === kid)) throw new NotFoundError(`no reply-token key ${kid}`, 'tokenKey');
  if (keys.length === 1) throw new ConflictError('that is the only reply-token key; add a new one first (npx mailroom keys rotate-tokens)');
  await ctx.tokenKeys.remove(kid);
}
