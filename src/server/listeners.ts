// The node's listeners: SMTP and the HTTP API (with the console and metrics),
// each failing to start with the settings to change, and the line that says
// where they listen.
import type { AddressInfo } from 'node:net';
import type { Context } from '../context.ts';
import { UsageError } from '../errors.ts';
import type { Metrics } from '../http/metrics.ts';
import { startHttpServer, type HttpServer } from '../http/server.ts';
import { loadTlsMaterial, SmtpListener } from '../smtp/index.ts';
import type { GroupCommitter } from '../commit/index.ts';
import type { CandidateInput } from '../store/index.ts';
import { diskWatermark } from './disk-watermark.ts';
import type { IntakeWriter } from './intake.ts';

/** Where people reach the API: http.publicUrl, else the address it listens on. */
export function publicUrlOf(settings: { publicUrl: string }, address: AddressInfo | null): string {
  if (settings.publicUrl) return settings.publicUrl.replace(/\/$/, '');
  if (!address) return '';
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/** The HTTP API, or a start that stops with what to change when its address is taken. */
export async function startApi(ctx: Context, store: IntakeWriter, metrics: Metrics, ready: () => boolean): Promise<HttpServer | null> {
  const { http } = ctx.config;
  if (!http.enabled) return null;
  const upsertCandidates = (tenant: string, rows: CandidateInput[]) => store.upsertCandidates(tenant, rows);
  return startHttpServer({ ctx, metrics, ready, upsertCandidates }, http.host, http.port).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(
      `cannot listen for HTTP on ${http.host}:${http.port} (${err.code ?? err.message}); choose another http.host/http.port (MAILROOM_HTTP_HOST, MAILROOM_HTTP_PORT), or set http.enabled to false`,
    );
  });
}

/** The SMTP listener, listening; an address that is taken or not ours says which settings to change. */
export async function listenSmtp(
  ctx: Context,
  committer: GroupCommitter,
  metrics: Metrics,
): Promise<{ listener: SmtpListener; smtp: AddressInfo; tls: string }> {
  const { config } = ctx;
  const smtpLog = ctx.log.child({ subsystem: 'smtp' });
  const tls = await loadTlsMaterial(config.smtp.tls, config.data.dir, config.smtp.hostname, smtpLog);
  const listener = new SmtpListener({
    settings: config.smtp,
    dataDir: config.data.dir,
    tenants: ctx.routes,
    committer,
    tls,
    log: smtpLog,
    now: () => ctx.clock.now(),
    metrics: metrics.smtp,
    diskLow: diskWatermark(config.data.dir, config.data.minFreeMb).low,
  });
  const smtp = await listener.listen().catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      throw new UsageError(
        `cannot listen on ${config.smtp.host}:${config.smtp.port} (${err.code}); choose another smtp.host/smtp.port (MAILROOM_SMTP_HOST, MAILROOM_SMTP_PORT)`,
      );
    }
    throw err;
  });
  return { listener, smtp, tls: tls.source };
}

/** Where it listens, and a warning when no tenant exists yet (every recipient would be refused). */
export async function announceListening(ctx: Context, smtp: { smtp: AddressInfo; tls: string }, http: HttpServer | null): Promise<void> {
  const { log, config } = ctx;
  log.info({ host: smtp.smtp.address, port: smtp.smtp.port, dataDir: config.data.dir, tls: smtp.tls }, 'mailroom listening for SMTP');
  if (http) log.info({ host: http.address.address, port: http.address.port }, 'mailroom HTTP API listening');
  if ((await ctx.tenants.list()).length === 0) {
    log.warn(
      'no tenants yet, so every recipient is refused: add one with `npx mailroom tenants add <slug> --domain D --reply-domain R` (in the checkout; `mailroom` once linked)',
    );
  }
}
