// RCPT's answers on PostgreSQL: every route held in memory (a few per tenant,
// so even ten thousand tenants are a small map), loaded at start and again
// whenever routes change: on this node at once after its own change, on every
// other node when PostgreSQL's NOTIFY (sent by the routes trigger) arrives, and
// at least every ROUTE_RECHECK_MS by comparing route_generation, in case a
// notification was missed while the listening connection was being replaced.
import type { RouteAnswer, RouteTable } from '../routes.ts';
import { ROUTE_RECHECK_MS } from '../routes.ts';
import type { RouteKind } from '../tenants.ts';
import type { PostgresSql } from './driver.ts';
import { CHANNELS, type PostgresListener } from './listener.ts';

type Snapshot = { generation: number; byValue: Map<string, { tenantId: number; kind: RouteKind }>; kindsByDomain: Map<string, Set<RouteKind>> };

export class PostgresRouteTable implements RouteTable {
  private readonly sql: PostgresSql;
  private snapshot: Snapshot = { generation: -1, byValue: new Map(), kindsByDomain: new Map() };
  private timer: NodeJS.Timeout | null = null;
  private loading: Promise<void> | null = null;
  private closed = false;

  constructor(sql: PostgresSql, listener: PostgresListener) {
    this.sql = sql;
    listener.on(CHANNELS.routes, () => void this.refresh().catch(() => undefined));
  }

  /** Loads the routes and checks the generation every ROUTE_RECHECK_MS (the listener covers the time between). */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refreshIfChanged().catch(() => undefined), ROUTE_RECHECK_MS);
    this.timer.unref();
  }

  /** Reads every route again (one at a time: a refresh asked for meanwhile waits for this one, then runs). */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const previous = this.loading ?? Promise.resolve();
    const next = previous.then(() => this.load());
    // The chain kept for the next caller never rejects: each caller hears of its own load's failure.
    const settled: Promise<void> = next
      .catch(() => undefined)
      .finally(() => {
        if (this.loading === settled) this.loading = null;
      });
    this.loading = settled;
    return next;
  }

  private async refreshIfChanged(): Promise<void> {
    const generation = await this.sql.prepare('SELECT value FROM route_generation WHERE id = 1').pluck<number>().get();
    if (generation !== this.snapshot.generation) await this.refresh();
  }

  private async load(): Promise<void> {
    // Generation first: a change that lands between the two reads makes the next check load again.
    const generation = (await this.sql.prepare('SELECT value FROM route_generation WHERE id = 1').pluck<number>().get()) ?? 0;
    const rows = await this.sql
      .prepare<[], { tenant_id: number; kind: RouteKind; value: string; domain: string }>('SELECT tenant_id, kind, value, domain FROM routes')
      .all();
    const byValue = new Map<string, { tenantId: number; kind: RouteKind }>();
    const kindsByDomain = new Map<string, Set<RouteKind>>();
    for (const row of rows) {
      byValue.set(row.value, { tenantId: row.tenant_id, kind: row.kind });
      let kinds = kindsByDomain.get(row.domain);
      if (!kinds) kindsByDomain.set(row.domain, (kinds = new Set()));
      kinds.add(row.kind);
    }
    this.snapshot = { generation, byValue, kindsByDomain };
  }

  routeFor(address: string): RouteAnswer {
    const { byValue, kindsByDomain } = this.snapshot;
    const domain = address.slice(address.lastIndexOf('@') + 1);
    const kinds = kindsByDomain.get(domain);
    if (!kinds) return null;
    if (kinds.has('forward_address')) {
      const exact = byValue.get(address);
      if (exact?.kind === 'forward_address') return { tenantId: exact.tenantId, route: { kind: exact.kind, value: address } };
    }
    const byDomain = byValue.get(domain);
    return byDomain?.kind === 'reply_domain' ? { tenantId: byDomain.tenantId, route: { kind: byDomain.kind, value: domain } } : null;
  }

  servesDomain(domain: string): boolean {
    return this.snapshot.kindsByDomain.has(domain);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.loading;
  }
}
