// RCPT's questions (which tenant owns this recipient, do we serve this domain),
// answered from memory on SQLite: a synchronous read of this connection when
// the answers may be stale, never a round trip per recipient.
import type { Database, Statement } from 'better-sqlite3';
import type { Route, RouteKind } from './tenants.ts';

export type RouteAnswer = { tenantId: number; route: Route } | null;
type RouteRow = { tenant_id: number; kind: RouteKind; value: string };
type DomainRoutes = { any: boolean; forwardAddresses: boolean };

/** What the SMTP listener asks for each RCPT. */
export interface RouteTable {
  routeFor(address: string): RouteAnswer;
  servesDomain(domain: string): boolean;
  /** Called after this process changed routes: the answers follow at once. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** How stale an acceptance may be after its route was removed or moved (refusals are always current). */
export const ROUTE_RECHECK_MS = 1000;

/** Answers kept between route changes; past this many the map starts over (a scan of random addresses cannot grow it). */
const MAX_REMEMBERED_ANSWERS = 10_000;

export class SqliteRouteTable implements RouteTable {
  private readonly now: () => Date;
  // Prepared once: these run for every RCPT.
  private readonly routeByValue: Statement<[string], RouteRow>;
  private readonly routeKindsOnDomain: Statement<[string], { kind: RouteKind }>;
  private readonly routeGeneration: Statement<[], { value: number }>;
  /**
   * RCPT answers while the routes stay as they are. Any statement on this
   * connection costs the SMTP thread ~10 µs next to a busy writer (a read
   * transaction: shared-memory locks, the WAL index), as much as the rest of
   * its RCPT work. route_generation, which every change to routes bumps (a
   * trigger), says whether the answers still hold; it is read before every
   * refusal, so a new route is taken at once, and at most every
   * ROUTE_RECHECK_MS for acceptances, so a removed or moved route stops being
   * accepted within that.
   */
  private readonly routesByValue = new Map<string, RouteRow | null>();
  private readonly routesByDomain = new Map<string, DomainRoutes>();
  private answersGeneration = -1;
  private generationReadAtMs = -Infinity;

  constructor(db: Database, now: () => Date) {
    this.now = now;
    this.routeByValue = db.prepare('SELECT tenant_id, kind, value FROM routes WHERE value = ?');
    this.routeKindsOnDomain = db.prepare('SELECT DISTINCT kind FROM routes WHERE domain = ?');
    this.routeGeneration = db.prepare('SELECT value FROM route_generation WHERE id = 1');
  }

  /**
   * Which tenant owns this (normalized) recipient: a forwarding address exactly,
   * else its domain as a reply domain.
   */
  routeFor(address: string): RouteAnswer {
    this.forgetAnswersIfRoutesChanged(false);
    const answer = this.answerFor(address);
    // Before refusing, make sure no route was added since the answer was kept.
    if (answer === null && this.forgetAnswersIfRoutesChanged(true)) return this.answerFor(address);
    return answer;
  }

  private answerFor(address: string): RouteAnswer {
    const domain = address.slice(address.lastIndexOf('@') + 1);
    const onDomain = this.domainRoutes(domain);
    if (onDomain.forwardAddresses) {
      const exact = this.routeNamed(address);
      if (exact?.kind === 'forward_address') return { tenantId: exact.tenant_id, route: { kind: exact.kind, value: exact.value } };
    }
    if (!onDomain.any) return null;
    const byDomain = this.routeNamed(domain);
    if (byDomain?.kind === 'reply_domain') return { tenantId: byDomain.tenant_id, route: { kind: byDomain.kind, value: byDomain.value } };
    return null;
  }

  /** Nothing to do: the next refusal reads the generation, and a new route is taken at once. */
  async refresh(): Promise<void> {}

  async close(): Promise<void> {}

  /** True when some route lives on this domain (we are its MX), so an unknown local part is 5.1.1, not a relay attempt. */
  servesDomain(domain: string): boolean {
    // Asked after routeFor refused, which has just read the generation: a second
    // read would only choose between two refusal codes.
    this.forgetAnswersIfRoutesChanged(false);
    return this.domainRoutes(domain).any;
  }

  private routeNamed(value: string): RouteRow | null {
    let row = this.routesByValue.get(value);
    if (row === undefined) {
      row = this.routeByValue.get(value) ?? null;
      remember(this.routesByValue, value, row);
    }
    return row;
  }

  /** Whether any route, and any forwarding address, lives on this domain: most recipients are on reply domains and need no exact lookup. */
  private domainRoutes(domain: string): DomainRoutes {
    let known = this.routesByDomain.get(domain);
    if (known === undefined) {
      const kinds = this.routeKindsOnDomain.all(domain).map((r) => r.kind);
      known = { any: kinds.length > 0, forwardAddresses: kinds.includes('forward_address') };
      remember(this.routesByDomain, domain, known);
    }
    return known;
  }

  /** Drops the kept answers if the routes changed; reads the generation now (`force`) or when the last read is older than ROUTE_RECHECK_MS. Returns whether they were dropped. */
  private forgetAnswersIfRoutesChanged(force: boolean): boolean {
    const nowMs = this.now().getTime();
    if (!force && nowMs - this.generationReadAtMs < ROUTE_RECHECK_MS) return false;
    this.generationReadAtMs = nowMs;
    const generation = this.routeGeneration.get()?.value ?? 0;
    if (generation === this.answersGeneration) return false;
    this.routesByValue.clear();
    this.routesByDomain.clear();
    this.answersGeneration = generation;
    return true;
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_REMEMBERED_ANSWERS) map.clear();
  map.set(key, value);
}
