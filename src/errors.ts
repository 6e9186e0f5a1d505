// Errors that cross a boundary: SMTP replies, configuration, storage.
// SmtpError carries the reply the client sees; its public text never names the
// mechanism behind it (the cause goes to the log only), as maddy's exterrors do.

export class SmtpError extends Error {
  readonly responseCode: number;
  readonly enhancedCode: string;
  readonly publicText: string;

  constructor(reply: SmtpReply, options?: { cause?: unknown; detail?: string }) {
    // smtp-server writes err.message after the code; enhanced status codes are
    // written by us because smtp-server derives them from the basic code only
    // (550 would always become 5.1.1), see smtp/replies.ts.
    super(`${reply.enhanced} ${options?.detail ?? reply.text}`, { cause: options?.cause });
    this.name = 'SmtpError';
    this.responseCode = reply.code;
    this.enhancedCode = reply.enhanced;
    this.publicText = options?.detail ?? reply.text;
  }
}

export interface SmtpReply {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

/** A configuration value that cannot be used; the message names the key. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Storage refused a write; `full` when the disk or database size limit is reached. */
export class StorageError extends Error {
  readonly full: boolean;
  constructor(message: string, options: { cause?: unknown; full: boolean }) {
    super(message, { cause: options.cause });
    this.name = 'StorageError';
    this.full = options.full;
  }
}

/** A user-facing CLI failure: printed without a stack trace, exit code 1 or given. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

/**
 * An operation refused by one of the rules (a private webhook target, too many
 * endpoints...). The message names the rule and what to do; each interface puts
 * it in its own words (the CLI prints it, exit 1; the API answers 422).
 */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/** Classifies a thrown storage error so the SMTP layer can pick 452 or 451. */
export function toStorageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const message = err instanceof Error ? err.message : String(err);
  return new StorageError(message, { cause: err, full: FULL_CODES.has(code) });
}

/** What was thrown, as an Error (a library may throw a string). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
