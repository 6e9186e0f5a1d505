// The write path in the server: accepted messages grouped into one transaction
// (group-commit.ts), the store thread that runs every intake and pipeline write
// in one transaction per turn of its event loop (store-thread.ts, its handle and
// the client the pipeline talks through), the job queue the pipeline claims
// from, what a completed job's decision changes (decision-effects.ts), and
// messages read from an inbox stored with how far it was read (inbox-import.ts).
// Repositories (store/) say what is written; this folder says when and where.
export { LocalJobQueue, type JobQueue } from './job-queue.ts';
export { GroupCommitter, type GroupCommitOptions } from './group-commit.ts';
export { InlineBatchWriter, writeBatch, type BatchWriter, type CommitOutcome } from './batch-writer.ts';
export { StoreThread } from './store-thread-handle.ts';
export { StoreClient, RemoteJobQueue } from './store-client.ts';
export { DecisionEffects } from './decision-effects.ts';
export { importBatch, type ImportBatch, type ImportedMessage, type ImportOutcome } from './inbox-import.ts';
export { PostgresIntake } from './postgres-intake.ts';
export { GroupedCompletions } from './grouped-completions.ts';
