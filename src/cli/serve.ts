// mailroom serve: start the listener and the worker; stop gracefully on SIGTERM
// or SIGINT (a second signal stops at once).
import type { Command } from 'commander';
import { createContext } from '../context.ts';
import type { RunningServer } from '../server/server.ts';
import { loadCliConfig } from './context.ts';
import type { GlobalOptions } from './globals.ts';

export function registerServeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the SMTP listener and the pipeline worker')
    .action(async () => {
      const config = loadCliConfig(globals());
      // Loaded here, not with the CLI: the listeners, the API and the console are what only `serve` needs.
      const { startServer } = await import('../server/server.ts');
      const ctx = await createContext(config);
      let server: RunningServer;
      try {
        server = await startServer(ctx);
      } catch (err) {
        // A refused start closes what it opened: a PostgreSQL pool left open would keep the process from exiting.
        await ctx.close();
        throw err;
      }
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        signals++;
        if (signals > 1) {
          ctx.log.warn({ signal }, 'second signal: stopping now');
          process.exit(1);
        }
        ctx.log.info(
          { signal, graceMs: config.smtp.shutdownGraceMs, sessions: server.listener.activeSessions },
          'shutting down: no new sessions, letting transactions in flight finish',
        );
        server.stop().then(
          () => ctx.log.flush(() => process.exit(0)),
          (err: unknown) => {
            ctx.log.error({ err }, 'error during shutdown');
            ctx.log.flush(() => process.exit(1));
          },
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
}
