// Messages between the store thread and its clients (the main thread's group
// committer and API, and the pipeline thread). Plain structured-clone data only.
import type { CommitOutcome } from './batch-writer.ts';
import type { ImportBatch, ImportOutcome } from './inbox-import.ts';
import type { BatchUpsertResult, CandidateInput } from '../store/candidates.ts';
import type { Job } from '../store/jobs.ts';
import type { ProcessedMessage, NewMessage } from '../store/messages.ts';

export type StoreRequest =
  | { op: 'intake'; seq: number; batch: NewMessage[]; nowMs: number }
  | { op: 'import'; seq: number; batch: ImportBatch }
  | { op: 'claim'; seq: number; nowMs: number; leaseMs: number; max: number }
  | { op: 'complete'; seq: number; job: Job; summary: ProcessedMessage; nowMs: number }
  | { op: 'fail'; seq: number; job: Job; error: string; nowMs: number }
  | { op: 'retry'; seq: number; job: Job; error: string; runAfterMs: number; nowMs: number }
  | { op: 'nextDueAt'; seq: number }
  | { op: 'upsertCandidates'; seq: number; tenant: string; rows: CandidateInput[] };

export type StoreReply =
  | { seq: number; ok: true; value: CommitOutcome[] | ImportOutcome | Job[] | BatchUpsertResult | boolean | number | null }
  | { seq: number; ok: false; error: string; full: boolean };

/** Sent by the store thread on the pipeline's port after new messages were committed. */
export const WORK_AVAILABLE = 'work';

/** Sent by the store thread to the main thread after a transaction wrote events (decisions): webhooks are due now. */
export const EVENTS_WRITTEN = 'events';
