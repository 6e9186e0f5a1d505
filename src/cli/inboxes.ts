// mailroom inboxes add|list|show|remove|test: company mailboxes mailroom reads
// over IMAP where forwarding them to mailroom cannot be set up. `serve` watches
// every inbox; one added here is picked up within inboxes.refreshMs.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { addInbox, INBOX_PROVIDERS, inboxWithin, removeInbox, testInbox, type InboxProvider } from '../operations/inboxes.ts';
import { EVERY_TENANT } from '../operations/reach.ts';
import type { InboxSecurity } from '../store/index.ts';
import { inboxJson } from '../views/index.ts';
import { optionalTenant, withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { credentialOptions, credentialsOf, wholeNumber, type CredentialFlags } from './credentials.ts';
import { printFields, printJson, printTable } from './output.ts';

interface AddOptions extends CredentialFlags {
  tenant: string;
  address: string;
  provider?: string;
  imapHost?: string;
  imapPort?: string;
  imapSecurity?: string;
  allowPlain?: boolean;
  user?: string;
  folder?: string;
  afterImport?: string;
  since?: string;
  trustAuthservId?: string;
  json?: boolean;
}

type Globals = () => GlobalOptions;

/** An inbox id as typed: a number, or an error that says where to find one. */
function inboxId(id: string): number {
  if (!/^\d+$/.test(id)) throw new UsageError(`no inbox ${id} (see: npx mailroom inboxes list)`);
  return Number(id);
}

/** inboxes add: checks and seals, then says how to test it. */
const add = (globals: Globals) => (options: AddOptions) =>
  withContext(globals(), async (ctx) => {
    const inbox = await addInbox(ctx, EVERY_TENANT, {
      tenant: options.tenant,
      address: options.address,
      provider: options.provider as InboxProvider | undefined,
      host: options.imapHost,
      port: wholeNumber(options.imapPort, '--imap-port'),
      security: options.imapSecurity as InboxSecurity | undefined,
      allowPlain: options.allowPlain,
      username: options.user,
      credentials: credentialsOf(options),
      folder: options.folder,
      afterImport: options.afterImport,
      since: options.since,
      authservId: options.trustAuthservId,
    });
    if (options.json) return printJson({ id: inbox.id });
    process.stdout.write(
      `added inbox ${inbox.id} (${inbox.address}, ${inbox.host}:${inbox.port} ${inbox.security}, folder ${inbox.folder}); ` +
        `check it with \`npx mailroom inboxes test ${inbox.id}\`; a running server starts reading it within a minute\n`,
    );
    if (!inbox.authservId)
      process.stderr.write(
        'warning: no --trust-authserv-id: nothing in these messages proves who sent them, so none is filed under a candidate by its sender address alone\n',
      );
  });

/** inboxes list: each inbox with how far it was read. */
const list = (globals: Globals) => (options: { tenant?: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const tenant = await optionalTenant(ctx, options.tenant);
    const inboxes = await ctx.inboxes.list(tenant ? [tenant.id] : undefined);
    if (options.json) return printJson(inboxes.map((i) => inboxJson(i)));
    printTable(
      inboxes,
      [
        { header: 'id', value: (i) => i.id },
        { header: 'tenant', value: (i) => i.tenant },
        { header: 'address', value: (i) => i.address },
        { header: 'server', value: (i) => `${i.host}:${i.port} ${i.security}` },
        { header: 'folder', value: (i) => `${i.folder} (${i.afterImport})` },
        { header: 'status', value: (i) => i.status + (i.lastError ? `: ${i.lastError.slice(0, 60)}` : '') },
        { header: 'last import', value: (i) => i.lastImportAt ?? 'never' },
      ],
      'no inboxes are read over IMAP: add one with `npx mailroom inboxes add --tenant T --address A --imap-host H --user U --password-env VAR`',
    );
  });

/** inboxes show: one inbox, the password masked, with how many messages were read. */
const show = (globals: Globals) => (id: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const inbox = await inboxWithin(ctx, EVERY_TENANT, inboxId(id));
    // The reader (the node holding the inbox's lease) is for the operator: the API does not name nodes.
    const json = {
      ...inboxJson(inbox, await ctx.inboxes.importedCount(inbox.id)),
      reader: inbox.reader,
      readerUntil: inbox.readerUntil === null ? null : new Date(inbox.readerUntil).toISOString(),
    };
    if (options.json) return printJson(json);
    printFields(Object.entries(json).map(([k, v]) => [k, v === null ? null : String(v)]));
  });

