// The store thread: the one connection of the server that writes. Intake batches
// and the API's bulk candidate upserts from the main thread, and job updates from
// the pipeline thread queue up; each
// turn of this thread's event loop runs everything queued in ONE transaction
// (synchronous=FULL, one fsync), then answers. So the SMTP loop never waits on a
// disk, writers never wait on each other's locks, and every message that
// completes DATA during a commit joins the next one: group commit.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { toStorageError } from '../errors.ts';
import { writeBatch, type CommitOutcome } from './batch-writer.ts';
import { createRepositories, openDatabase, syncSpoolDir, type Job, type NewMessage } from '../store/index.ts';
import { importBatch } from './inbox-import.ts';
import { LocalJobQueue } from './job-queue.ts';
import { EVENTS_WRITTEN, WORK_AVAILABLE, type StoreAnswer, type StoreOp, type StoreRequest } from './store-protocol.ts';

export interface StoreThreadData {
  dataDir: string;
  maxSizeMb: number;
}

type ReplyPort = { postMessage(value: unknown): void };
type CommitFailure = Extract<CommitOutcome, { ok: false }>;
interface Queued {
  request: StoreRequest;
  reply: ReplyPort;
}

const port = parentPort;
if (!port) throw new Error('store-thread.ts runs as a worker thread');
const { dataDir, maxSizeMb } = workerData as StoreThreadData;
const db = openDatabase(dataDir, { maxSizeMb });
const repositories = createRepositories(db, { dataDir, now: () => new Date() });
const jobs = new LocalJobQueue(repositories);
/** The connected pipeline threads' ports, each with the leases it holds (token -> when it runs out), handed back if its thread dies. */
const pipelines = new Map<MessagePort, Map<string, number>>();
let queue: Queued[] = [];
let scheduled = false;
/** Leases of pipeline threads that went away, handed back in the next transaction. */
let abandonedLeases: string[] = [];

/** Structured clone delivers Uint8Arrays; better-sqlite3 binds Buffers. */
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * An intake batch made ready to insert: its spool files' directory entries made durable (their data was fsynced;
 * once per batch) and its raw bytes as Buffers.
 */
function intakeBatch(request: StoreRequest<'intake'>): NewMessage[] {
  if (request.batch.some((m) => m.spoolFile)) syncSpoolDir(dataDir);
  return request.batch.map((m) => ({ ...m, raw: m.raw ? bufferOf(m.raw) : null }));
}

type Handlers = { [K in StoreOp]: (request: StoreRequest<K>) => Promise<StoreAnswer<K>> };

/** What each kind of request does, inside the turn's transaction. */
const handlers: Handlers = {
  intake: (request) => writeBatch(repositories.messages, intakeBatch(request), request.nowMs),
  import: (request) => {
    const messages = request.batch.messages.map((m) => ({ ...m, message: { ...m.message, raw: m.message.raw ? bufferOf(m.message.raw) : null } }));
    return importBatch(repositories, { ...request.batch, messages });
  },
  claim: (request) => jobs.claim(request.nowMs, request.leaseMs, request.max),
  complete: (request) => jobs.complete(request.job, request.summary, request.nowMs),
  fail: (request) => jobs.fail(request.job, request.error, request.nowMs),
  retry: (request) => jobs.retryLater(request.job, request.error, request.runAfterMs, request.nowMs),
  nextDueAt: () => jobs.nextDueAt(),
  upsertCandidates: (request) => repositories.candidates.upsertBatch(request.tenant, request.rows),
};

/** A request with its answer: narrowing on the request's kind types the value. */
type Answered<K extends StoreOp = StoreOp> = { [P in K]: { op: P; request: StoreRequest<P>; value: StoreAnswer<P> } }[K];

async function handle<K extends StoreOp>(request: StoreRequest<K>): Promise<Answered<K>> {
  const handler: Handlers[K] = handlers[request.op];
  return { op: request.op, request, value: await handler(request) };
}

/** SQLite rolled the whole transaction back (it may on FULL, IOERR, BUSY). */
class TransactionLost extends Error {
  readonly full: boolean;
  constructor(message: string, full: boolean) {
    super(message);
    this.full = full;
  }
}

function lostBy(answered: Answered | null, err: unknown): TransactionLost {
  if (err !== undefined) {
    const e = toStorageError(err);
    return new TransactionLost(e.message, e.full);
  }
  // writeBatch reports failures as outcomes instead of throwing: take the first.
  const failed = answered?.op === 'intake' ? answered.value.find((o): o is CommitFailure => !o.ok) : undefined;
  return new TransactionLost(failed?.error ?? 'transaction rolled back', failed?.full ?? false);
}

/** Whether the turn's committed transaction queued webhook deliveries (told by the repositories once it commits). */
let deliveriesQueued = false;
repositories.sql.work.on((kind) => {
  if (kind === 'events') deliveriesQueued = true;
});

/** One turn's transaction at a time: a turn that starts while one commits waits for it. */
let turn: Promise<void> = Promise.resolve();

function runQueued(): Promise<void> {
  scheduled = false;
  turn = turn.then(runTurn);
  return turn;
}

/** How a request of the turn ended: answered (its value typed by its kind) or failed. */
type Outcome = { ok: true; answered: Answered } | { ok: false; error: string; full: boolean };

/**
 * A turn of intake batches alone (what a burst of mail is), written first
 * without savepoints: inside a savepoint SQLite copies every page it changes
 * into a statement journal first (about 4.5 µs a message at intake's batch
 * sizes). A batch that fails (its spool directory's sync included) rolls the
 * whole turn back, and the turn is written again by runGuarded, a savepoint
 * per batch and per message, so only the culprit is refused; a transaction
 * that cannot begin or commit is answered at once. Null when the turn holds
 * other requests, or a batch failed.
 */
