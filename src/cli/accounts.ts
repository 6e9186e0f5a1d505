// mailroom accounts add|list|show|remove|set-default|test|test-email: the
// customers' own SMTP accounts. Passwords come from an environment variable or
// stdin (never the command line, where `ps` and shell history would keep them)
// and are shown masked. The rules are the operations' (operations/accounts.ts);
// here the flags become an AccountInput and the results become text.
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { addAccount, listAccounts, makeDefaultAccount, removeAccount, sendAccountTestEmail, testAccount, type AccountInput } from '../operations/accounts.ts';
import { EVERY_TENANT } from '../operations/reach.ts';
import { PROVIDERS } from '../relay/providers.ts';
import { accountJson } from '../views/index.ts';
import { optionalTenant, withContext } from './context.ts';
import type { GlobalOptions } from './globals.ts';
import { credentialOptions, credentialsOf, fromEnv, readFlagFile, wholeNumber, type CredentialFlags } from './credentials.ts';
import { printFields, printJson, printTable } from './output.ts';

interface AddOptions extends CredentialFlags {
  tenant: string;
  name: string;
  provider: string;
  host?: string;
  port?: string;
  security?: string;
  allowPlain?: boolean;
  tlsCa?: string;
  user: string;
  from: string;
  fromName?: string;
  replyTo?: string;
  sendingDomain?: string;
  dkimSelector?: string;
  dkimKeyFile?: string;
  owner?: string;
  delayMs?: string;
  perMinute?: string;
  perDay?: string;
  default?: boolean;
  sentCopy?: string;
  imapHost?: string;
  imapPort?: string;
  imapSecurity?: string;
  imapUser?: string;
  imapPasswordEnv?: string;
  sentFolder?: string;
  json?: boolean;
}

/** The flags as the operation's input: files and environment variables read here, every rule checked there. */
function accountInputOf(options: AddOptions): AccountInput {
  if ((options.dkimSelector === undefined) !== (options.dkimKeyFile === undefined))
    throw new UsageError('DKIM signing needs both --dkim-selector and --dkim-key-file');
  const port = wholeNumber(options.port, '--port');
  return {
    tenant: options.tenant,
    name: options.name,
    provider: options.provider,
    host: options.host,
    port,
    security: options.security,
    allowPlain: options.allowPlain,
    tlsCa: options.tlsCa ? readFlagFile(options.tlsCa, '--tls-ca') : null,
    username: options.user,
    credentials: credentialsOf(options),
    from: options.from,
    fromName: options.fromName,
    replyTo: options.replyTo,
    sendingDomain: options.sendingDomain,
    dkim:
      options.dkimSelector && options.dkimKeyFile
        ? { selector: options.dkimSelector, privateKey: readFlagFile(options.dkimKeyFile, '--dkim-key-file') }
        : undefined,
    owner: options.owner,
    isDefault: options.default,
    delayMs: wholeNumber(options.delayMs, '--delay-ms'),
    perMinute: wholeNumber(options.perMinute, '--per-minute'),
    perDay: wholeNumber(options.perDay, '--per-day'),
    sentCopy: {
      mode: options.sentCopy,
      host: options.imapHost,
      port: wholeNumber(options.imapPort, '--imap-port'),
      security: options.imapSecurity,
      username: options.imapUser,
      password: options.imapPasswordEnv ? fromEnv(options.imapPasswordEnv, '--imap-password-env') : undefined,
      folder: options.sentFolder,
    },
  };
}

/** An account id as typed: a number, or an error that says where to find one. */
export function accountId(id: string): number {
  if (!/^\d+$/.test(id)) throw new UsageError(`no account ${id} (see: npx mailroom accounts list)`);
  return Number(id);
}

type Globals = () => GlobalOptions;

/** accounts add: checks and seals, then says how to test it. */
const add = (globals: Globals) => (options: AddOptions) =>
  withContext(globals(), async (ctx) => {
    const { account, warnings } = await addAccount(ctx, EVERY_TENANT, accountInputOf(options));
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    if (options.json) return printJson({ id: account.id });
    process.stdout.write(
      `added account ${account.id} (${account.name}, ${account.host}:${account.port} ${account.security}); status pending: check it with \`npx mailroom accounts test ${account.id}\`\n`,
    );
  });

