// mailroom webhooks add|list|remove|enable|rotate-secret|replay: where a
// tenant's events are delivered. The secret is shown once, when it is made.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { EVENT_TYPES } from '../store/index.ts';
import { webhookJson } from '../views/index.ts';
import { EVERY_TENANT } from '../operations/reach.ts';
import { addWebhook, enableWebhook, removeWebhook, replayWebhooks, rotateWebhookSecret } from '../operations/webhooks.ts';
import { optionalTenant, withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { printJson, printTable } from './output.ts';

export function parseEventList(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const list = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const unknown = list.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0 || list.length === 0)
    throw new UsageError(`--events takes a comma-separated list of: ${EVENT_TYPES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  return list;
}

/** A webhook id as typed: a number, or an error that says where to find one. */
function webhookId(id: string): number {
  if (!/^\d+$/.test(id)) throw new UsageError(`no webhook ${id} (see: npx mailroom webhooks list)`);
  return Number(id);
}

function parseSince(value: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new UsageError(`--since "${value}" is not a date (e.g. 2026-11-20 or 2026-11-20T08:00:00Z)`);
  return new Date(time).toISOString();
}

/** add an endpoint; prints its signing secret once */
const add = (globals: () => GlobalOptions) => (options: { tenant: string; url: string; events?: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const events = parseEventList(options.events);
    const { webhook, secret } = await addWebhook(ctx, EVERY_TENANT, { tenant: options.tenant, url: options.url, events });
    if (options.json) return printJson({ id: webhook.id, secret });
    process.stdout.write(`added webhook ${webhook.id} for ${webhook.tenant}: ${webhook.url}\nsigning secret (shown only now): ${secret}\n`);
  });

/** endpoints with their status and deliveries waiting */
const list = (globals: () => GlobalOptions) => (options: { tenant?: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const tenant = await optionalTenant(ctx, options.tenant);
    const list = await ctx.webhooks.list(tenant ? [tenant.id] : undefined);
    if (options.json) return printJson(list.map(webhookJson));
    printTable(
      list,
      [
        { header: 'id', value: (w) => w.id },
        { header: 'tenant', value: (w) => w.tenant },
        { header: 'url', value: (w) => w.url },
        { header: 'events', value: (w) => w.events?.join(',') ?? 'all' },
        {
          header: 'status',
          value: (w) => w.status + (w.disabledReason ? `: ${w.disabledReason}` : w.failingSince ? ` (failing since ${w.failingSince})` : ''),
        },
        { header: 'pending', value: (w) => w.pending },
      ],
      'no webhooks: add one with `npx mailroom webhooks add --tenant T --url URL`',
    );
  });

/** remove an endpoint (its undelivered events are dropped for it) */
const remove = (globals: () => GlobalOptions) => (id: string) =>
  withContext(globals(), async (ctx) => {
    const webhook = await removeWebhook(ctx, EVERY_TENANT, webhookId(id));
    process.stdout.write(`removed webhook ${webhook.id} (${webhook.url})\n`);
  });

/** enable a disabled endpoint again (then `replay` what it missed) */
const enable = (globals: () => GlobalOptions) => (id: string) =>
  withContext(globals(), async (ctx) => {
    const webhook = await enableWebhook(ctx, EVERY_TENANT, webhookId(id));
    process.stdout.write(
      `webhook ${webhook.id} is active again; deliveries still pending resume; for the rest: npx mailroom webhooks replay --webhook ${webhook.id} --since DATE\n`,
    );
  });

/** a new signing secret; the old one keeps signing too for webhooks.rotationGraceHours */
const rotateSecret = (globals: () => GlobalOptions) => (id: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const { webhook, secret, previousSecretValidUntil: until } = await rotateWebhookSecret(ctx, EVERY_TENANT, webhookId(id));
    if (options.json) return printJson({ id: webhook.id, secret, previousSecretValidUntil: until });
    process.stdout.write(`new signing secret for webhook ${webhook.id} (shown only now): ${secret}\nthe old one also signs until ${until}\n`);
  });

/** deliver again every event since a time */
const replay = (globals: () => GlobalOptions) => (options: { since: string; webhook?: string; tenant?: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const { queued, endpoints } = await replayWebhooks(ctx, EVERY_TENANT, {
      since: parseSince(options.since),
      webhookId: options.webhook === undefined ? undefined : webhookId(options.webhook),
      tenant: options.tenant,
    });
    if (options.json) return printJson({ queued });
    process.stdout.write(`queued ${queued} deliveries to ${endpoints} endpoint(s); the running server sends them\n`);
  });

export function registerWebhookCommands(program: Command, globals: () => GlobalOptions): void {
  const webhooks = program.command('webhooks').description("where a tenant's events are delivered (Standard Webhooks signatures)");

  webhooks
    .command('add')
    .description('add an endpoint; prints its signing secret once')
    .requiredOption('--tenant <slug>', "the tenant (its subcompanies' events come too)")
    .requiredOption('--url <url>', 'the endpoint')
    .option('--events <list>', `only these (comma-separated): ${EVENT_TYPES.join(', ')}`)
    .option('--json', 'print {"id", "secret"}')
    .action(add(globals));

  webhooks
    .command('list')
    .description('endpoints with their status and deliveries waiting')
    .option('--tenant <slug>', 'only this tenant')
    .option('--json', 'print a JSON array')
    .action(list(globals));

  webhooks.command('remove <id>').description('remove an endpoint (its undelivered events are dropped for it)').action(remove(globals));

  webhooks.command('enable <id>').description('enable a disabled endpoint again (then `replay` what it missed)').action(enable(globals));

  webhooks
    .command('rotate-secret <id>')
    .description(`a new signing secret; the old one keeps signing too for webhooks.rotationGraceHours`)
    .option('--json', 'print {"id", "secret", "previousSecretValidUntil"}')
    .action(rotateSecret(globals));

  webhooks
    .command('replay')
    .description('deliver again every event since a time')
    .requiredOption('--since <date>', 'events at or after this time (ISO 8601)')
    .option('--webhook <id>', 'only this endpoint')
    .option('--tenant <slug>', "only this tenant's endpoints")
    .option('--json', 'print {"queued": n}')
    .action(replay(globals));
}
