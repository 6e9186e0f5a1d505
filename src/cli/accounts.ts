// mailroom accounts add|list|show|remove|set-default|test|test-email: the
// customers' own SMTP accounts. Passwords come from an environment variable or
// stdin (never the command line, where `ps` and shell history would keep them)
// and are shown masked.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Context } from '../runtime/context.ts';
import { UsageError } from '../errors.ts';
import { isProvider, PROVIDERS, type ProviderName } from '../relay/providers.ts';
import { normalizeAddress, normalizeDomain, type Account, type AccountSecret } from '../store/index.ts';
import { accountJson } from '../views/index.ts';
import { optionalTenant, tenantNamed, withContext, type GlobalOptions } from './context.ts';
import { printFields, printJson, printTable } from './output.ts';

const OAUTH_TOKEN_URLS: Partial<Record<ProviderName, string>> = {
  gmail: 'https://oauth2.googleapis.com/token',
  office365: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  outlook: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
};

interface AddOptions {
  tenant: string;
  name: string;
  provider: string;
  host?: string;
  port?: string;
  security?: string;
  allowPlain?: boolean;
  tlsCa?: string;
  user: string;
  passwordEnv?: string;
  passwordStdin?: boolean;
  oauth2ClientId?: string;
  oauth2ClientSecretEnv?: string;
  oauth2RefreshTokenEnv?: string;
  oauth2TokenUrl?: string;
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
  json?: boolean;
}

function wholeNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number >= 0, got "${value}"`);
  return n;
}

function fromEnv(variable: string, what: string): string {
  const value = process.env[variable];
  if (!value) throw new UsageError(`${what}: environment variable ${variable} is not set or empty`);
  return value;
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new UsageError('--password-stdin: could not read the password from stdin');
  }
}

function secretOf(options: AddOptions, provider: ProviderName): { method: 'password' | 'oauth2'; secret: AccountSecret } {
  const oauth = options.oauth2ClientId !== undefined;
  const given = [options.passwordEnv !== undefined, options.passwordStdin === true, oauth].filter(Boolean).length;
  if (given !== 1)
    throw new UsageError(
      'give exactly one of --password-env VAR, --password-stdin, or --oauth2-client-id (with --oauth2-client-secret-env and --oauth2-refresh-token-env)',
    );
  if (!oauth) {
    const password = options.passwordEnv ? fromEnv(options.passwordEnv, '--password-env') : readStdin();
    if (!password) throw new UsageError('the password is empty');
    return { method: 'password', secret: { password } };
  }
  if (!options.oauth2ClientSecretEnv || !options.oauth2RefreshTokenEnv)
    throw new UsageError('OAuth2 needs --oauth2-client-secret-env VAR and --oauth2-refresh-token-env VAR');
  const tokenUrl = options.oauth2TokenUrl ?? OAUTH_TOKEN_URLS[provider];
  if (!tokenUrl) throw new UsageError(`--oauth2-token-url is required for provider ${provider}`);
  return {
    method: 'oauth2',
    secret: {
      oauth2: {
        clientId: options.oauth2ClientId as string,
        clientSecret: fromEnv(options.oauth2ClientSecretEnv, '--oauth2-client-secret-env'),
        refreshToken: fromEnv(options.oauth2RefreshTokenEnv, '--oauth2-refresh-token-env'),
        tokenUrl,
      },
    },
  };
}

function addAccount(ctx: Context, options: AddOptions): Account {
  if (!isProvider(options.provider)) throw new UsageError(`--provider must be one of ${Object.keys(PROVIDERS).join(', ')}`);
  const preset = PROVIDERS[options.provider];
  const tenant = tenantNamed(ctx, options.tenant);
  const host = options.host ?? preset.host;
  if (!host) throw new UsageError(`--host is required for provider ${options.provider}`);
  const security = options.security ?? preset.security;
  if (security !== 'tls' && security !== 'starttls' && security !== 'none')
    throw new UsageError('--security must be tls (implicit, port 465), starttls (587) or none');
  if (security === 'none' && !options.allowPlain)
    throw new UsageError('--security none sends the password in the clear; add --allow-plain if this server is on a trusted network');
  if (security === 'none') process.stderr.write('warning: this account sends without TLS: passwords and messages cross the network in the clear\n');
  const port = wholeNumber(options.port, '--port', security === preset.security ? preset.port : security === 'tls' ? 465 : 587);
  if (port < 1 || port > 65535) throw new UsageError('--port must be from 1 to 65535');
  const from = normalizeAddress(options.from);
  if (!from) throw new UsageError(`--from "${options.from}" is not an email address`);
  const sendingDomain = options.sendingDomain ? normalizeDomain(options.sendingDomain) : from.slice(from.indexOf('@') + 1);
  if (!sendingDomain) throw new UsageError(`--sending-domain "${options.sendingDomain}" is not a domain`);
  const replyLocal = (options.replyTo ?? 'reply').toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(replyLocal)) throw new UsageError('--reply-to is the local part before +token (letters, digits, . _ -), e.g. careers');
  let tlsCa: string | null = null;
  if (options.tlsCa) {
    try {
      tlsCa = readFileSync(options.tlsCa, 'utf8');
    } catch (err) {
      throw new UsageError(`--tls-ca ${options.tlsCa}: ${(err as Error).message}`);
    }
    if (!tlsCa.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--tls-ca ${options.tlsCa} holds no PEM certificate`);
  }
  const { method, secret } = secretOf(options, options.provider);
  if ((options.dkimSelector === undefined) !== (options.dkimKeyFile === undefined))
    throw new UsageError('DKIM signing needs both --dkim-selector and --dkim-key-file');
  if (options.dkimKeyFile) secret.dkimPrivateKey = readPrivateKey(options.dkimKeyFile);
  try {
    return ctx.accounts.add(
      {
        tenantId: tenant.id,
        name: options.name,
        provider: options.provider,
        host,
        port,
        security,
        tlsCa,
        username: options.user,
        authMethod: method,
        sealedSecret: ctx.keyring().seal(JSON.stringify(secret)),
        fromAddress: from,
        fromName: options.fromName ?? null,
        sendingDomain,
        dkimSelector: options.dkimSelector ?? null,
        replyLocal,
        owner: options.owner ?? null,
        isDefault: options.default === true,
        delayMs: wholeNumber(options.delayMs, '--delay-ms', 0),
        perMinute: wholeNumber(options.perMinute, '--per-minute', preset.perMinute),
        perDay: wholeNumber(options.perDay, '--per-day', preset.perDay),
      },
      ctx.clock.now().toISOString(),
    );
  } catch (err) {
    if (/UNIQUE/.test((err as Error).message)) throw new UsageError(`tenant "${tenant.slug}" already has an account named "${options.name}"`);
    throw err;
  }
}

