// The runtime: what puts the parts together and keeps them running.
// context.ts builds every dependency once (createContext); server.ts starts a
// server (listener, store thread, pipeline and relay threads, HTTP API) and
// stops it; supervised-thread.ts starts, restarts and stops a worker thread;
// on-demand-thread.ts decides when the pipeline and relay threads run;
// in-turn.ts is the bounded concurrency the pipeline's stages use.
//
// Threads follow one naming rule: `<name>-thread.ts` is the thread's body (it
// runs inside the worker), `<name>-thread-handle.ts` is the main thread's
// handle on it (store, pipeline, relay).
//
// server.ts is imported by `serve` alone, when it runs: commands that do not
// serve never load the listener and the threads' handles.
export { createContext, systemClock, type Clock, type Context, type ContextOverrides } from './context.ts';
