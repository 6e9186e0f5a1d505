// What every command shares before anything is loaded: the global options, the
// commands that only read, and where the data directory was named. Kept apart
// from context.ts so the top-level help and a failing command's message load
// no config schema and no database driver.

export interface GlobalOptions {
  config?: string;
  /** --data-dir: wins over data.dir from the file or MAILROOM_DATA_DIR. */
  dataDir?: string;
  /** Set for commands that only read (see READ_ONLY_COMMANDS): they never create a database. */
  readOnly?: boolean;
}

/** Commands that only read the store: where there is no database yet they say so instead of creating an empty one. */
export const READ_ONLY_COMMANDS: ReadonlySet<string> = new Set([
  'messages list',
  'messages show',
  'unassigned list',
  'unassigned show',
  'stats',
  'tenants list',
  'tenants show',
  'candidates list',
  'candidates show',
  'candidates search',
  'accounts list',
  'accounts show',
  'inboxes list',
  'inboxes show',
  'outbound list',
  'outbound show',
  'tokens list',
  'keys list',
  'users list',
  'webhooks list',
]);

/** Which setting named the data directory, for messages about it. */
export function dataDirSetting(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (options.dataDir) return '--data-dir';
  return env.MAILROOM_DATA_DIR !== undefined ? 'data.dir, set by MAILROOM_DATA_DIR' : 'data.dir';
}
