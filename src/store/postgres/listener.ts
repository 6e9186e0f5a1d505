// One connection per process that LISTENs for PostgreSQL notifications, so the
// nodes wake each other instead of each polling alone: routes changed (RCPT
// answers reload), work committed (pipeline jobs, events to deliver). A lost
// connection is replaced; whoever relies on it also checks now and then, since
// notifications sent while it was being replaced are gone.
import pg from 'pg';

export const CHANNELS = {
  /** Routes were added or changed (sent by the routes trigger). */
  routes: 'mailroom_routes',
  /** Work was committed: payload `jobs` (messages to process), `events` (webhooks to deliver) or `outbound` (mail to send). */
  work: 'mailroom_work',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

const RECONNECT_MS = 1000;

export class PostgresListener {
  private readonly url: string;
  private readonly handlers = new Map<string, ((payload: string) => void)[]>();
  private client: pg.Client | null = null;
  private closed = false;

  constructor(url: string) {
    this.url = url;
  }

  on(channel: Channel, handler: (payload: string) => void): void {
    const list = this.handlers.get(channel) ?? [];
    list.push(handler);
    this.handlers.set(channel, list);
  }

  /** Connects and listens on every channel (handlers may be added later: the server adds its own after the storage is open). */
  async start(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'mailroom listener' });
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.client === client) this.client = null;
      if (!this.closed) setTimeout(() => void this.start().catch(() => undefined), RECONNECT_MS).unref();
    });
    await client.connect();
    for (const channel of Object.values(CHANNELS)) await client.query(`LISTEN ${channel}`);
    this.client = client;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
