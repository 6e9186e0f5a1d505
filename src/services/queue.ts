// Clearing the unassigned queue by hand, shared by the CLI and the HTTP API:
// assigning a message to a candidate (optionally remembering the sender's
// address on the candidate) and dismissing it.
import type { Context } from '../runtime/context.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Candidate, StoredMessage } from '../store/index.ts';

export function assignByHand(
  ctx: Context,
  message: StoredMessage,
  externalId: string,
  rememberAddress: boolean,
): { candidate: Candidate; remembered: string | null } {
  const candidate = ctx.candidates.get(message.tenant, externalId);
  if (!candidate) throw new NotFoundError(`no candidate "${externalId}" in tenant "${message.tenant}"`, 'candidate');
  const sender = message.classification?.forward?.originalFrom?.address ?? message.from;
  if (rememberAddress && !sender) throw new ConflictError(`message ${message.id} has no sender address to remember`, 'rememberAddress');
  if (rememberAddress && sender)
    ctx.candidates.upsert(message.tenant, { externalId: candidate.externalId, name: candidate.name, emails: [...candidate.emails, sender] });
  ctx.messages.assignManually(message.id, { id: candidate.id, externalId: candidate.externalId, name: candidate.name }, ctx.clock.now().toISOString());
  return { candidate, remembered: rememberAddress ? sender : null };
}
