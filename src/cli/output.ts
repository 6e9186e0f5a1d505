// Output for people (tables) and for scripts (--json): one place decides both.
import Table from 'cli-table3';

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
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
  for (const row of rows) table.push(columns.map((c) => String(c.value(row) ?? '')));
  process.stdout.write(`${table.toString()}\n`);
}

/** Key/value lines for a `show` command. */
export function printFields(fields: readonly [string, string | number | null | undefined][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields) process.stdout.write(`${key.padEnd(width)}  ${value ?? '-'}\n`);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
