// The pipeline after durable acceptance: the worker loop that runs each message's
// job, and the stage runner it calls.
export { Worker, type WorkerDeps } from './worker.ts';
export { PipelineThread } from './pipeline-thread.ts';
export { runPipeline, type PipelineResult } from './stages.ts';
