// What the inbox pages need around filing: the suggestions of a message with
// the reason for each, and the notice of the last filing (built from the
// message as it now stands, never from words in the address bar).
import { NotFoundError } from '../errors.ts';
import { messageWithin, UNDO_SECONDS, type Reach } from '../operations/index.ts';
import type { Context } from '../context.ts';
import type { StoredMessage } from '../store/index.ts';
import type { Notice, Suggestion } from './pages-queue.ts';
import { suggestionReason } from './words.ts';

const ADDRESS = /[^\s<>"',;:()]+@[^\s<>"',;:()]+\.[^\s<>"',;:()]+/g;

/**
 * The matcher's suggestions (same address), then candidates whose address a
 * forward or a header names, or (on the message page) whose name is the one
 * the sender gave: never believed enough to file by itself, but exactly who a
 * recruiter would look for.
 */
export async function suggestionsFor(ctx: Context, m: StoredMessage, displayName: string | null = null): Promise<Suggestion[]> {
  if (m.status !== 'unassigned') return [];
  const found = new Map<string, Suggestion>();
  const reason = suggestionReason(m);
  for (const s of m.decision?.suggestions ?? []) found.set(s.externalId, { externalId: s.externalId, name: s.name, reason });
  const named: { address: string; reason: string }[] = [];
  const evidence = m.decision?.evidence ?? {};
  const forwarded = evidence.forward?.originalFrom ?? m.classification?.forward?.originalFrom?.address;
  if (forwarded) named.push({ address: forwarded, reason: 'named in the forwarded header' });
  for (const [header, value] of Object.entries(evidence.hints ?? {}))
    for (const address of String(value).match(ADDRESS) ?? []) named.push({ address, reason: `named in the ${header} header` });
  if (named.length === 0 && !displayName) return [...found.values()];
  const tenantId = await ctx.messages.tenantOf(m.id);
  if (tenantId === null) return [...found.values()];
  for (const { address, reason: why } of named.slice(0, 5))
    for (const c of await ctx.candidates.findByEmail([tenantId], address))
      if (!found.has(c.externalId)) found.set(c.externalId, { externalId: c.externalId, name: c.name, reason: why });
  // The name the sender gave, on a candidate with another address: Jane writing from her private address.
  const name = displayName?.trim().toLowerCase();
  if (name && name.includes(' '))
    for (const c of await ctx.candidates.search(tenantId, name, 5))
      if (c.name.toLowerCase() === name && !found.has(c.externalId))
        found.set(c.externalId, { externalId: c.externalId, name: c.name, reason: 'same name, another address' });
  return [...found.values()];
}

const quoted = (m: StoredMessage): string => `“${m.subject ?? '(no subject)'}”`;

/** The notice for `filed` (a message just filed or dismissed) or `undone` (one put back), if it still stands so. */
export async function noticeFor(ctx: Context, reach: Reach, filed: string | undefined, undone: string | undefined): Promise<Notice | null> {
  const id = filed ?? undone;
  if (!id) return null;
  let m: StoredMessage;
  try {
    m = await messageWithin(ctx, reach, id);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
  if (undone) return m.status === 'unassigned' ? { text: `Undone: ${quoted(m)} waits again.`, undoId: null, conversation: null } : null;
  const undo = m.decision?.undo;
  const canUndo = undo !== undefined && ctx.clock.now().getTime() - Date.parse(undo.at) <= UNDO_SECONDS * 1000;
  const c = m.decision?.candidate;
  if (m.status === 'assigned' && c)
    return { text: `Filed ${quoted(m)} under ${c.name} (${c.externalId}).`, undoId: canUndo ? m.id : null, conversation: `${m.tenant}/${c.externalId}` };
  if (m.status === 'dismissed') return { text: `Dismissed ${quoted(m)}.`, undoId: canUndo ? m.id : null, conversation: null };
  return null;
}
