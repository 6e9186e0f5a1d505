// The running server: the SMTP listener, the group committer in front of the
// store, and the worker, started and stopped together. `mailroom serve`, the
// tests and the benchmarks all start it through here.
import type { AddressInfo } from 'node:net';
import type { Context } from './context.ts';
import { UsageError } from './errors.ts';
import { PipelineThread } from './pipeline/index.ts';
import { loadTlsMaterial, SmtpListener } from './smtp/index.ts';
import { acquireInstanceLock, GroupCommitter, InstanceLockError, ThreadBatchWriter } from './store/index.ts';

export interface RunningServer {
  smtp: AddressInfo;
  listener: SmtpListener;
  worker: PipelineThread;
  /** Graceful stop: sessions finish within the grace period, the worker stops, the database closes. */
  stop(): Promise<void>;
}

export async function startServer(ctx: Context, options: { worker?: boolean } = {}): Promise<RunningServer> {
  const { config, log } = ctx;
  let lock;
  try {
    lock = acquireInstanceLock(config.data.dir);
  } catch (err) {
    if (err instanceof InstanceLockError) throw new UsageError(err.message);
    throw err;
  }
  try {
    const orphaned = ctx.jobs.releaseOrphaned(ctx.clock.now().getTime());
    if (orphaned > 0) log.warn({ jobs: orphaned }, 'resuming jobs left running by a previous process that stopped without finishing them');
    const worker = new PipelineThread({ dataDir: config.data.dir, settings: config.worker, logLevel: config.log.level }, log.child({ subsystem: 'worker' }));
    const writer = new ThreadBatchWriter(config.data.dir, config.data.maxSizeMb, (err) => log.error({ err }, 'the writer thread failed; messages in flight were refused with 451 and a new thread takes over'));
    const committer = new GroupCommitter(writer, {
      windowMs: config.data.groupCommitWindowMs,
      maxMessages: config.data.groupCommitMaxMessages,
      nowMs: () => ctx.clock.now().getTime(),
      onCommitted: () => worker.wake(),
    });
    const smtpLog = log.child({ subsystem: 'smtp' });
    const tls = await loadTlsMaterial(config.smtp.tls, config.data.dir, config.smtp.hostname, smtpLog);
    const listener = new SmtpListener({ settings: config.smtp, tenants: ctx.tenants, committer, tls, log: smtpLog, now: () => ctx.clock.now() });
    const smtp = await listener.listen().catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
        throw new UsageError(`cannot listen on ${config.smtp.host}:${config.smtp.port} (${err.code}); choose another smtp.host/smtp.port (MAILROOM_SMTP_HOST, MAILROOM_SMTP_PORT)`);
      }
      throw err;
    });
    if (options.worker !== false) worker.start();
    log.info({ host: smtp.address, port: smtp.port, dataDir: config.data.dir, tls: tls.source }, 'mailroom listening for SMTP');

    const held = lock;
    let stopping: Promise<void> | null = null;
    return {
      smtp,
      listener,
      worker,
      stop() {
        stopping ??= (async () => {
          await listener.stop();
          await committer.drain();
          await committer.close();
          await worker.stop();
          ctx.close();
          held.release();
          log.info('mailroom stopped');
        })();
        return stopping;
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
