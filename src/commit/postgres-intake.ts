// The write path on PostgreSQL, on the main thread: no store thread (the
// database serialises nothing for us to batch around; a pool connection per
// transaction does). Accepted messages still commit in groups (group-commit.ts
// hands this writer a batch, one transaction for all of them), and the promise
// of each settles only after the commit: 250 then, and never before. A message
// spooled to a file on this node goes into the database with the others (no
// other node could read the file); the file is removed once committed.
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { announceWork, type BatchUpsertResult, type CandidateInput, type NewMessage, type Repositories } from '../store/index.ts';
import { writeBatch, type BatchWriter, type CommitOutcome } from './batch-writer.ts';
import { importBatch, type ImportBatch, type ImportOutcome } from './inbox-import.ts';

export class PostgresIntake implements BatchWriter {
  private readonly repositories: Repositories;
  private readonly dataDir: string;

  constructor(repositories: Repositories, dataDir: string) {
    this.repositories = repositories;
    this.dataDir = resolve(dataDir);
  }

  async write(batch: NewMessage[], nowMs: number): Promise<CommitOutcome[]> {
    let messages: NewMessage[];
    try {
      messages = batch.map((m) => (m.spoolFile ? { ...m, raw: readFileSync(join(this.dataDir, m.spoolFile)), spoolFile: null } : m));
    } catch (err) {
      return batch.map(() => ({ ok: false, full: false, error: `cannot read a spooled message: ${(err as Error).message}` }));
    }
    let outcomes: CommitOutcome[];
    try {
      outcomes = await this.repositories.transaction(async (tx) => {
        const written = await writeBatch(tx.messages, messages, nowMs);
        if (written.some((o) => o.ok)) await announceWork(tx, 'jobs');
        return written;
      });
    } catch (err) {
      // The commit itself failed (the database went away): nothing of the batch is stored.
      return batch.map(() => ({ ok: false, full: false, error: `the database did not commit: ${(err as Error).message}` }));
    }
    batch.forEach((m, i) => {
      if (m.spoolFile && outcomes[i]?.ok) rmSync(join(this.dataDir, m.spoolFile), { force: true });
    });
    return outcomes;
  }

  upsertCandidates(tenant: string, rows: CandidateInput[]): Promise<BatchUpsertResult> {
    return this.repositories.candidates.upsertBatch(tenant, rows);
  }

  async importMessages(batch: ImportBatch): Promise<ImportOutcome> {
    return this.repositories.transaction(async (tx) => {
      const outcome = await importBatch(tx, batch);
      if (!outcome.stale && outcome.stored > 0) await announceWork(tx, 'jobs');
      return outcome;
    });
  }

  async close(): Promise<void> {}
}
