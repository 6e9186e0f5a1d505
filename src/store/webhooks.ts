// Webhook endpoints and their deliveries. An endpoint belongs to a tenant and
// receives that tenant's events and its subcompanies' (events.ts fans out).
// Secrets are sealed; while a rotation's grace period runs, the previous secret
// signs too.
import type { Sql } from './sql/sql.ts';

export interface Webhook {
  id: number;
  tenantId: number;
  tenant: string;
  url: string;
  /** Event types it wants; null: all. */
  events: string[] | null;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  failingSince: string | null;
  lastSuccessAt: string | null;
  previousSecretUntil: string | null;
  createdAt: string;
  pending: number;
}

/** One event's delivery to one endpoint, as the delivery log shows it. */
export interface WebhookDelivery {
  eventId: string;
  type: string;
  subject: string;
  createdAt: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

export interface DueDelivery {
  eventId: string;
  webhookId: number;
  attempts: number;
  /** When it was due: the result is recorded only if nobody replayed it meanwhile. */
  dueAt: number;
  subject: string;
  payload: string;
  url: string;
}

interface WebhookRow {
  id: number;
  tenant_id: number;
  tenant: string;
  url: string;
  events: string | null;
  status: 'active' | 'disabled';
  disabled_reason: string | null;
  failing_since: string | null;
  last_success_at: string | null;
  previous_until: string | null;
  created_at: string;
  pending: number;
}

const SELECT = `SELECT w.*, t.slug AS tenant,
  (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending') AS pending
  FROM webhooks w JOIN tenants t ON t.id = w.tenant_id`;

export class WebhookStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async add(tenantId: number, url: string, events: string[] | null, sealedSecret: string, at: string): Promise<Webhook> {
    const id = Number(
      (
        (await this.sql
          .prepare(`INSERT INTO webhooks (tenant_id, url, events, secret, status, created_at) VALUES (?, ?, ?, ?, 'active', ?) RETURNING id`)
          .get(tenantId, url, events ? JSON.stringify(events) : null, sealedSecret, at)) as { id: number }
      ).id,
    );
    return (await this.get(id)) as Webhook;
  }

  async get(id: number): Promise<Webhook | null> {
    const row = (await this.sql.prepare(`${SELECT} WHERE w.id = ?`).get(id)) as WebhookRow | undefined;
    return row ? toWebhook(row) : null;
  }

  async list(tenantIds?: readonly number[]): Promise<Webhook[]> {
    const rows = tenantIds
      ? ((await this.sql
          .prepare(`${SELECT} WHERE w.tenant_id IN (${this.sql.fn.jsonValues('integer')}) ORDER BY w.id`)
          .all(JSON.stringify(tenantIds))) as WebhookRow[])
      : ((await this.sql.prepare(`${SELECT} ORDER BY w.id`).all()) as WebhookRow[]);
    return rows.map(toWebhook);
  }

  async remove(id: number): Promise<boolean> {
    return (await this.sql.prepare('DELETE FROM webhooks WHERE id = ?').run(id)).changes > 0;
  }

  /** The sealed secrets that sign now: the current one, and the previous one until its grace period ends. */
  async signingSecrets(id: number, now: string): Promise<string[]> {
    const row = (await this.sql.prepare('SELECT secret, previous_secret, previous_until FROM webhooks WHERE id = ?').get(id)) as
      { secret: string; previous_secret: string | null; previous_until: string | null } | undefined;
    if (!row) return [];
    return row.previous_secret && row.previous_until && row.previous_until > now ? [row.secret, row.previous_secret] : [row.secret];
  }

  async rotate(id: number, sealedSecret: string, previousUntil: string): Promise<void> {
    await this.sql.prepare('UPDATE webhooks SET previous_secret = secret, previous_until = ?, secret = ? WHERE id = ?').run(previousUntil, sealedSecret, id);
  }

