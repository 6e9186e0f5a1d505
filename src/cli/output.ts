// Output for people (tables) and for scripts (--json): one place decides both.
import Table from 'cli-table3';

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/**
 * Text from a message (a subject, a name, reply text, a file name) as a terminal
 * may show it: C0 controls other than tab and newline, DEL and the C1 range are
 * removed, so an ESC or OSC sequence a sender wrote can never retitle the
 * operator's window, hide lines or write to their clipboard.
 */
export function forTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): void {
  if (rows.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  const table = new Table({ head: columns.map((c) => c.header), style: { head: [], border: [] } });
  for (const row of rows) table.push(columns.map((c) => forTerminal(String(c.value(row) ?? ''))));
  process.stdout.write(`${table.toString()}\n`);
}

/** Key/value lines for a `show` command. */
export function printFields(fields: readonly [string, string | number | null | undefined][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields)
    process.stdout.write(`${key.padEnd(width)}  ${value === null || value === undefined ? '-' : forTerminal(String(value))}\n`);
}

/** Whether the From is proven, in words: "authenticated (DMARC pass for example.org)". */
export function senderLine(auth: { sender?: { authenticated: boolean; detail: string } } | null): string | null {
  const sender = auth?.sender;
  if (!sender) return null;
  return `${sender.authenticated ? 'authenticated' : 'not authenticated'} (${sender.detail})`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
