// Where a node's intake writes, and how work written anywhere reaches the
// threads that do it: accepted mail, imported mail and bulk candidate writes go
// to the store thread (SQLite) or the pool (PostgreSQL); a commit, a decision's
// event or a queued send wakes the pipeline or the relay, on every node.
import type { Context } from '../context.ts';
import type { OnDemandThread } from '../runtime/on-demand-thread.ts';
import type { ThreadGroup } from '../runtime/thread-group.ts';
import type { RelayThread } from '../relay/relay-thread-handle.ts';
import { announceWork, CHANNELS, type BatchUpsertResult, type CandidateInput } from '../store/index.ts';
import { PostgresIntake, StoreThread, type BatchWriter, type ImportBatch, type ImportOutcome } from '../commit/index.ts';

/** Where accepted mail, imported mail and bulk candidate writes go: the store thread (SQLite) or the pool (PostgreSQL). */
export type IntakeWriter = BatchWriter & {
  upsertCandidates(tenant: string, rows: CandidateInput[]): Promise<BatchUpsertResult>;
  importMessages(batch: ImportBatch): Promise<ImportOutcome>;
};

/** The store thread on SQLite (`onStoreFailure` hears that it died; the next write starts another), the pool's intake on PostgreSQL. */
export function openIntake(ctx: Context, onStoreFailure: (err: Error) => void): { store: IntakeWriter; storeThread: StoreThread | null } {
  const { config } = ctx;
  if (ctx.backend !== 'sqlite') return { store: new PostgresIntake(ctx, config.data.dir), storeThread: null };
  const storeThread = new StoreThread({ dataDir: config.data.dir, maxSizeMb: config.data.maxSizeMb }, onStoreFailure);
  return { store: storeThread, storeThread };
}

export interface WorkHearers {
  storeThread: StoreThread | null;
  pipeline: { pipeline: ThreadGroup; demand: OnDemandThread | null } | null;
  relay: { relay: RelayThread; demand: OnDemandThread | null } | null;
}

/** Wakes the threads when work is written, here or (on PostgreSQL) on any node; answers what stops hearing it. */
export function hearWork(ctx: Context, { storeThread, pipeline, relay }: WorkHearers): () => void {
  // A decision's event or a queued send is handled at once: a running relay thread is told, a stopped one is started.
  const relayWork = (): void => {
    if (relay?.relay.running) relay.relay.notify('wake');
    else relay?.demand?.committed();
  };
  if (storeThread) storeThread.onEvents = relayWork;
  // On PostgreSQL any node may have committed the work: every node hears of it and shares it.
  ctx.notifications?.on(CHANNELS.work, (kind) => {
    if (kind === 'events' || kind === 'outbound') return relayWork();
    pipeline?.demand?.committed();
    if (pipeline?.pipeline.running) pipeline.pipeline.notify('wake');
  });
  // About to be written here (a send validated): this node's stopped relay thread starts while the transaction runs.
  const stopHearingComing = ctx.sql.work.onComing((kind) => {
    if (kind !== 'jobs' && relay && !relay.relay.running) relay.demand?.committed();
  });
  // Written here (an API send, a manual assignment, a replay): on PostgreSQL every node's relay is told, itself included.
  const stopHearingWritten = ctx.sql.work.on((kind) => {
    if (kind === 'jobs') return;
    if (ctx.backend === 'sqlite') return relayWork();
    announceWork(ctx, kind).catch((err: unknown) => ctx.log.warn({ err }, 'could not tell the nodes of new relay work; their relays find it at the next poll'));
  });
  return () => {
    stopHearingComing();
    stopHearingWritten();
  };
}
