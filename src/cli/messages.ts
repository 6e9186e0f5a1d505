// mailroom messages list|show
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { messageJson } from '../views/index.ts';
import { optionalTenant, withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { formatBytes, printFields, printJson, printTable, senderLine } from './output.ts';

const STATUSES = ['received', 'processed', 'assigned', 'unassigned', 'dismissed', 'failed'];

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new UsageError(`--limit must be a whole number from 1 to 100000, got "${value}"`);
  return n;
}

/** list messages, newest first */
const list = (globals: () => GlobalOptions) => (options: { tenant?: string; status?: string; limit: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    if (options.status && !STATUSES.includes(options.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    await optionalTenant(ctx, options.tenant);
    const list = await ctx.messages.list({
      limit: parseLimit(options.limit),
      ...(options.tenant ? { tenant: options.tenant } : {}),
      ...(options.status ? { status: options.status } : {}),
    });
    if (options.json) return printJson(list.map(messageJson));
    printTable(
      list,
      [
        { header: 'id', value: (m) => m.id },
        { header: 'received', value: (m) => m.receivedAt.replace('T', ' ').slice(0, 19) },
        { header: 'tenant', value: (m) => m.tenant },
        { header: 'status', value: (m) => m.status },
        { header: 'kind', value: (m) => m.classification?.kind ?? '' },
        { header: 'from', value: (m) => m.from ?? m.envelope.mailFrom },
        { header: 'subject', value: (m) => truncate(m.subject ?? '', 50) },
        { header: 'size', value: (m) => formatBytes(m.size) },
      ],
      'no messages',
    );
  });

/** show one message: envelope, headers, status; --raw prints the stored bytes */
const show = (globals: () => GlobalOptions) => (id: string, options: { json?: boolean; raw?: boolean; out?: string; force?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const message = await ctx.messages.get(id);
    if (!message) throw new UsageError(`no message "${id}" (see: npx mailroom messages list)`);
    if (options.raw) {
      const bytes = await ctx.raw.read(message.id);
      if (!bytes) throw new UsageError(`the raw bytes of ${message.id} are no longer kept (retention.rawDays deletes them from processed messages)`);
      if (options.out) {
        writeFileSync(options.out, bytes, { mode: 0o600 });
        process.stderr.write(`wrote ${formatBytes(bytes.length)} to ${options.out}\n`);
        return;
      }
      // Piped, the bytes go as they are; a terminal would run a sender's escape sequences.
      if (process.stdout.isTTY && !options.force) {
        throw new UsageError('the raw message may carry terminal escape sequences from its sender: pipe it (| less), write it with --out FILE, or add --force');
      }
      process.stdout.write(bytes);
      return;
    }
    if (options.json) return printJson(messageJson(message));
    const e = message.envelope;
    printFields([
      ['id', message.id],
      ['tenant', message.tenant],
      ['status', message.status],
      [
        'candidate',
        message.decision?.candidate ? `${message.decision.candidate.externalId} (${message.decision.candidate.name}) by ${message.decision.method}` : null,
      ],
      ['reason', message.decision?.reason ?? null],
      ['suggestions', message.decision?.suggestions.map((c) => `${c.externalId} (${c.name})`).join(', ') || null],
      ['kind', message.classification?.kind ?? null],
      ['bounce', message.classification?.bounce ? JSON.stringify(message.classification.bounce) : null],
      ['verification', message.classification?.verification ? JSON.stringify(message.classification.verification) : null],
      ['received', message.receivedAt],
      ['processed', message.processedAt],
      ['size', formatBytes(message.size)],
      ['message-id', message.messageId],
      ['from', message.from],
      ['subject', message.subject],
      ['original from', message.classification?.forward?.originalFrom?.address ?? null],
      ['forwarded by', message.classification?.forward?.forwardedBy ?? null],
      ['reply text', message.classification?.replyText ?? null],
      ['attachments', message.attachments.map((a) => `${a.filename ?? '(unnamed)'} (${a.contentType}, ${formatBytes(a.size)})`).join(', ') || null],
      ['auth', message.auth ? `spf=${message.auth.spf} dkim=${message.auth.dkim} dmarc=${message.auth.dmarc} arc=${message.auth.arc}` : null],
      ['sender', senderLine(message.auth)],
      ['client', `${e.clientIp} (helo ${e.helo || '-'})`],
      ['mail from', e.mailFrom || '<>'],
      ['rcpt to', e.rcptTo.join(', ')],
      ['tls', e.tls ? `${e.tls.protocol} ${e.tls.cipher}` : 'no'],
      ['error', message.error],
    ]);
  });

export function registerMessageCommands(program: Command, globals: () => GlobalOptions): void {
  const messages = program.command('messages').description('messages mailroom has accepted');

  messages
    .command('list')
    .description('list messages, newest first')
    .option('--tenant <slug>', 'only this tenant')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print a JSON array')
    .action(list(globals));

  messages
    .command('show <id>')
    .description('show one message: envelope, headers, status; --raw prints the stored bytes')
    .option('--json', 'print a JSON object')
    .option('--raw', 'print the raw message as stored (with our Received line); to a terminal only with --force')
    .option('--out <file>', 'with --raw: write the bytes to this file instead')
    .option('--force', "with --raw: print to a terminal even so (a sender's escape sequences reach it)")
    .action(show(globals));
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
