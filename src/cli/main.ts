// The mailroom command line: one file per command group. Errors meant for the
// operator (bad config, bad arguments, unknown ids) print one clear line and
// exit 1; anything else prints its stack and exits 70 (EX_SOFTWARE).
import { Command, CommanderError } from 'commander';
import { ConfigError, DataDirError, DomainError, UsageError } from '../errors.ts';
import { dataDirSetting, READ_ONLY_COMMANDS, type GlobalOptions } from './globals.ts';

type Register = (program: Command, globals: () => GlobalOptions) => void;

/**
 * Every top-level command: how the top-level help shows it, and the module that
 * registers it, loaded only when the command is run or its help asked for, so
 * that `mailroom --help` or `mailroom stats` never loads what `serve` or
 * `inspect` need (a test keeps these lines equal to the commands' own).
 */
export const COMMANDS: readonly { spec: string; summary: string; load: () => Promise<Register> }[] = [
  { spec: 'serve', summary: 'run the SMTP listener and the pipeline worker', load: async () => (await import('./serve.ts')).registerServeCommand },
  {
    spec: 'tenants',
    summary: 'companies and subcompanies, and the addresses mailroom receives for them',
    load: async () => (await import('./tenants.ts')).registerTenantCommands,
  },
  {
    spec: 'candidates',
    summary: "a tenant's candidates and their email addresses",
    load: async () => (await import('./candidates.ts')).registerCandidateCommands,
  },
  { spec: 'messages', summary: 'messages mailroom has accepted', load: async () => (await import('./messages.ts')).registerMessageCommands },
  {
    spec: 'unassigned',
    summary: 'messages no candidate was found for, with the reason',
    load: async () => (await import('./unassigned.ts')).registerUnassignedCommands,
  },
  {
    spec: 'reprocess [ids...]',
    summary: 'run messages through the pipeline again (a running server picks them up), e.g. after candidates arrived',
    load: async () => (await import('./unassigned.ts')).registerUnassignedCommands,
  },
  {
    spec: 'accounts',
    summary: "sending accounts: the customers' own SMTP mailboxes",
    load: async () => (await import('./accounts.ts')).registerAccountCommands,
  },
  {
    spec: 'send',
    summary: "queue a message through a tenant's account (the running server's relay sends it)",
    load: async () => (await import('./outbound.ts')).registerOutboundCommands,
  },
  { spec: 'outbound', summary: 'messages the relay sends', load: async () => (await import('./outbound.ts')).registerOutboundCommands },
  {
    spec: 'inboxes',
    summary: 'company mailboxes read over IMAP (where forwarding to mailroom is not possible)',
    load: async () => (await import('./inboxes.ts')).registerInboxCommands,
  },
  { spec: 'keys', summary: 'the secret key (secrets at rest) and the reply-token keys', load: async () => (await import('./keys.ts')).registerKeyCommands },
  {
    spec: 'webhooks',
    summary: "where a tenant's events are delivered (Standard Webhooks signatures)",
    load: async () => (await import('./webhooks.ts')).registerWebhookCommands,
  },
  { spec: 'tokens', summary: 'bearer tokens of the HTTP API', load: async () => (await import('./tokens.ts')).registerTokenCommands },
  { spec: 'users', summary: 'people who sign in to the web console', load: async () => (await import('./users.ts')).registerUserCommands },
  {
    spec: 'stats',
    summary: 'counts of tenants, messages by status, jobs by state, and storage size',
    load: async () => (await import('./stats.ts')).registerStatsCommand,
  },
  {
    spec: 'purge',
    summary: 'delete raw bytes and attachment files of processed messages older than retention.rawDays (serve does it daily)',
    load: async () => (await import('./purge.ts')).registerPurgeCommand,
  },
  { spec: 'config', summary: 'configuration keys and validation', load: async () => (await import('./config.ts')).registerConfigCommands },
  {
    spec: 'db',
    summary: 'the database: schema migrations, status, and moving from SQLite to PostgreSQL',
    load: async () => (await import('./db.ts')).registerDbCommands,
  },
  {
    spec: 'inspect <paths...>',
    summary: 'run the pipeline on .eml files (or directories of them) without storing anything',
    load: async () => (await import('./inspect.ts')).registerInspectCommand,
  },
];

const nameOf = (spec: string): string => spec.split(' ')[0] as string;

/** The command a command line runs (`help X` asks for X's help), or null for the top level. */
export function commandNamed(argv: readonly string[]): string | null {
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-c' || arg === '--config' || arg === '-d' || arg === '--data-dir') i++;
    else if (!arg.startsWith('-')) positional.push(arg);
  }
  const name = positional[0] === 'help' ? positional[1] : positional[0];
  return name !== undefined && COMMANDS.some((c) => nameOf(c.spec) === name) ? name : null;
}