async function intakeWrittenFlat(items: Queued[]): Promise<Outcome[] | null> {
  const batches: StoreRequest<'intake'>[] = [];
  for (const { request } of items) {
    if (request.op !== 'intake') return null;
    batches.push(request);
  }
  // Only a batch that failed is written again; a transaction that could not begin or commit (the database locked for
  // the busy timeout, the disk) would fail the same way a second time, after another wait: its clients hear now.
  let batchFailed = false;
  try {
    return await repositories.sql.transaction(
      async () => {
        const outcomes: Outcome[] = [];
        for (const request of batches) {
          try {
            await repositories.messages.insertBatch(intakeBatch(request), request.nowMs);
          } catch (err) {
            batchFailed = true;
            throw err;
          }
          outcomes.push({ ok: true, answered: { op: 'intake', request, value: request.batch.map(() => ({ ok: true })) } });
        }
        return outcomes;
      },
      { savepoints: false },
    );
  } catch (err) {
    return batchFailed ? null : everyOneFailed(items, err);
  }
}

/** Every request of the turn in one transaction, each in a savepoint of its own: one that fails is undone alone. */
async function runGuarded(items: Queued[], releasing: string[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  try {
    await repositories.transaction(async () => {
      for (const { request } of items) {
        let answered: Answered | null = null;
        let error: unknown;
        try {
          answered = await handle(request);
        } catch (err) {
          error = err;
        }
        // Then nothing of this turn is stored, and every client must hear so.
        if (!db.inTransaction) throw lostBy(answered, error);
        if (answered) outcomes.push({ ok: true, answered });
        else {
          const e = toStorageError(error);
          outcomes.push({ ok: false, error: e.message, full: e.full });
        }
      }
      // After the dead thread's last requests: a result it sent before dying still counts.
      if (releasing.length > 0) await repositories.jobs.releaseLeases(releasing, Date.now());
    });
  } catch (err) {
    abandonedLeases.push(...releasing); // rolled back: the next transaction tries again
    return everyOneFailed(items, err);
  }
  return outcomes;
}

/** The turn's transaction was lost: every request of it failed with its error. */
function everyOneFailed(items: Queued[], err: unknown): Outcome[] {
  const e = err instanceof TransactionLost ? err : toStorageError(err);
  return items.map(() => ({ ok: false, error: e.message, full: e.full }));
}

async function runTurn(): Promise<void> {
  const items = queue;
  queue = [];
  const releasing = abandonedLeases;
  abandonedLeases = [];
  const outcomes = (releasing.length === 0 ? await intakeWrittenFlat(items) : null) ?? (await runGuarded(items, releasing));
  let newWork = false;
  items.forEach((item, i) => {
    const outcome = outcomes[i] as Outcome;
    const seq = item.request.seq;
    if (!outcome.ok) return item.reply.postMessage({ seq, ok: false, error: outcome.error, full: outcome.full });
    const { answered } = outcome;
    if (answered.op === 'claim') rememberLease(item.reply, answered.request, answered.value);
    item.reply.postMessage({ seq, ok: true, value: answered.value });
    if (answered.op === 'intake' || answered.op === 'import') newWork = true;
  });
  if (newWork) for (const pipeline of pipelines.keys()) pipeline.postMessage(WORK_AVAILABLE);
  // A completed job's event queued webhook deliveries: the relay delivers them now rather than at its next poll.
  if (deliveriesQueued) parentPort?.postMessage(EVENTS_WRITTEN);
  deliveriesQueued = false;
  releaseRawBuffers(items);
}

/**
 * The raw bytes moved here from the main thread are garbage once committed; this
 * isolate allocates little, so a GC could be far off. Detaching frees them now.
 */
function releaseRawBuffers(items: Queued[]): void {
  for (const { request } of items) {
    if (request.op !== 'intake') continue;
    for (const message of request.batch) {
      if (!message.raw) continue;
      const buffer = message.raw.buffer as ArrayBuffer;
      if (!buffer.detached && buffer.byteLength >= 64 * 1024) buffer.transfer(0);
    }
  }
}

function rememberLease(port: ReplyPort, request: { nowMs: number; leaseMs: number }, claimed: readonly Job[]): void {
  const held = pipelines.get(port as MessagePort);
  if (!held || claimed.length === 0) return;
  // A lease past its end is anyone's again: no need to remember it.
  for (const [token, until] of held) if (until <= request.nowMs) held.delete(token);
  held.set(claimed[0]!.leaseToken, request.nowMs + request.leaseMs);
}

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(() => void runQueued());
  }
}

function enqueue(request: StoreRequest, reply: ReplyPort): void {
  queue.push({ request, reply });
  schedule();
}

port.on('message', (message: StoreRequest | { op: 'connect'; port: MessagePort } | 'close') => {
  if (message === 'close') {
    void runQueued().then(() => {
      db.close();
      for (const pipeline of pipelines.keys()) pipeline.close();
      port.close();
    });
    return;
  }
  if (message.op === 'connect') {
    const pipeline = message.port;
    pipelines.set(pipeline, new Map());
    pipeline.on('message', (request: StoreRequest) => enqueue(request, pipeline));
    pipeline.on('close', () => {
      // A pipeline thread that died (an uncaught error in a library, say) holds
      // leases nobody will finish: hand its jobs back now, not when the lease
      // runs out. Their attempt counts stay, so a message that kills the thread
      // every time is given up after worker.maxAttempts.
      abandonedLeases.push(...(pipelines.get(pipeline)?.keys() ?? []));
      pipelines.delete(pipeline);
      if (abandonedLeases.length > 0) schedule();
    });
    return;
  }
  enqueue(message, port);
});
