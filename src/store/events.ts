// The events outbox. An event is written in the same transaction as the change
// it describes, with one delivery row per webhook endpoint that wants it (the
// tenant's own and its parents'), so a crash can neither lose an event nor
// announce a change that was rolled back. The payload is the public JSON.
import type { Sql, SqlStatement } from './sql/sql.ts';
import { newMessageId } from './ids.ts';

export const EVENT_TYPES = [
  'message.assigned',
  'message.unassigned',
  'message.bounced',
  'message.auto_reply',
  'message.dismissed',
  'outbound.sent',
  'outbound.deferred',
  'outbound.failed',
  'account.status_changed',
  'webhook.disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface EventPayload {
  id: string;
  type: EventType;
  timestamp: string;
  tenant: string;
  data: Record<string, unknown>;
}

export class EventStore {
  private readonly sql: Sql;
  private readonly insertEvent: SqlStatement;
  private queuedTotal = 0;
  private readonly fanOut: SqlStatement;
  private readonly tenantRow: SqlStatement<[number], { slug: string; parent_id: number | null }>;
  private readonly tenantChains: SqlStatement<[string], { id: number; slug: string; parent_id: number | null }>;
  /** Tenants (and their parents) of a completing group's events, read in one statement (`loadTenantsAhead`) until `endAhead`. */
  private tenantsAhead: Map<number, { slug: string; parent_id: number | null }> | null = null;
  /** A completing group's events, written together by `writeHeld` (PostgreSQL: one statement). */
  private held: { event: unknown[]; deliveries: unknown[] }[] | null = null;

  constructor(sql: Sql) {
    this.sql = sql;
    const insertEvent = 'INSERT INTO events (id, tenant_id, type, subject, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)';
    // Endpoints of these tenants that want this type (no list: every type).
    const fanOut = `INSERT INTO webhook_deliveries (event_id, webhook_id, state, next_attempt_at)
       SELECT ?, w.id, 'pending', ? FROM webhooks w
       WHERE w.tenant_id IN (${sql.fn.jsonValues('integer')}) AND w.status = 'active'
         AND (w.events IS NULL OR ${sql.fn.jsonArrayHas('w.events', '?')})`;
    // PostgreSQL: the event and its deliveries in one statement (one round trip; the foreign key is checked at its end).
    this.insertEvent = sql.prepare(sql.dialect === 'postgres' ? `WITH event AS (${insertEvent}) ${fanOut}` : insertEvent);
    this.fanOut = sql.prepare(fanOut);
    this.tenantRow = sql.prepare('SELECT slug, parent_id FROM tenants WHERE id = ?');
    // UNION, not UNION ALL: a cycle in the parents ends the walk.
    this.tenantChains = sql.prepare(
      `WITH RECURSIVE chain(id, slug, parent_id) AS (
         SELECT id, slug, parent_id FROM tenants WHERE id IN (${sql.fn.jsonValues('integer')})
         UNION SELECT t.id, t.slug, t.parent_id FROM tenants t JOIN chain c ON t.id = c.parent_id)
       SELECT id, slug, parent_id FROM chain`,
    );
  }

  /** Inside a group's transaction: these tenants and their parents in one statement, for the group's events, until `endAhead`; the events recorded meanwhile are held for `writeHeld`. */
  async loadTenantsAhead(tenantIds: readonly number[]): Promise<void> {
    const rows = await this.tenantChains.all(JSON.stringify(tenantIds));
    this.held = [];
    this.tenantsAhead = new Map(rows.map((row) => [Number(row.id), { slug: row.slug, parent_id: row.parent_id === null ? null : Number(row.parent_id) }]));
  }