/** accounts list: the table of Skima's connected accounts. */
const list = (globals: Globals) => (options: { tenant?: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const tenant = await optionalTenant(ctx, options.tenant);
    const all = await listAccounts(ctx, EVERY_TENANT);
    const shown = tenant ? all.filter((a) => a.tenantId === tenant.id) : all;
    if (options.json) return printJson(shown.map(accountJson));
    printTable(
      shown,
      [
        { header: 'id', value: (a) => a.id },
        { header: 'tenant', value: (a) => a.tenant },
        { header: 'name', value: (a) => `${a.name}${a.isDefault ? ' (default)' : ''}` },
        { header: 'created', value: (a) => a.createdAt.slice(0, 10) },
        { header: 'owner', value: (a) => a.owner ?? 'company' },
        { header: 'sending method', value: (a) => `${a.host}:${a.port} ${a.security} ${a.authMethod}` },
        { header: 'status', value: (a) => a.status + (a.lastError ? `: ${a.lastError.slice(0, 60)}` : '') },
        { header: 'last test', value: (a) => a.lastTestedAt ?? 'never' },
      ],
      options.tenant
        ? `no email account is set up for ${options.tenant}: add one with \`npx mailroom accounts add --tenant ${options.tenant} --name N --provider gmail|office365|... --user U --password-env VAR --from ADDR --default\``
        : 'no email account is set up: add one with `npx mailroom accounts add`',
    );
  });

/** accounts show: one account, the password masked. */
const show = (globals: Globals) => (id: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const account = await ctx.accounts.get(accountId(id));
    if (!account) throw new UsageError(`no account ${id} (see: npx mailroom accounts list)`);
    const json = accountJson(account);
    if (options.json) return printJson(json);
    printFields(Object.entries(json).map(([k, v]) => [k, v === null ? null : String(v)]));
  });

/** accounts remove */
const remove = (globals: Globals) => (id: string) =>
  withContext(globals(), async (ctx) => {
    const account = await removeAccount(ctx, EVERY_TENANT, accountId(id));
    process.stdout.write(`removed account ${account.id} (${account.name})\n`);
  });

/** accounts set-default */
const setDefault = (globals: Globals) => (id: string) =>
  withContext(globals(), async (ctx) => {
    const account = await makeDefaultAccount(ctx, EVERY_TENANT, accountId(id));
    process.stdout.write(`account ${account.id} (${account.name}) is now the default of ${account.owner ?? account.tenant}\n`);
  });

/** accounts test: each stage with its time, or the failing one with what to do. */
const test = (globals: Globals) => (id: string, options: { json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const { account, result } = await testAccount(ctx, EVERY_TENANT, accountId(id));
    if (options.json) printJson(result);
    else {
      for (const s of result.stages) process.stdout.write(`${s.ok ? 'ok  ' : 'FAIL'} ${s.stage.padEnd(9)} ${s.ms} ms\n`);
      if (!result.ok) process.stdout.write(`\n${result.error}\nwhat to do: ${result.advice}\n`);
      else process.stdout.write(`\naccount ${account.id} can log in and send as ${account.fromAddress}\n`);
    }
    if (!result.ok) process.exitCode = 1;
  });

/** accounts test-email: progress on stderr while it waits for the message to come back. */
const testEmail = (globals: Globals) => (id: string, options: { timeout: string; json?: boolean }) =>
  withContext(globals(), async (ctx) => {
    const timeoutMs = (wholeNumber(options.timeout, '--timeout') ?? 60) * 1000;
    const showProgress = process.stderr.isTTY && !options.json;
    const { account, result } = await sendAccountTestEmail(ctx, EVERY_TENANT, accountId(id), {
      timeoutMs,
      ...(showProgress ? { progress: (line: string) => process.stderr.write(`${line}\n`) } : {}),
    });
    if (options.json) printJson(result);
    else
      process.stdout.write(
        result.ok
          ? `ok: the test email came back in ${result.roundTripMs} ms; account ${account.id} is active\n`
          : `FAIL: ${result.error}\nwhat to do: ${result.advice}\n`,
      );
    if (!result.ok) process.exitCode = 1;
  });

