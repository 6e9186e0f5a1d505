// The pipeline after durable acceptance: the worker loop that runs each message's
// job (on its own thread in the server), and the stage runner it calls.
export { Worker, type WorkerDeps } from './worker.ts';
export { runPipeline, type PipelineResult } from './stages.ts';