  /** Writes the group's events held since `loadTenantsAhead`, in the same transaction (PostgreSQL: events and deliveries in one statement). */
  async writeHeld(): Promise<void> {
    const held = this.held ?? [];
    this.held = null;
    if (held.length === 0) return;
    if (this.sql.dialect !== 'postgres') {
      for (const one of held) await this.write(one.event, one.deliveries);
      return;
    }
    const rows = held.map(({ event: [id, tenantId, type, subject, createdAt, payload], deliveries: [, at, chain] }) => ({
      id,
      tenant_id: tenantId,
      type,
      subject,
      created_at: createdAt,
      payload,
      at,
      chain: JSON.parse(chain as string) as number[],
    }));
    const { changes } = await this.sql
      .prepare(
        `WITH rows AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(id text, tenant_id bigint, type text, subject text, created_at text, payload text, at bigint, chain jsonb)),
         event AS (INSERT INTO events (id, tenant_id, type, subject, created_at, payload) SELECT id, tenant_id, type, subject, created_at, payload FROM rows)
         INSERT INTO webhook_deliveries (event_id, webhook_id, state, next_attempt_at)
         SELECT r.id, w.id, 'pending', r.at FROM rows r JOIN webhooks w
           ON w.tenant_id IN (SELECT jsonb_array_elements_text(r.chain)::bigint) AND w.status = 'active' AND (w.events IS NULL OR jsonb_exists(w.events::jsonb, r.type))`,
      )
      .run(JSON.stringify(rows));
    this.queued(changes);
  }

  endAhead(): void {
    this.tenantsAhead = null;
    this.held = null;
  }

  /**
   * Writes an event with its deliveries; tells the relay (`events` work) only when some were queued: an event no
   * endpoint wants is nothing to deliver, and waking a stopped relay thread for it costs a thread's start.
   */
  private async write(event: unknown[], deliveries: unknown[]): Promise<void> {
    let queued: number;
    if (this.sql.dialect === 'postgres') queued = (await this.insertEvent.run(...event, ...deliveries)).changes;
    else {
      await this.insertEvent.run(...event);
      queued = (await this.fanOut.run(...deliveries)).changes;
    }
    this.queued(queued);
  }

  /**
   * Webhook deliveries this store has queued (a count that only grows): a caller compares it before and after a
   * change to know whether the relays have anything to deliver (PostgreSQL: whether to NOTIFY the nodes).
   */
  get deliveriesQueued(): number {
    return this.queuedTotal;
  }

  private queued(n: number): void {
    if (n <= 0) return;
    this.queuedTotal += n;
    this.sql.announce('events');
  }

  /** Records an event; call it inside the transaction of the change. Returns its id. */
  async record(tenantId: number, type: EventType, subject: string, data: Record<string, unknown>, at: Date): Promise<string> {
    const chain: number[] = [];
    let slug = '';
    for (let id: number | null = tenantId; id !== null && !chain.includes(id);) {
      const row: { slug: string; parent_id: number | null } | undefined = this.tenantsAhead?.get(id) ?? (await this.tenantRow.get(id));
      if (!row) break;
      if (chain.length === 0) slug = row.slug;
      chain.push(id);
      id = row.parent_id;
    }
    const id = `evt_${newMessageId()}`;
    const payload: EventPayload = { id, type, timestamp: at.toISOString(), tenant: slug, data };
    const event = [id, tenantId, type, subject, payload.timestamp, JSON.stringify(payload)];
    const deliveries = [id, at.getTime(), JSON.stringify(chain), type];
    if (this.held) this.held.push({ event, deliveries });
    else await this.write(event, deliveries);
    return id;
  }

  /** Events of a tenant (and its subcompanies' events when asked for by a parent), oldest first. */
  async list(filter: { tenantIds: readonly number[]; since?: string; limit: number }): Promise<EventPayload[]> {
    const rows = (await this.sql
      .prepare(`SELECT payload FROM events WHERE tenant_id IN (${this.sql.fn.jsonValues('integer')}) AND created_at >= ? ORDER BY id LIMIT ?`)
      .pluck()
      .all(JSON.stringify(filter.tenantIds), filter.since ?? '', filter.limit)) as string[];
    return rows.map((r) => JSON.parse(r) as EventPayload);
  }
}
