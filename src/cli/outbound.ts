// mailroom send, and mailroom outbound list|show: queue a message through the
// relay, and see what became of it.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { sendMessage } from '../operations/outbound.ts';
import { EVERY_TENANT } from '../operations/reach.ts';
import { outboundJson } from '../views/index.ts';
import { optionalTenant, withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { parseLimit } from './messages.ts';
import { printFields, printJson, printTable } from './output.ts';

const STATUSES = ['queued', 'sending', 'sent', 'deferred', 'failed'];

/** queue a message through a tenant's account (the running server's relay sends it) */
const send =
  (globals: () => GlobalOptions) =>
  (options: {
    tenant: string;
    account?: string;
    owner?: string;
    to: string;
    subject: string;
    text?: string;
    html?: string;
    candidate?: string;
    conversation?: string;
    json?: boolean;
  }) =>
    withContext(globals(), async (ctx) => {
      const numeric = (value: string | undefined, name: string): number | undefined => {
        if (value === undefined) return undefined;
        if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a number, got "${value}"`);
        return Number(value);
      };
      const message = await sendMessage(ctx, EVERY_TENANT, {
        tenant: options.tenant,
        to: options.to,
        subject: options.subject,
        candidate: options.candidate,
        accountId: numeric(options.account, '--account'),
        conversationId: numeric(options.conversation, '--conversation'),
        owner: options.owner,
        text: options.text,
        html: options.html,
      });
      if (options.json) return printJson(outboundJson(message));
      process.stdout.write(
        `queued ${message.id} <${message.messageId}> to ${message.recipient} (conversation ${message.conversationId}, replies to ${message.replyTo})\n`,
      );
    });

/** outbound messages, newest first */
const list = (globals: () => GlobalOptions) => (options: { status?: string; tenant?: string; limit: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    if (options.status && !STATUSES.includes(options.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    await optionalTenant(ctx, options.tenant);
    const list = await ctx.outbound.list({
      limit: parseLimit(options.limit),
      ...(options.status ? { status: options.status } : {}),
      ...(options.tenant ? { tenant: options.tenant } : {}),
    });
    if (options.json) return printJson(list.map(outboundJson));
    printTable(
      list,
      [
        { header: 'id', value: (o) => o.id },
        { header: 'created', value: (o) => o.createdAt.replace('T', ' ').slice(0, 19) },
        { header: 'to', value: (o) => o.recipient },
        { header: 'subject', value: (o) => o.subject.slice(0, 40) },
        { header: 'status', value: (o) => o.status + (o.bounced ? ' (bounced)' : '') },
        { header: 'last reply', value: (o) => o.lastReply?.slice(0, 50) },
      ],
      'no outbound messages',
    );
  });

/** one outbound message */
const show = (globals: () => GlobalOptions) => (id: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const message = await ctx.outbound.get(id);
    if (!message) throw new UsageError(`no outbound message ${id} (see: npx mailroom outbound list)`);
    const json = outboundJson(message);
    if (options.json) return printJson(json);
    printFields(Object.entries(json).map(([k, v]) => [k, v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v)]));
  });

export function registerOutboundCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('send')
    .description("queue a message through a tenant's account (the running server's relay sends it)")
    .requiredOption('--tenant <slug>', 'the tenant')
    .option('--account <id>', "this account (default: the user's own, else the tenant's default, else the parent's)")
    .option('--owner <user>', 'the sending user, for per-user accounts')
    .requiredOption('--to <address>', 'recipient')
    .requiredOption('--subject <text>', 'subject')
    .option('--text <text>', 'plain-text body')
    .option('--html <html>', 'HTML body')
    .option('--candidate <external-id>', 'the candidate it is to (replies are matched to them)')
    .option('--conversation <id>', 'continue this conversation (In-Reply-To/References set)')
    .option('--json', 'print the queued message as JSON')
    .action(send(globals));

  const outbound = program.command('outbound').description('messages the relay sends');
  outbound
    .command('list')
    .description('outbound messages, newest first')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--tenant <slug>', 'only this tenant')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print a JSON array')
    .action(list(globals));

  outbound.command('show <id>').description('one outbound message').option('--json', 'print JSON').action(show(globals));
}