/**
 * The program for a command line: the command it runs, registered in full;
 * for the top level (help, a mistyped command) every command's line only.
 * Without a command line, every command in full.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('mailroom')
    .description('inbound reply-handling mail server for recruiting platforms')
    .option('-c, --config <file>', 'YAML configuration file (default: $MAILROOM_CONFIG, else built-in defaults)')
    .option('-d, --data-dir <dir>', 'the data directory (wins over data.dir and $MAILROOM_DATA_DIR)')
    .showHelpAfterError()
    .exitOverride();
  let readOnly = false;
  // Commands that only read are told so: they must not create a database where there is none.
  program.hook('preAction', (_, action) => {
    readOnly = READ_ONLY_COMMANDS.has(commandPath(action));
  });
  const globals = (): GlobalOptions => ({ ...program.opts<GlobalOptions>(), readOnly });
  const named = argv === undefined ? undefined : commandNamed(argv);
  if (named === null) {
    for (const { spec, summary } of COMMANDS) program.command(spec).description(summary);
    return program;
  }
  const registered = new Set<Register>();
  for (const command of COMMANDS) {
    if (named !== undefined && nameOf(command.spec) !== named) continue;
    const register = await command.load();
    // One module may register several commands (send and outbound).
    if (registered.has(register)) continue;
    registered.add(register);
    register(program, globals);
  }
  return program;
}

/** `messages list` for the list command under messages. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

export async function main(argv: readonly string[]): Promise<number> {
  let program: Command | undefined;
  try {
    program = await buildProgram(argv);
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ConfigError) {
      process.stderr.write(`mailroom: ${err.message}\n`);
      return 78; // EX_CONFIG
    }
    if (err instanceof DataDirError) {
      const setting = dataDirSetting(program?.opts<GlobalOptions>() ?? {});
      process.stderr.write(
        `mailroom: cannot create or write the data directory ${err.dir} (${setting}): ${err.reason}: ${err.fix}, or point --data-dir / data.dir at another directory\n`,
      );
      return 73; // EX_CANTCREAT
    }
    if (err instanceof UsageError) {
      process.stderr.write(`mailroom: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof DomainError) {
      process.stderr.write(`mailroom: ${describeForCli(err)}\n`);
      return 1;
    }
    process.stderr.write(`mailroom: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 70;
  }
}

/** The command-line flag that carries each field a domain error can name. */
const FLAGS: Record<string, string> = {
  to: '--to',
  text: '--text or --html',
  subject: '--subject',
  accountId: '--account',
  conversationId: '--conversation',
  candidate: '--candidate',
  tenant: '--tenant',
  rememberAddress: '--remember-address',
  provider: '--provider',
  host: '--host',
  port: '--port',
  security: '--security',
  allowPlain: '--allow-plain',
  tlsCa: '--tls-ca',
  from: '--from',
  sendingDomain: '--sending-domain',
  replyTo: '--reply-to',
  password: '--password-env or --password-stdin',
  oauth2TokenUrl: '--oauth2-token-url',
  dkimKey: '--dkim-key-file',
  name: '--name',
  ids: 'message ids or --unassigned',
  domains: '--domain',
  replyDomains: '--reply-domain or --forward-address',
  forwardAddresses: '--forward-address',
  inboxes: '--inbox',
  parent: '--parent',
  sentCopy: '--sent-copy',
  imapHost: '--imap-host',
  imapPort: '--imap-port',
  imapSecurity: '--imap-security',
  imapPassword: '--imap-password-env',
  address: '--address',
  folder: '--folder',
  afterImport: '--after-import',
  since: '--since',
  days: '--days',
  email: '--email',
  role: '--role',
};

/** Where to look up what exists, for each kind of thing a command could not find. */
const LISTS: Record<string, string> = {
  message: 'npx mailroom messages list',
  account: 'npx mailroom accounts list',
  tenant: 'npx mailroom tenants list',
  candidate: 'npx mailroom candidates list',
  token: 'npx mailroom tokens list',
  webhook: 'npx mailroom webhooks list',
  inbox: 'npx mailroom inboxes list',
  tokenKey: 'npx mailroom keys list',
  user: 'npx mailroom users list',
};

/** A domain error in the CLI's words: a refusal says so, an input names its flag. */
export function describeForCli(err: DomainError): string {
  const flag = err.field ? FLAGS[err.field] : undefined;
  const list = err.kind === 'not_found' && err.field ? LISTS[err.field] : undefined;
  const text = list ? `${err.message} (see: ${list})` : flag ? `${err.message} (${flag})` : err.message;
  if (err.kind === 'refused') return `refused: ${text}`;
  return err.kind === 'forbidden' ? `not allowed: ${text}` : text;
}