/** inboxes remove: messages read from it stay. */
const remove = (globals: Globals) => (id: string) =>
  withContext(globals(), async (ctx) => {
    const inbox = await removeInbox(ctx, EVERY_TENANT, inboxId(id));
    process.stdout.write(`removed inbox ${inbox.id} (${inbox.address}); the messages read from it stay\n`);
  });

/** inboxes test: log in and open the folder, or say what to change. */
const test = (globals: Globals) => (id: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const { inbox, result } = await testInbox(ctx, EVERY_TENANT, inboxId(id));
    if (options.json) printJson(result);
    else if (result.ok)
      process.stdout.write(
        `ok: logged in to ${inbox.host} as ${inbox.username}; ${inbox.folder} holds ${result.messages} messages; ` +
          `${result.idle ? 'new mail is read as it arrives (IDLE)' : `the server has no IDLE: new mail is read every ${ctx.config.inboxes.pollMs / 1000} s`}\n`,
      );
    else process.stdout.write(`FAIL ${result.stage}: ${result.error}\nwhat to do: ${result.advice}\n`);
    if (!options.json && result.warning) process.stdout.write(`warning: ${result.warning}\n`);
    if (!result.ok) process.exitCode = 1;
  });

export function registerInboxCommands(program: Command, globals: () => GlobalOptions): void {
  const inboxes = program.command('inboxes').description('company mailboxes read over IMAP (where forwarding to mailroom is not possible)');

  const adding = inboxes
    .command('add')
    .description('read a mailbox over IMAP (the password is sealed at rest)')
    .requiredOption('--tenant <slug>', 'the tenant (or subcompany) whose mail it is')
    .requiredOption('--address <address>', 'the mailbox address (jobs@acme.com)')
    .option('--provider <preset>', `fills the IMAP server and whose Authentication-Results to trust: ${Object.keys(INBOX_PROVIDERS).join(', ')}`)
    .option('--imap-host <host>', 'IMAP server')
    .option('--imap-port <port>', 'IMAP port (993 implicit TLS, 143 STARTTLS)')
    .option('--imap-security <mode>', 'tls (default), starttls or none')
    .option('--allow-plain', 'allow --imap-security none (no TLS)')
    .option('--user <username>', 'IMAP user name (default: --address; a delegate for a shared mailbox)');
  credentialOptions(adding, 'Google for --provider gmail')
    .option('--folder <name>', 'the folder to read', 'INBOX')
    .option('--after-import <action>', 'leave, seen (flag it read) or move:FOLDER', 'leave')
    .option('--since <date>', 'on the first connection, read only messages from this day on (YYYY-MM-DD)')
    .option('--trust-authserv-id <id>', "believe the Authentication-Results this receiving server writes (default: the provider's)")
    .option('--json', 'print {"id": ...}')
    .action(add(globals));

  inboxes
    .command('list')
    .description('inboxes with their status')
    .option('--tenant <slug>', 'only this tenant')
    .option('--json', 'print a JSON array')
    .action(list(globals));

  inboxes.command('show <id>').description('one inbox (the password masked)').option('--json', 'print JSON').action(show(globals));

  inboxes.command('remove <id>').description('stop reading an inbox (messages read from it stay)').action(remove(globals));

  inboxes
    .command('test <id>')
    .description('log in and open the folder, saying what to change when it fails')
    .option('--json', 'print {"ok", "stage", "error", "advice", "messages", "idle"}')
    .action(test(globals));
}
