#!/usr/bin/env node
// Entry point of the `mailroom` command. The sources are TypeScript run directly
// by Node's type stripping (Node >= 22.18), so there is no build step to forget.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`mailroom needs Node.js >= 22.19 (this is ${process.version}); see README.md\n`);
  process.exit(1);
}
await import('../src/cli/main-entry.ts');
