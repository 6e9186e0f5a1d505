// Entry point of the built image (dist/cli/main-entry.js); bin/mailroom.js is
// the same for the sources. Runs one command and sets the exit code.
import { main } from './main.ts';

// `mailroom ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await main(process.argv.slice(2));
// A command may have set a failing exit code itself (a test that failed, with its report printed).
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code || process.exitCode || 0;
