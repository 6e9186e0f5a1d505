// What the account and inbox commands share: numbers, files and secrets given
// as flags. A secret comes from an environment variable or stdin, never from
// the command line, where `ps` and shell history would keep it.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';

/** The flags that give a password or an OAuth2 grant. */
export interface CredentialFlags {
  passwordEnv?: string;
  passwordStdin?: boolean;
  oauth2ClientId?: string;
  oauth2ClientSecretEnv?: string;
  oauth2RefreshTokenEnv?: string;
  oauth2TokenUrl?: string;
}

export type FlagCredentials =
  { password: string } | { oauth2: { clientId: string; clientSecret: string; refreshToken: string; tokenUrl?: string | undefined } };

export function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number >= 0, got "${value}"`);
  return n;
}

export function fromEnv(variable: string, what: string): string {
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

export function readFlagFile(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${file}: ${(err as Error).message}`);
  }
}

export function credentialsOf(options: CredentialFlags): FlagCredentials {
  const oauth = options.oauth2ClientId !== undefined;
  const given = [options.passwordEnv !== undefined, options.passwordStdin === true, oauth].filter(Boolean).length;
  if (given !== 1)
    throw new UsageError(
      'give exactly one of --password-env VAR, --password-stdin, or --oauth2-client-id (with --oauth2-client-secret-env and --oauth2-refresh-token-env)',
    );
  if (!oauth) return { password: options.passwordEnv ? fromEnv(options.passwordEnv, '--password-env') : readStdin() };
  if (!options.oauth2ClientSecretEnv || !options.oauth2RefreshTokenEnv)
    throw new UsageError('OAuth2 needs --oauth2-client-secret-env VAR and --oauth2-refresh-token-env VAR');
  return {
    oauth2: {
      clientId: options.oauth2ClientId as string,
      clientSecret: fromEnv(options.oauth2ClientSecretEnv, '--oauth2-client-secret-env'),
      refreshToken: fromEnv(options.oauth2RefreshTokenEnv, '--oauth2-refresh-token-env'),
      tokenUrl: options.oauth2TokenUrl,
    },
  };
}

/** The flags of a login, on a command that takes one; `tokenUrlDefault` says whose token endpoint is the default. */
export function credentialOptions(command: Command, tokenUrlDefault: string): Command {
  return command
    .option('--password-env <var>', 'read the password or app password from this environment variable')
    .option('--password-stdin', 'read the password or app password from stdin')
    .option('--oauth2-client-id <id>', 'XOAUTH2 instead of a password: the OAuth2 client id')
    .option('--oauth2-client-secret-env <var>', 'environment variable holding the OAuth2 client secret')
    .option('--oauth2-refresh-token-env <var>', 'environment variable holding the OAuth2 refresh token')
    .option('--oauth2-token-url <url>', `token endpoint (default: ${tokenUrlDefault})`);
}
