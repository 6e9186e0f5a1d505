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

/**
 * The data directory cannot be created or written (permissions, a read-only
 * filesystem, a file in the way). Each interface says which setting named it.
 */
export class DataDirError extends Error {
  /** The directory, absolute. */
  readonly dir: string;
  /** What is wrong, in a few words ("permission denied"). */
  readonly reason: string;
  /** What to do about it ("make it writable by the user mailroom runs as"). */
  readonly fix: string;
  constructor(dir: string, reason: string, fix: string, options?: { cause?: unknown }) {
    super(`cannot create or write the data directory ${dir}: ${reason}`, options);
    this.name = 'DataDirError';
    this.dir = dir;
    this.reason = reason;
    this.fix = fix;
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
 * Why an operation cannot be done as asked, in words any interface can show:
 * the message never names a command-line flag or an HTTP detail. The CLI
 * prints it (exit 1, naming the flag for `field`); the API answers with the
 * problem type of its kind (RFC 9457).
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'not_found' | 'invalid' | 'conflict' | 'refused' | 'forbidden';
  /** The input the problem is with (`to`, `text`...), when it is one. */
  readonly field: string | null;
  constructor(message: string, field: string | null = null) {
    super(message);
    this.field = field;
  }
}

/** Something named does not exist (or is not the caller's to see): 404. */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found' as const;
  override name = 'NotFoundError';
}

/** An input is not acceptable: 400, with the field. */
export class InvalidError extends DomainError {
  readonly kind = 'invalid' as const;
  override name = 'InvalidError';
}

/** The request is fine but the state is not (no default account, not unassigned): 409. */
export class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
  override name = 'ConflictError';
}

/**
 * An operation refused by one of the rules (a private webhook target, too many
 * endpoints...). The message names the rule and what to do: 422.
 */
export class RefusedError extends DomainError {
  readonly kind = 'refused' as const;
  override name = 'RefusedError';
}

/** The caller may see the thing but not do this to it (a tenant's token adding a top-level tenant): 403. */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden' as const;
  override name = 'ForbiddenError';
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
