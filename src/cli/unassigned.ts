// mailroom unassigned list|show|assign|dismiss|undo, and mailroom reprocess: the
// queue a recruiter clears, and re-matching after candidates arrive.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { Context } from '../context.ts';
import type { StoredMessage } from '../store/index.ts';
import { withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { addressToRemember, assignMessage, dismissMessage, reprocessMessages, undoFiling, UNDO_SECONDS } from '../operations/messages.ts';
import { EVERY_TENANT } from '../operations/reach.ts';
import { messageJson } from '../views/index.ts';
import { parseLimit } from './messages.ts';
import { printFields, printJson, printTable, senderLine } from './output.ts';

function age(iso: string, now: Date): string {
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 60_000));
  if (minutes < 60) return `${minutes}m`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)}h`;
  return `${Math.round(minutes / 1440)}d`;
}

async function unassignedMessage(ctx: Context, id: string): Promise<StoredMessage> {
  const message = await ctx.messages.get(id);
  if (!message) throw new UsageError(`no message "${id}" (see: npx mailroom unassigned list)`);
  if (message.status !== 'unassigned') throw new UsageError(`message ${message.id} is ${message.status}, not unassigned`);
  return message;
}

function sinceIso(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new UsageError(`--since must be a date or time (e.g. 2026-11-20 or 2026-11-20T08:00:00Z), got "${value}"`);
  return new Date(time).toISOString();
}

/** the queue, newest first */
const list = (globals: () => GlobalOptions) => (options: { tenant?: string; reason?: string; since?: string; limit: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const since = sinceIso(options.since);
    const list = await ctx.messages.list({
      status: 'unassigned',
      limit: parseLimit(options.limit),
      ...(options.tenant ? { tenant: options.tenant } : {}),
      ...(options.reason ? { reason: options.reason } : {}),
      ...(since ? { since } : {}),
    });
    if (options.json) return printJson(list.map(messageJson));
    const now = ctx.clock.now();
    printTable(
      list,
      [
        { header: 'id', value: (m) => m.id },
        { header: 'age', value: (m) => age(m.receivedAt, now) },
        { header: 'tenant', value: (m) => m.tenant },
        { header: 'from', value: (m) => m.classification?.forward?.originalFrom?.address ?? m.from ?? m.envelope.mailFrom },
        { header: 'subject', value: (m) => (m.subject ?? '').slice(0, 50) },
        { header: 'reason', value: (m) => m.decision?.reason ?? '' },
      ],
      'the unassigned queue is empty',
    );
  });

/** one unassigned message: headers, auth verdicts, reply text, attachments, and why it is here */
const show = (globals: () => GlobalOptions) => (id: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const m = await unassignedMessage(ctx, id);
    const remember = addressToRemember(m);
    if (options.json) return printJson({ ...messageJson(m), evidence: m.decision?.evidence ?? {}, rememberAddress: remember });
    printFields([
      ['id', m.id],
      ['tenant', m.tenant],
      ['why here', m.decision?.reason ?? null],
      ['evidence', JSON.stringify(m.decision?.evidence ?? {})],
      ['suggestions', m.decision?.suggestions.map((c) => `${c.externalId} (${c.name})`).join(', ') || null],
      ['from', m.from],
      ['original from', m.classification?.forward?.originalFrom?.address ?? null],
      ['subject', m.subject],
      ['kind', m.classification?.kind ?? null],
      ['auth', m.auth ? `spf=${m.auth.spf} dkim=${m.auth.dkim} dmarc=${m.auth.dmarc} arc=${m.auth.arc}` : null],
      ['sender', senderLine(m.auth)],
      ['verification', m.classification?.verification ? JSON.stringify(m.classification.verification) : null],
      ['attachments', m.attachments.map((a) => a.filename ?? '(unnamed)').join(', ') || null],
      ['reply text', m.classification?.replyText ?? null],
      // What --remember-address would add, as the console's form shows it.
      ['remember', remember.address ? `${remember.address} (${remember.why})` : `nothing: ${remember.why}`],
    ]);
  });

/** assign an unassigned message to a candidate by hand */
const assign = (globals: () => GlobalOptions) => (id: string, options: { candidate: string; rememberAddress?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const { message, candidate, remembered } = await assignMessage(ctx, EVERY_TENANT, id, options);
    process.stdout.write(
      `assigned ${message.id} to ${candidate.externalId} (${candidate.name})${remembered ? `; ${remembered} added to the candidate` : ''}\n`,
    );
  });

/** take a message out of the queue without assigning it */
const dismiss = (globals: () => GlobalOptions) => (id: string, options: { note?: string }) =>
  withContext(globals(), async (ctx) => {
    const message = await dismissMessage(ctx, EVERY_TENANT, id, options.note ?? null);
    process.stdout.write(`dismissed ${message.id}\n`);
  });

/** put a message filed or dismissed by hand back in the queue, within the undo window */
const undo = (globals: () => GlobalOptions) => (id: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const message = await undoFiling(ctx, EVERY_TENANT, id);
    if (options.json) return printJson({ ...messageJson(message), evidence: message.decision?.evidence ?? {} });
    process.stdout.write(`undone: ${message.id} waits in the unassigned queue again\n`);
  });

/** run messages through the pipeline again (a running server picks them up), e.g. after candidates arrived */
const reprocess = (globals: () => GlobalOptions) => (ids: string[], options: { unassigned?: boolean; tenant?: string }) =>
  withContext(globals(), async (ctx) => {
    if (ids.length === 0 && !options.unassigned) throw new UsageError('name message ids, or --unassigned');
    const progress = process.stderr.isTTY ? (queued: number, total: number) => process.stderr.write(`\rqueued ${queued}/${total}`) : undefined;
    const done = await reprocessMessages(ctx, EVERY_TENANT, {
      ids,
      ...(options.unassigned ? { unassigned: { tenant: options.tenant } } : {}),
      ...(progress ? { progress } : {}),
    });
    if (progress) process.stderr.write('\n');
    process.stdout.write(`${done} message(s) queued for the pipeline again; a running server processes them now\n`);
  });

export function registerUnassignedCommands(program: Command, globals: () => GlobalOptions): void {
  const queue = program.command('unassigned').description('messages no candidate was found for, with the reason');

  queue
    .command('list')
    .description('the queue, newest first')
    .option('--tenant <slug>', 'only this tenant')
    .option('--reason <reason>', 'only this reason (unknown_sender, ambiguous_sender, dmarc_fail, ...)')
    .option('--since <date>', 'only messages received since then')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print a JSON array')
    .action(list(globals));

  queue
    .command('show <id>')
    .description('one unassigned message: headers, auth verdicts, reply text, attachments, and why it is here')
    .option('--json', 'print a JSON object')
    .action(show(globals));

  queue
    .command('assign <id>')
    .description('assign an unassigned message to a candidate by hand')
    .requiredOption('--candidate <externalId>', "the candidate's external id (of the message's tenant)")
    .option('--remember-address', "add the sender's address to the candidate, so the next message matches by itself")
    .action(assign(globals));

  queue.command('dismiss <id>').description('take a message out of the queue without assigning it').option('--note <text>', 'why').action(dismiss(globals));

  queue
    .command('undo <id>')
    .description(`put a message assigned or dismissed by hand back in the queue (within ${UNDO_SECONDS} seconds)`)
    .option('--json', 'print the message as JSON')
    .action(undo(globals));

  program
    .command('reprocess [ids...]')
    .description('run messages through the pipeline again (a running server picks them up), e.g. after candidates arrived')
    .option('--unassigned', 'every unassigned message')
    .option('--tenant <slug>', 'with --unassigned: only this tenant')
    .action(reprocess(globals));
}
