// Every column that holds a sealed secret (secrets/keyring.ts), so a key rotation
// re-seals all of them and nothing is left under a key about to be dropped.
import type { Database } from './database.ts';

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
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  /** Re-seals every stored secret with `reseal` in one transaction; returns how many changed. */
  resealAll(reseal: (sealed: string) => string | null): number {
    const db = this.db;
    return db
      .transaction(() => {
        let changed = 0;
        for (const { table, key, column } of SEALED_COLUMNS) {
          const rows = db.prepare(`SELECT ${key} AS k, ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL`).all() as { k: unknown; v: string }[];
          const update = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`);
          for (const row of rows) {
            const next = reseal(row.v);
            if (next !== null) {
              update.run(next, row.k);
              changed++;
            }
          }
        }
        return changed;
      })
      .immediate();
  }

  /** How many stored secrets there are, by the key id that sealed them. */
  countByKeyId(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { table, column } of SEALED_COLUMNS) {
      for (const row of this.db.prepare(`SELECT ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL`).all() as { v: string }[]) {
        const id = row.v.split('.')[1] ?? '?';
        counts[id] = (counts[id] ?? 0) + 1;
      }
    }
    return counts;
  }
}
