// Thread machinery, the bottom layer every part may use: supervised-thread.ts
// starts, restarts and stops a worker thread; on-demand-thread.ts decides when
// the pipeline and relay threads run; in-turn.ts is the bounded concurrency the
// pipeline's stages use. What the threads are for is decided above (server/).
//
// Threads follow one naming rule: `<name>-thread.ts` is the thread's body (it
// runs inside the worker), `<name>-thread-handle.ts` is the main thread's
// handle on it (store, pipeline, relay).
export { eachInTurn } from './in-turn.ts';
export { OnDemandThread, START_QUIET_MS, type OnDemandOptions, type StartableThread } from './on-demand-thread.ts';
export { IdleReporter, isThreadIdle, SupervisedThread, type ThreadIdle } from './supervised-thread.ts';
