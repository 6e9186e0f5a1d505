#!/usr/bin/env node
// Entry point of the `mailroom` command. The sources are TypeScript run directly
// by Node's type stripping (Node >= 22.18), so there is no build step to forget.
await import('./check-node.js');
await import('../src/cli/main-entry.ts');