function readPrivateKey(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
    createPrivateKey(pem);
  } catch (err) {
    throw new UsageError(`--dkim-key-file ${file}: not a readable PEM private key (${(err as Error).message})`);
  }
  return pem;
}

export function accountById(ctx: Context, id: string): Account {
  const account = /^\d+$/.test(id) ? ctx.accounts.get(Number(id)) : null;
  if (!account) throw new UsageError(`no account ${id} (see: mailroom accounts list)`);
  return account;
}

export function registerAccountCommands(program: Command, globals: () => GlobalOptions): void {
  const accounts = program.command('accounts').description("sending accounts: the customers' own SMTP mailboxes");

  accounts
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
    .requiredOption('--user <username>', 'SMTP user name (usually the mailbox address)')
    .option('--password-env <var>', 'read the password or app password from this environment variable')
    .option('--password-stdin', 'read the password or app password from stdin')
    .option('--oauth2-client-id <id>', 'XOAUTH2 instead of a password: the OAuth2 client id')
    .option('--oauth2-client-secret-env <var>', 'environment variable holding the OAuth2 client secret')
    .option('--oauth2-refresh-token-env <var>', 'environment variable holding the OAuth2 refresh token')
    .option('--oauth2-token-url <url>', 'token endpoint (default: Google or Microsoft by --provider)')
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
    .option('--json', 'print {"id": ...}')
    .action((options: AddOptions) =>
      withContext(globals(), (ctx) => {
        const account = addAccount(ctx, options);
        if (options.json) return printJson({ id: account.id });
        process.stdout.write(
          `added account ${account.id} (${account.name}, ${account.host}:${account.port} ${account.security}); status pending: check it with \`mailroom accounts test ${account.id}\`\n`,
        );
      }),
    );

  accounts
    .command('list')
    .description('sending accounts with their connection status')
    .option('--tenant <slug>', 'only this tenant')
    .option('--json', 'print a JSON array')
    .action((options: { tenant?: string; json?: boolean }) =>
      withContext(globals(), (ctx) => {
        optionalTenant(ctx, options.tenant);
        const list = ctx.accounts.list(options.tenant);
        if (options.json) return printJson(list.map(accountJson));
        printTable(
          list,
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
            ? `no email account is set up for ${options.tenant}: add one with \`mailroom accounts add --tenant ${options.tenant} --name N --provider gmail|office365|... --user U --password-env VAR --from ADDR --default\``
            : 'no email account is set up: add one with `mailroom accounts add`',
        );
      }),
    );

  accounts
    .command('show <id>')
    .description('one account (the password masked)')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) =>
      withContext(globals(), (ctx) => {
        const json = accountJson(accountById(ctx, id));
        if (options.json) return printJson(json);
        printFields(Object.entries(json).map(([k, v]) => [k, v === null ? null : String(v)]));
      }),
    );

  accounts
    .command('remove <id>')
    .description('remove an account (messages it sent stay)')
    .action((id: string) =>
      withContext(globals(), (ctx) => {
        const account = accountById(ctx, id);
        ctx.accounts.remove(account.id);
        process.stdout.write(`removed account ${account.id} (${account.name})\n`);
      }),
    );

  accounts
    .command('set-default <id>')
    .description("make this the tenant's default account (or its owner's)")
    .action((id: string) =>
      withContext(globals(), (ctx) => {
        const account = accountById(ctx, id);
        ctx.accounts.setDefault(account.id);
        process.stdout.write(`account ${account.id} (${account.name}) is now the default of ${account.owner ?? account.tenant}\n`);
      }),
    );

  accounts
    .command('test <id>')
    .description('test the connection in stages: resolve, connect, TLS, EHLO, AUTH, MAIL FROM')
    .option('--json', 'print {"ok", "stage", "error", "advice", "stages"}')
    .action((id: string, options: { json?: boolean }) =>
      withContext(globals(), async (ctx) => {
        const account = accountById(ctx, id);
        // Loaded when the command runs (nodemailer): `mailroom serve` shares this module graph.
        const { diagnoseAccount } = await import('../relay/diagnose.ts');
        const result = await diagnoseAccount(account, ctx.accounts.openSecret(account.id, ctx.keyring()), {
          connectionTimeoutMs: ctx.config.relay.connectionTimeoutMs,
          hostname: ctx.config.smtp.hostname,
        });
        ctx.accounts.setStatus(
          account.id,
          result.ok ? 'active' : 'failing',
          result.ok ? null : `${result.stage}: ${result.error}`,
          ctx.clock.now().toISOString(),
        );
        if (options.json) printJson(result);
        else {
          for (const s of result.stages) process.stdout.write(`${s.ok ? 'ok  ' : 'FAIL'} ${s.stage.padEnd(9)} ${s.ms} ms\n`);
          if (!result.ok) process.stdout.write(`\n${result.error}\nwhat to do: ${result.advice}\n`);
          else process.stdout.write(`\naccount ${account.id} can log in and send as ${account.fromAddress}\n`);
        }
        if (!result.ok) process.exitCode = 1;
      }),
    );

  accounts
    .command('test-email <id>')
    .description("send a test email to the account's own reply address and wait for it to come back through our MX")
    .option('--timeout <seconds>', 'how long to wait for it to come back', '60')
    .option('--json', 'print the result as JSON')
    .action((id: string, options: { timeout: string; json?: boolean }) =>
      withContext(globals(), async (ctx) => {
        const account = accountById(ctx, id);
        const timeoutMs = wholeNumber(options.timeout, '--timeout', 60) * 1000;
        const showProgress = process.stderr.isTTY && !options.json;
        const { sendTestEmail } = await import('../relay/test-email.ts');
        const result = await sendTestEmail(ctx, account, { timeoutMs, progress: showProgress ? (line) => process.stderr.write(`${line}\n`) : () => undefined });
        if (options.json) printJson(result);
        else
          process.stdout.write(
            result.ok
              ? `ok: the test email came back in ${result.roundTripMs} ms; account ${account.id} is active\n`
              : `FAIL: ${result.error}\nwhat to do: ${result.advice}\n`,
          );
        if (!result.ok) process.exitCode = 1;
      }),
    );
}