  async disable(id: number, reason: string): Promise<void> {
    await this.sql.prepare(`UPDATE webhooks SET status = 'disabled', disabled_reason = ? WHERE id = ?`).run(reason, id);
  }

  async enable(id: number): Promise<void> {
    await this.sql.prepare(`UPDATE webhooks SET status = 'active', disabled_reason = NULL, failing_since = NULL WHERE id = ?`).run(id);
  }

  /**
   * Claims the deliveries due now to active endpoints, in event order: each is
   * leased to the caller until nowMs + leaseMs (its next_attempt_at, which is
   * also the token its outcome is recorded against). Deliveries another node is
   * claiming are passed over; a node that dies leaves its claims to be taken
   * again when their lease ends.
   */
  async claimDue(nowMs: number, limit: number, leaseMs: number): Promise<DueDelivery[]> {
    return this.sql.transaction(async () => {
      const rows = (await this.sql
        .prepare(
          `SELECT d.event_id, d.webhook_id, d.attempts, e.subject, e.payload, w.url FROM webhook_deliveries d
         JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND w.status = 'active'
           -- In order per subject: not while an earlier event of the same message waits for its retry (or is in flight).
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p JOIN events pe ON pe.id = p.event_id
                           WHERE p.webhook_id = d.webhook_id AND p.state = 'pending' AND p.event_id < d.event_id AND pe.subject = e.subject)
         ORDER BY d.event_id LIMIT ? ${this.sql.fn.skipLocked('d')}`,
        )
        .all(nowMs, limit)) as { event_id: string; webhook_id: number; attempts: number; subject: string; payload: string; url: string }[];
      const leaseEnd = nowMs + leaseMs;
      const lease = this.sql.prepare('UPDATE webhook_deliveries SET next_attempt_at = ? WHERE event_id = ? AND webhook_id = ?');
      for (const r of rows) await lease.run(leaseEnd, r.event_id, r.webhook_id);
      return rows.map((r) => ({
        eventId: r.event_id,
        webhookId: r.webhook_id,
        attempts: r.attempts,
        dueAt: leaseEnd,
        subject: r.subject,
        payload: r.payload,
        url: r.url,
      }));
    });
  }

