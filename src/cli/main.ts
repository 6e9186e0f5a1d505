// The mailroom command line: one file per command group. Errors meant for the
// operator (bad config, bad arguments, unknown ids) print one clear line and
// exit 1; anything else prints its stack and exits 70 (EX_SOFTWARE).
import { Command, CommanderError } from 'commander';
import { ConfigError, DataDirError, DomainError, UsageError } from '../errors.ts';
import { registerAccountCommands } from './accounts.ts';
import { registerCandidateCommands } from './candidates.ts';
import { registerConfigCommands } from './config.ts';
import { registerDbCommands } from './db.ts';
import { registerInboxCommands } from './inboxes.ts';
import { registerInspectCommand } from './inspect.ts';
import { dataDirSetting, READ_ONLY_COMMANDS, type GlobalOptions } from './context.ts';
import { registerKeyCommands } from './keys.ts';
import { registerMessageCommands } from './messages.ts';
import { registerOutboundCommands } from './outbound.ts';
import { registerPurgeCommand } from './purge.ts';
import { registerServeCommand } from './serve.ts';
import { registerStatsCommand } from './stats.ts';
import { registerTenantCommands } from './tenants.ts';
import { registerTokenCommands } from './tokens.ts';
import { registerUnassignedCommands } from './unassigned.ts';
import { registerUserCommands } from './users.ts';
import { registerWebhookCommands } from './webhooks.ts';

export function buildProgram(): Command {
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
  registerServeCommand(program, globals);
  registerTenantCommands(program, globals);
  registerCandidateCommands(program, globals);
  registerMessageCommands(program, globals);
  registerUnassignedCommands(program, globals);
  registerAccountCommands(program, globals);
  registerOutboundCommands(program, globals);
  registerInboxCommands(program, globals);
  registerKeyCommands(program, globals);
  registerWebhookCommands(program, globals);
  registerTokenCommands(program, globals);
  registerUserCommands(program, globals);
  registerStatsCommand(program, globals);
  registerPurgeCommand(program, globals);
  registerConfigCommands(program, globals);
  registerDbCommands(program, globals);
  registerInspectCommand(program, globals);
  return program;
}

/** `messages list` for the list command under messages. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ConfigError) {
      process.stderr.write(`mailroom: ${err.message}\n`);
      return 78; // EX_CONFIG
    }
    if (err instanceof DataDirError) {
      const setting = dataDirSetting(program.opts<GlobalOptions>());
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
  message: 'mailroom messages list',
  account: 'mailroom accounts list',
  tenant: 'mailroom tenants list',
  candidate: 'mailroom candidates list',
  token: 'mailroom tokens list',
  webhook: 'mailroom webhooks list',
  inbox: 'mailroom inboxes list',
  tokenKey: 'mailroom keys list',
  user: 'mailroom users list',
};

/** A domain error in the CLI's words: a refusal says so, an input names its flag. */
export function describeForCli(err: DomainError): string {
  const flag = err.field ? FLAGS[err.field] : undefined;
  const list = err.kind === 'not_found' && err.field ? LISTS[err.field] : undefined;
  const text = list ? `${err.message} (see: ${list})` : flag ? `${err.message} (${flag})` : err.message;
  if (err.kind === 'refused') return `refused: ${text}`;
  return err.kind === 'forbidden' ? `not allowed: ${text}` : text;
}
