// The composition root: starting and stopping a node. server.ts puts the parts
// together (the SMTP listener on the main thread, the store thread or the
// PostgreSQL intake, the pipeline and relay threads on demand, inbox intake,
// the HTTP API, console and metrics) and takes them down in order on shutdown;
// the parts live beside it by concern (start-checks, intake, threads, listeners,
// retention).
// It is imported by `serve` alone, when it runs: commands that do not serve
// never load the listener and the threads' handles.
export { startServer, type RunningServer } from './server.ts';
