// Every column that holds a sealed secret (secrets/keyring.ts), so a key rotation
// re-seals all of them and nothing is left under a key about to be dropped.
import type { Sql } from './sql/sql.ts';

const SEALED_COLUMNS: readonly { table: string; key: string; column: string }[] = [
  { table: 'accounts', key: 'id', column: 'secret' },
  { table: 'accounts', key: 'id', column: 'imap_secret' },
  { table: 'inboxes', key: 'id', column: 'secret' },
  { table: 'token_keys', key: 'kid', column: 'secret' },
  { table: 'webhooks', key: 'id', column: 'secret' },
  { table: 'webhooks', key: 'id', column: 'previous_secret' },
];

/** The sealed-secret columns of every table, read and re-sealed together. */
export class SealedSecrets {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** Re-seals every stored secret with `reseal` in one transaction; returns how many changed. */
  async resealAll(reseal: (sealed: string) => string | null): Promise<number> {
    const sql = this.sql;
    return await sql.transaction(async () => {
      let changed = 0;
      for (const { table, key, column } of SEALED_COLUMNS) {
        const rows = (await sql.prepare(`SELECT ${key} AS k, ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL`).all()) as { k: unknown; v: string }[];
        const update = sql.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
        for (const row of rows) {
          const next = reseal(row.v);
          if (next !== null) {
            await update.run(next, row.k);
            changed++;
          }
        }
      }
      return changed;
    });
  }

  /** How many stored secrets there are, by the key id that sealed them. */
  async countByKeyId(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { table, column } of SEALED_COLUMNS) {
      for (const row of (await this.sql.prepare(`SELECT ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL`).all()) as { v: string }[]) {
        const id = row.v.split('.')[1] ?? '?';
        counts[id] = (counts[id] ?? 0) + 1;
      }
    }
    return counts;
  }
}
