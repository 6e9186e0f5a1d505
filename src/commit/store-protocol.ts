// Messages between the store thread and its clients (the main thread's group
// committer and API, and the pipeline thread). Plain structured-clone data only.
// Each request kind is written once below with what it carries and what it is
// answered with, so a caller's answer is typed by the kind it asked.
import type { CommitOutcome } from './batch-writer.ts';
import type { ImportBatch, ImportOutcome } from './inbox-import.ts';
import type { BatchUpsertResult, CandidateInput } from '../store/candidates.ts';
import type { Job } from '../store/jobs.ts';
import type { ProcessedMessage, NewMessage } from '../store/messages.ts';

/** Every request kind: what it carries (`request`) and the value it is answered with (`reply`). */
export interface StoreOps {
  intake: { request: { batch: NewMessage[]; nowMs: number }; reply: CommitOutcome[] };
  import: { request: { batch: ImportBatch }; reply: ImportOutcome };
  claim: { request: { nowMs: number; leaseMs: number; max: number }; reply: Job[] };
  complete: { request: { job: Job; summary: ProcessedMessage; nowMs: number }; reply: boolean };
  fail: { request: { job: Job; error: string; nowMs: number }; reply: boolean };
  retry: { request: { job: Job; error: string; runAfterMs: number; nowMs: number }; reply: boolean };
  nextDueAt: { request: Record<never, never>; reply: number | null };
  upsertCandidates: { request: { tenant: string; rows: CandidateInput[] }; reply: BatchUpsertResult };
}

export type StoreOp = keyof StoreOps;

/** A request of the kinds in K, as the caller writes it (the client numbers it). */
export type StoreAsk<K extends StoreOp = StoreOp> = { [P in K]: { op: P } & StoreOps[P]['request'] }[K];

/** A request of the kinds in K, as it travels: numbered, so its reply finds it. */
export type StoreRequest<K extends StoreOp = StoreOp> = { [P in K]: { op: P; seq: number } & StoreOps[P]['request'] }[K];

/** The value a request of kind K is answered with. */
export type StoreAnswer<K extends StoreOp> = StoreOps[K]['reply'];

export type StoreReply<K extends StoreOp = StoreOp> =
  { seq: number; ok: true; value: StoreAnswer<K> } | { seq: number; ok: false; error: string; full: boolean };

/** Sent by the store thread on the pipeline's port after new messages were committed. */
export const WORK_AVAILABLE = 'work';

/** Sent by the store thread to the main thread after a transaction wrote events (decisions): webhooks are due now. */
export const EVENTS_WRITTEN = 'events';
