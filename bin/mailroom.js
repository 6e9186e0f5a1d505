#!/usr/bin/env node
// Entry point of the `mailroom` command. The sources are TypeScript run directly
// by Node's type stripping (Node >= 22.18), so there is no build step to forget;
// the compile cache keeps the stripped and compiled modules between runs, so a
// command starts in a fraction of the time (stripping was a quarter of it).
// A namespace import: on a Node too old to have it, check-node.js still gets to say so.
import * as nodeModule from 'node:module';

const cache = nodeModule.enableCompileCache?.();
// Worker threads (pipeline, relay, store) read the cache's place from the environment they are started with.
if (cache?.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = cache.directory;
await import('./check-node.js');
await import('../src/cli/main-entry.ts');