export function registerAccountCommands(program: Command, globals: () => GlobalOptions): void {
  const accounts = program.command('accounts').description("sending accounts: the customers' own SMTP mailboxes");

  const adding = accounts
    .command('add')
    .description('add a sending account (the password is sealed at rest)')
    .requiredOption('--tenant <slug>', 'the tenant (or subcompany) that owns it')
    .requiredOption('--name <name>', 'internal name')
    .option('--provider <preset>', `fills host, port, security and pacing: ${Object.keys(PROVIDERS).join(', ')}`, 'custom')
    .option('--host <host>', 'SMTP server')
    .option('--port <port>', 'SMTP port (465 implicit TLS, 587 STARTTLS)')
    .option('--security <mode>', 'tls, starttls or none')
    .option('--allow-plain', 'allow --security none (no TLS)')
    .option('--tls-ca <file>', 'PEM file of a private CA to trust')
    .requiredOption('--user <username>', 'SMTP user name (usually the mailbox address)');
  credentialOptions(adding, 'Google or Microsoft by --provider')
    .requiredOption('--from <address>', 'From address')
    .option('--from-name <name>', 'From display name')
    .option('--reply-to <local>', 'local part of the Reply-To: <local>+<token>@<reply domain>', 'reply')
    .option('--sending-domain <domain>', 'primary sending domain, for Message-IDs (default: the From domain)')
    .option('--dkim-selector <selector>', 'sign with DKIM as <selector>._domainkey.<sending domain>')
    .option('--dkim-key-file <file>', 'PEM private key for DKIM signing (sealed at rest like the password)')
    .option('--owner <user>', "one user's own account (per-user alias)")
    .option('--delay-ms <ms>', 'delay between two emails')
    .option('--per-minute <n>', 'most emails a minute (0: no cap; default by provider)')
    .option('--per-day <n>', 'most emails a day (0: no cap; default by provider)')
    .option('--default', "the tenant's default account")
    .option('--sent-copy <mode>', 'a copy of each sent message in Sent: provider (it files it itself; default for gmail, office365, outlook), imap, or off')
    .option('--imap-host <host>', 'IMAP server to append sent copies to (implies --sent-copy imap)')
    .option('--imap-port <port>', 'IMAP port (993 implicit TLS, 143 STARTTLS)')
    .option('--imap-security <mode>', 'tls (default), starttls or none')
    .option('--imap-user <username>', 'IMAP user name (default: --user)')
    .option('--imap-password-env <var>', 'IMAP password from this environment variable (default: the SMTP password)')
    .option('--sent-folder <name>', 'the Sent folder (default: the folder the server marks \\Sent)')
    .option('--json', 'print {"id": ...}')
    .action(add(globals));

  accounts
    .command('list')
    .description('sending accounts with their connection status')
    .option('--tenant <slug>', 'only this tenant')
    .option('--json', 'print a JSON array')
    .action(list(globals));

  accounts.command('show <id>').description('one account (the password masked)').option('--json', 'print JSON').action(show(globals));

  accounts.command('remove <id>').description('remove an account (messages it sent stay)').action(remove(globals));

  accounts.command('set-default <id>').description("make this the tenant's default account (or its owner's)").action(setDefault(globals));

  accounts
    .command('test <id>')
    .description('test the connection in stages: resolve, connect, TLS, EHLO, AUTH, MAIL FROM')
    .option('--json', 'print {"ok", "stage", "error", "advice", "stages"}')
    .action(test(globals));

  accounts
    .command('test-email <id>')
    .description("send a test email to the account's own reply address and wait for it to come back through our MX")
    .option('--timeout <seconds>', 'how long to wait for it to come back', '60')
    .option('--json', 'print the result as JSON')
    .action(testEmail(globals));
}
