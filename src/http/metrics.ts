// Prometheus metrics at /metrics: SMTP acceptances and refusals by reason
// (counted as they happen), and at each scrape, from the database: messages
// by status, pipeline jobs by state, pipeline latency over the last 1000
// messages, the outbound queue by status (relay results), webhook deliveries
// by state (failures), whether the pipeline and relay threads are running (they
// run while they have work), and the process's own memory, CPU and file
// descriptors.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { SmtpMetrics } from '../smtp/listener.ts';
import type { CountedTable, GaugeQueries } from '../store/index.ts';

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly smtp: SmtpMetrics;

  private threads: () => Record<string, boolean> = () => ({});

  /** Where the running state of the on-demand threads is read at each scrape. */
  watchThreads(read: () => Record<string, boolean>): void {
    this.threads = read;
  }

  constructor(gauges: GaugeQueries) {
    const registers = [this.registry];
    const threadsOf = (): Record<string, boolean> => this.threads();
    new Gauge({
      name: 'mailroom_thread_running',
      help: 'Whether a worker thread that runs only while it has work (pipeline, relay) is running (1) or stopped (0)',
      labelNames: ['thread'],
      registers,
      collect() {
        this.reset();
        for (const [thread, running] of Object.entries(threadsOf())) this.set({ thread }, running ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'mailroom_' });
    const accepted = new Counter({ name: 'mailroom_smtp_messages_accepted_total', help: 'Messages answered 250 (stored)', registers });
    const refused = new Counter({
      name: 'mailroom_smtp_refused_total',
      help: 'SMTP commands and messages refused, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.smtp = { accepted: () => accepted.inc(), refused: (reason) => refused.inc({ reason }) };

    const byLabel = (name: string, help: string, label: string, table: CountedTable): void => {
      new Gauge({
        name,
        help,
        labelNames: [label],
        registers,
        async collect() {
          this.reset();
          for (const row of await gauges.countsBy(table)) this.set({ [label]: row.k }, row.n);
        },
      });
    };
    byLabel('mailroom_messages', 'Stored messages by status', 'status', 'messages');
    byLabel('mailroom_pipeline_jobs', 'Pipeline jobs by state (queued and running: the queue depth)', 'state', 'jobs');
    byLabel('mailroom_outbound_messages', 'Outbound messages by status (the relay results)', 'status', 'outbound_messages');
    byLabel('mailroom_webhook_deliveries', 'Webhook deliveries by state (failed: given up)', 'state', 'webhook_deliveries');
    new Gauge({
      name: 'mailroom_webhook_deliveries_retrying',
      help: 'Webhook deliveries that failed at least once and wait for a retry',
      registers,
      async collect() {
        this.set(await gauges.webhookRetrying());
      },
    });
    new Gauge({
      name: 'mailroom_pipeline_latency_seconds',
      help: 'Time from acceptance to the end of the pipeline, over the last 1000 processed messages',
      labelNames: ['quantile'],
      registers,
      async collect() {
        const sorted = await gauges.recentPipelineLatencies();
        for (const q of [0.5, 0.9, 0.99]) this.set({ quantile: String(q) }, quantile(sorted, q));
      },
    });
  }
}