  /** Gives a claimed delivery back unattempted (due now), unless it was replayed or claimed again meanwhile. */
  async release(d: DueDelivery, nowMs: number): Promise<void> {
    await this.sql
      .prepare(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE event_id = ? AND webhook_id = ? AND state = 'pending' AND next_attempt_at = ?`)
      .run(nowMs, d.eventId, d.webhookId, d.dueAt);
  }

  async nextDueAt(): Promise<number | null> {
    return (await this.sql
      .prepare(
        `SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.state = 'pending' AND w.status = 'active'`,
      )
      .pluck()
      .get()) as number | null;
  }

  async delivered(d: DueDelivery, status: number, at: string): Promise<void> {
    // A replay while this attempt was in flight moved next_attempt_at: then it stays pending, to be sent again.
    await this.sql
      .prepare(
        `UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL, delivered_at = ? WHERE event_id = ? AND webhook_id = ? AND next_attempt_at = ?`,
      )
      .run(status, at, d.eventId, d.webhookId, d.dueAt);
    await this.sql.prepare('UPDATE webhooks SET failing_since = NULL, last_success_at = ? WHERE id = ?').run(at, d.webhookId);
  }

  /** A failed attempt: retried at `nextAttemptAt`, or given up when that is null. Returns since when the endpoint has been failing. */
  async failed(d: DueDelivery, status: number | null, error: string, nextAttemptAt: number | null, at: string): Promise<string> {
    await this.sql
      .prepare(
        `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at) WHERE event_id = ? AND webhook_id = ? AND next_attempt_at = ?`,
      )
      .run(nextAttemptAt === null ? 'failed' : 'pending', status, error, nextAttemptAt, d.eventId, d.webhookId, d.dueAt);
    await this.sql.prepare('UPDATE webhooks SET failing_since = COALESCE(failing_since, ?) WHERE id = ?').run(at, d.webhookId);
    return ((await this.sql.prepare('SELECT failing_since FROM webhooks WHERE id = ?').pluck().get(d.webhookId)) as string | null) ?? at;
  }

  /** An endpoint's deliveries, newest event first: what was sent, how it went. */
  async deliveries(webhookId: number, limit: number): Promise<WebhookDelivery[]> {
    return (
      (await this.sql
        .prepare(
          `SELECT d.event_id, e.type, e.subject, e.created_at, d.state, d.attempts, d.last_status, d.last_error, d.delivered_at
           FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.webhook_id = ? ORDER BY d.event_id DESC LIMIT ?`,
        )
        .all(webhookId, limit)) as {
        event_id: string;
        type: string;
        subject: string;
        created_at: string;
        state: WebhookDelivery['state'];
        attempts: number;
        last_status: number | null;
        last_error: string | null;
        delivered_at: string | null;
      }[]
    ).map((r) => ({
      eventId: r.event_id,
      type: r.type,
      subject: r.subject,
      createdAt: r.created_at,
      state: r.state,
      attempts: r.attempts,
      lastStatus: r.last_status,
      lastError: r.last_error,
      deliveredAt: r.delivered_at,
    }));
  }

  /** Sends one delivery again now (delivered, failed or still waiting); false when the endpoint never had it. */
  async replayDelivery(webhookId: number, eventId: string, nowMs: number): Promise<boolean> {
    const { changes } = await this.sql
      .prepare(`UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ? WHERE webhook_id = ? AND event_id = ?`)
      .run(nowMs, webhookId, eventId);
    if (changes > 0) this.sql.announce('events');
    return changes > 0;
  }

  /** Delivers again every event since a time to these endpoints (those they want); returns how many deliveries were queued. */
  async replay(webhookIds: readonly number[], since: string, nowMs: number): Promise<number> {
    return await this.sql.transaction(async () => {
      this.sql.announce('events');
      let n = 0;
      for (const webhookId of webhookIds) {
        const webhook = await this.get(webhookId);
        if (!webhook) continue;
        const tenants = (await this.sql
          .prepare(`WITH RECURSIVE sub(id) AS (SELECT CAST(? AS BIGINT) UNION SELECT t.id FROM tenants t JOIN sub ON t.parent_id = sub.id) SELECT id FROM sub`)
          .pluck()
          .all(webhook.tenantId)) as number[];
        n += (
          await this.sql
            .prepare(
              `INSERT INTO webhook_deliveries (event_id, webhook_id, state, next_attempt_at)
           SELECT e.id, ?, 'pending', ? FROM events e
           WHERE e.tenant_id IN (${this.sql.fn.jsonValues('integer')}) AND e.created_at >= ?
             AND (CAST(? AS INTEGER) IS NULL OR ${this.sql.fn.jsonArrayHas('?', 'e.type')})
           ON CONFLICT (event_id, webhook_id) DO UPDATE SET state = 'pending', attempts = 0,
             -- Due now, and always a new value: an attempt in flight (its lease end is the token) then sees it was replayed (see delivered()).
             next_attempt_at = CASE WHEN webhook_deliveries.next_attempt_at = excluded.next_attempt_at THEN excluded.next_attempt_at - 1 ELSE excluded.next_attempt_at END`,
            )
            .run(webhookId, nowMs, JSON.stringify(tenants), since, webhook.events ? 1 : null, JSON.stringify(webhook.events ?? []))
        ).changes;
      }
      return n;
    });
  }
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    tenant: row.tenant,
    url: row.url,
    events: row.events ? (JSON.parse(row.events) as string[]) : null,
    status: row.status,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since,
    lastSuccessAt: row.last_success_at,
    previousSecretUntil: row.previous_until,
    createdAt: row.created_at,
    pending: row.pending,
  };
}
